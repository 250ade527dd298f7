// Which held job goes to which server now: a pure function of the held jobs (in the queue's order)
// and what each server can take. Kept free of I/O so its rules are tested alone and it costs
// microseconds per job.
import type { HeldJob } from '../journal/queue';

export interface ServerView {
  profileId: string;
  /** Free places in its window (its window minus ours on it now). */
  room: number;
  /** Not paused, and not waiting out a Retry-After, a refusal or a backoff. */
  available: boolean;
  /** Its socket is open. A spread job goes only to a server known to be up. */
  online: boolean;
  /** How long the jobs of ours already on it will take, as far as we know (ms). */
  busyMs: number;
}

export interface DispatchRules {
  /** All dispatch paused. */
  paused: boolean;
  /**
   * Whether a server has what the job needs (its nodes, models and input files, or can be given
   * them); 'unknown' until its object_info has been read.
   */
  canRun(job: HeldJob, profileId: string): Capability;
  /** How long this job would take on this server (ms), from past runs; a guess when none ran there. */
  runMs(job: HeldJob, profileId: string): number;
  /** Whether this process may send it (no other live process has claimed it). */
  mine(job: HeldJob): boolean;
}

export type Capability = 'yes' | 'no' | 'unknown';

export interface Assignment {
  jobId: string;
  profileId: string;
}

export interface Plan {
  assignments: Assignment[];
  /** Spread jobs that none of their servers can run (nodes or models missing everywhere). */
  unrunnable: string[];
}

/**
 * Goes through the held jobs in order and gives each one, while places last, to the server of its
 * route where it would finish first (its busy time plus its own run time). A job that cannot go
 * anywhere now does not hold up the ones behind it that can. A job sent before without a clear
 * answer stays with its server (it is looked up there first: never run twice).
 */
export function planDispatch(held: readonly HeldJob[], servers: readonly ServerView[], rules: DispatchRules): Plan {
  const plan: Plan = { assignments: [], unrunnable: [] };
  if (rules.paused) return plan;
  const state = new Map(servers.map((s) => [s.profileId, { ...s }]));
  let places = servers.reduce((n, s) => n + (s.available ? Math.max(0, s.room) : 0), 0);
  for (const job of held) {
    if (places <= 0) break;
    if (job.batchPaused || !rules.mine(job)) continue;
    const spread = !job.pinned && job.route.length > 1;
    const route = job.pinned ? [job.profileId] : job.route;
    let best: { id: string; finish: number } | null = null;
    let runnableSomewhere = false;
    for (const id of route) {
      const server = state.get(id);
      if (!server) continue;
      if (spread) {
        const can = rules.canRun(job, id);
        if (can === 'no') continue;
        runnableSomewhere = true;
        // Not yet known (its object_info is being read): not now, maybe soon.
        if (can === 'unknown') continue;
      }
      runnableSomewhere = true;
      if (!server.available || server.room <= 0 || (spread && !server.online)) continue;
      const finish = server.busyMs + rules.runMs(job, id);
      if (!best || finish < best.finish) best = { id, finish };
    }
    if (spread && !runnableSomewhere) {
      plan.unrunnable.push(job.id);
      continue;
    }
    if (!best) continue;
    const server = state.get(best.id)!;
    server.room -= 1;
    server.busyMs = best.finish;
    places -= 1;
    plan.assignments.push({ jobId: job.id, profileId: best.id });
  }
  return plan;
}
