// Live jobs for the queue and the sidebar: the recent ones from the journal, kept current by
// job.changed events, plus the latest preview frame of each running job.
import type { JobSummary } from '../../../shared/jobs';
import { isFinalJobState } from '../../../shared/jobs';
import { desk } from './desk';

class JobsState {
  byId = $state<Record<string, JobSummary>>({});
  previews = $state<Record<string, string>>({});
  loaded = $state(false);

  all = $derived(Object.values(this.byId).sort((a, b) => b.createdAt - a.createdAt));
  running = $derived(this.all.filter((j) => j.state === 'running'));
  /** Oldest first, in server queue order: what runs next is on top. */
  waiting = $derived(
    this.all
      .filter((j) => j.state === 'pending' || j.state === 'submitting' || j.state === 'outbox')
      .sort((a, b) => a.createdAt - b.createdAt || (a.queuePosition ?? Infinity) - (b.queuePosition ?? Infinity)),
  );
  finished = $derived(this.all.filter((j) => isFinalJobState(j.state)));
  activeCount = $derived(this.running.length + this.waiting.length);
  outboxCount = $derived(this.waiting.filter((j) => j.state === 'outbox').length);

  private started = false;

  async load(): Promise<void> {
    if (this.started) return;
    this.started = true;
    desk.on('job.changed', (job) => {
      this.byId[job.id] = job;
      if (isFinalJobState(job.state) && this.previews[job.id]) delete this.previews[job.id];
    });
    desk.on('job.preview', (p) => {
      if (this.byId[p.jobId] && !isFinalJobState(this.byId[p.jobId]!.state)) {
        this.previews[p.jobId] = `data:${p.mime};base64,${p.data}`;
      }
    });
    const [open, recent] = await Promise.all([
      desk.invoke('jobs.list', { states: ['outbox', 'submitting', 'pending', 'running'], limit: 500 }),
      desk.invoke('jobs.list', { limit: 100 }),
    ]);
    for (const job of [...recent.items, ...open.items]) this.byId[job.id] = job;
    this.loaded = true;
  }
}

export const jobs = new JobsState();
void jobs.load();
