// Live jobs for the queue and the sidebar: the open and recent ones from the journal, kept current by
// job.changed events (applied once per frame: a 1,000-run sweep arrives as 1,000 events at once),
// plus the latest preview frame of each running job.
import type { JobSummary, OutputItem } from '../../../shared/jobs';
import { isFinalJobState } from '../../../shared/jobs';
import { desk } from './desk';

/** Sent jobs first, in the server's order; then those being sent. */
const waitRank = (job: JobSummary): number => (job.state === 'pending' ? 0 : 1);
/** Open jobs read at start, at most (pages of 500). */
const OPEN_PAGES = 10;

class JobsState {
  /** Replaced as a whole on each change (never proxied deeply: thousands of jobs stay cheap). */
  byId = $state.raw<Record<string, JobSummary>>({});
  previews = $state<Record<string, string>>({});
  loaded = $state(false);
  /** Jobs a person asked to stop, until the server confirms it: the job leaves 'running'. */
  interrupting = $state<Record<string, true>>({});
  /** Outputs of finished jobs, for the queue's strips (read on demand, then kept current). */
  outputs = $state<Record<string, OutputItem[]>>({});

  all = $derived(Object.values(this.byId).sort((a, b) => b.createdAt - a.createdAt));
  running = $derived(this.all.filter((j) => j.state === 'running'));
  /** On a server, or being sent to one: what runs next is on top. (NaN from Infinity − Infinity falls through.) */
  waiting = $derived(
    this.all
      .filter((j) => j.state === 'pending' || j.state === 'submitting')
      .sort(
        (a, b) =>
          waitRank(a) - waitRank(b) ||
          (a.queuePosition ?? Infinity) - (b.queuePosition ?? Infinity) ||
          (a.submittedAt ?? a.createdAt) - (b.submittedAt ?? b.createdAt) ||
          a.createdAt - b.createdAt,
      ),
  );
  /** Held here, in the app's own queue (the outbox): in the order they go, first on top. */
  held = $derived(
    this.all.filter((j) => j.state === 'outbox').sort((a, b) => a.queueRank - b.queueRank || a.createdAt - b.createdAt),
  );
  /**
   * Each sent job's place in line (1 = next) among this app's jobs waiting on the same server. The
   * server's queue number is its own counter, not a place: it only orders them.
   */
  places = $derived.by(() => {
    const perServer: Record<string, number> = {};
    const places: Record<string, number> = {};
    for (const job of this.waiting) {
      if (job.state !== 'pending') continue;
      places[job.id] = perServer[job.profileId] = (perServer[job.profileId] ?? 0) + 1;
    }
    return places;
  });
  finished = $derived(this.all.filter((j) => isFinalJobState(j.state)));
  activeCount = $derived(this.running.length + this.waiting.length + this.held.length);
  outboxCount = $derived(this.held.length);

  private started = false;
  /** The output count each job's strip was read at: read again only when it changes. */
  private outputsRead = new Map<string, number>();
  /** Changes not yet on screen: applied together at the end of the frame. */
  private pending = new Map<string, JobSummary>();
  /** A change was applied this frame: the next ones wait for its end. */
  private frameOpen = false;

  async load(): Promise<void> {
    if (this.started) return;
    this.started = true;
    desk.on('job.changed', (job) => this.changed(job));
    desk.on('job.preview', (p) => {
      const job = this.pending.get(p.jobId) ?? this.byId[p.jobId];
      if (job && !isFinalJobState(job.state)) this.previews[p.jobId] = `data:${p.mime};base64,${p.data}`;
    });
    // A strip already shown follows its outputs as they download.
    desk.on('output.changed', (item) => {
      const list = this.outputs[item.jobId];
      const index = list?.findIndex((o) => o.id === item.id) ?? -1;
      if (list && index >= 0) list[index] = item;
    });
    await this.reload();
  }

  /**
   * The first change is shown at once (a run just submitted is in the queue when the view opens);
   * the ones that follow within the same frame are applied together at its end, or soon if frames
   * are not drawn (a hidden window). A thousand events become a few updates, not a thousand.
   */
  private changed(job: JobSummary): void {
    this.pending.set(job.id, job);
    if (this.frameOpen) return;
    this.apply();
    this.frameOpen = true;
    const end = (): void => {
      if (!this.frameOpen) return;
      this.frameOpen = false;
      this.apply();
    };
    const timer = setTimeout(end, 200);
    requestAnimationFrame(() => {
      clearTimeout(timer);
      end();
    });
  }

  /** Applies every change waiting, at once: one update of what depends on the jobs. */
  private apply(): void {
    if (this.pending.size === 0) return;
    const byId = { ...this.byId };
    for (const job of this.pending.values()) {
      byId[job.id] = job;
      if (isFinalJobState(job.state) && this.previews[job.id]) delete this.previews[job.id];
      if (job.state !== 'running' && this.interrupting[job.id]) delete this.interrupting[job.id];
    }
    this.pending.clear();
    this.byId = byId;
  }

  /** Reads the open and recent jobs again: at start, and when the host bridge is back. */
  async reload(): Promise<void> {
    const [open, recent] = await Promise.all([this.readOpen(), desk.invoke('jobs.list', { limit: 100 })]);
    const byId: Record<string, JobSummary> = {};
    for (const job of [...recent.items, ...open]) byId[job.id] = job;
    // Changes that arrived while reading are newer than what was read.
    for (const job of this.pending.values()) byId[job.id] = job;
    this.pending.clear();
    this.byId = byId;
    for (const id of Object.keys(this.previews)) if (byId[id]?.state !== 'running') delete this.previews[id];
    for (const id of Object.keys(this.interrupting)) if (byId[id]?.state !== 'running') delete this.interrupting[id];
    this.outputsRead.clear();
    this.loaded = true;
  }

  /** Every open job (a big sweep holds many), page by page. */
  private async readOpen(): Promise<JobSummary[]> {
    const items: JobSummary[] = [];
    let before: string | undefined;
    for (let page = 0; page < OPEN_PAGES; page++) {
      const next = await desk.invoke('jobs.list', {
        states: ['outbox', 'submitting', 'pending', 'running'],
        limit: 500,
        ...(before ? { before } : {}),
      });
      items.push(...next.items);
      if (!next.nextCursor) break;
      before = next.nextCursor;
    }
    return items;
  }

  /** Asks the server to stop a running job; it shows as stopping until the server says it stopped. */
  async interrupt(job: JobSummary): Promise<void> {
    this.interrupting[job.id] = true;
    try {
      await desk.invoke('jobs.interrupt', { id: job.id });
    } catch (err) {
      delete this.interrupting[job.id];
      throw err;
    }
  }

  /** Reads the outputs of these jobs where they changed, one job at a time (the queue shows up to 50). */
  async loadOutputs(list: JobSummary[]): Promise<void> {
    for (const job of list) {
      if (job.outputCount === 0 || this.outputsRead.get(job.id) === job.outputCount) continue;
      this.outputsRead.set(job.id, job.outputCount);
      try {
        this.outputs[job.id] = (await desk.invoke('jobs.get', { id: job.id })).outputs;
      } catch {
        this.outputsRead.delete(job.id); // tried again when the queue next asks
      }
    }
  }
}

export const jobs = new JobsState();
void jobs.load();
