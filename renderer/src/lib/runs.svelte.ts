// The runs each open workflow sent last, so its run bar can follow them while the person stays on the
// form (tweak and run again): kept here, not in the view, so they outlive a visit to another view.
import type { JobSummary } from '../../../shared/jobs';

export interface LastRun {
  ids: string[];
  at: number;
}

class Runs {
  /** The last submission of each open workflow (by its draft's id). */
  byTab = $state<Record<string, LastRun>>({});

  sent(tabId: string, submitted: JobSummary[]): void {
    this.byTab[tabId] = { ids: submitted.map((j) => j.id), at: Date.now() };
  }

  forget(tabId: string): void {
    delete this.byTab[tabId];
  }
}

export const runs = new Runs();

export interface RunProgress {
  total: number;
  done: number;
  failed: number;
  stopped: number;
  running: number;
  waiting: number;
  /** All ended (done, failed or stopped). */
  finished: boolean;
  /** The newest finished job with an image to show. */
  latestCover: string | null;
}

/** How a submission is doing, from the jobs the window knows (job.changed keeps them current). */
export function progressOf(ids: string[], byId: Record<string, JobSummary>): RunProgress {
  const p: RunProgress = {
    total: ids.length,
    done: 0,
    failed: 0,
    stopped: 0,
    running: 0,
    waiting: 0,
    finished: false,
    latestCover: null,
  };
  let latest = -Infinity;
  for (const id of ids) {
    const job = byId[id];
    if (!job) {
      p.waiting++;
      continue;
    }
    if (job.state === 'completed') p.done++;
    else if (job.state === 'failed') p.failed++;
    else if (job.state === 'cancelled' || job.state === 'interrupted') p.stopped++;
    else if (job.state === 'running') p.running++;
    else p.waiting++;
    const when = job.finishedAt ?? 0;
    if (job.coverHash && when >= latest) {
      latest = when;
      p.latestCover = job.coverHash;
    }
  }
  p.finished = p.done + p.failed + p.stopped === p.total;
  return p;
}

/** "Queued 4 runs · 2 done · 1 running · 1 waiting"; "4 runs done"; "4 runs ended · 3 done · 1 failed". */
export function progressLine(p: RunProgress): string {
  const runs = `${p.total} run${p.total === 1 ? '' : 's'}`;
  const parts = [
    p.done ? `${p.done} done` : '',
    p.failed ? `${p.failed} failed` : '',
    p.stopped ? `${p.stopped} stopped` : '',
    p.running ? `${p.running} running` : '',
    p.waiting && !p.finished ? `${p.waiting} waiting` : '',
  ].filter(Boolean);
  if (p.finished) {
    if (p.done === p.total) return `${runs} done`;
    return `${runs} ended · ${parts.join(' · ')}`;
  }
  return [`Queued ${runs}`, ...parts].join(' · ');
}
