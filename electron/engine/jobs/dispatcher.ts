// Releases held jobs to servers as they have room: one sender per server at a time, each taking
// the next job the plan (scheduler.ts) gives it. Also what holds a server back: a pause, its
// Retry-After, a refusal only the person can fix, or a backoff after a failed send.
import { backoff } from '../cloud/http';
import type { HeldJob, QueueJournal } from '../journal/queue';
import { planDispatch, type Capability, type Plan, type ServerView } from './scheduler';

/** A run time to plan with when a workflow never ran on a server. */
const UNKNOWN_RUN_MS = 30_000;

export interface DispatcherDeps {
  queue: QueueJournal;
  /** Sends one job to a server; false when the server could not take it (it is held back now). */
  send(jobId: string, profileId: string): Promise<boolean>;
  /** Whether a server's socket is open (asked only of servers a held job may go to; it may connect). */
  online(profileId: string): boolean;
  canRun(job: HeldJob, profileId: string): Capability;
  /** Whether this process may send a job another process may have claimed. */
  mine(job: HeldJob): boolean;
  /** Spread jobs none of their servers can run: said so on the job. */
  unrunnable(jobIds: string[]): void;
  log: { warn(m: string, f?: Record<string, unknown>): void };
  retryBaseMs?: number;
}

export class Dispatcher {
  private readonly senders = new Map<string, Promise<void>>();
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  private readonly retryAttempts = new Map<string, number>();
  /** Nothing is sent to a server before this (its Retry-After, or a refusal only the person can fix). */
  private readonly notBefore = new Map<string, number>();
  private wakeScheduled = false;
  private readonly told = new Set<string>();
  private closed = false;

  constructor(private readonly deps: DispatcherDeps) {}

  /** Something changed (a submit, a job ended, a pause, a reorder): plans again on the next tick. */
  wake(): void {
    if (this.closed || this.wakeScheduled) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      this.run();
    });
  }

  /** Resolves when every server's sender has stopped (nothing more can be sent now). */
  async idle(): Promise<void> {
    while (this.senders.size > 0 || this.wakeScheduled) {
      await Promise.all([...this.senders.values()]);
      if (this.wakeScheduled) await new Promise((r) => setImmediate(r));
    }
  }

  /** The plan as it stands: which held job would go where now. */
  plan(): Plan {
    const { queue } = this.deps;
    const controls = queue.controls();
    const flights = queue.inFlight();
    const estimates = new Map<string, number | null>();
    const runMs = (name: string, profileId: string): number => {
      const key = `${name}\u0000${profileId}`;
      if (!estimates.has(key)) estimates.set(key, queue.estimate(name, profileId));
      return estimates.get(key) ?? UNKNOWN_RUN_MS;
    };
    const now = Date.now();
    const held = queue.held();
    // Only servers some held job may go to are asked (asking connects to it).
    const wanted = new Set(held.flatMap((h) => h.route));
    const servers: ServerView[] = controls.map((c) => {
      const onIt = flights.get(c.profileId) ?? [];
      return {
        profileId: c.profileId,
        room: c.window - onIt.reduce((n, f) => n + f.n, 0),
        available: !c.paused && (this.notBefore.get(c.profileId) ?? 0) <= now && !this.retryTimers.has(c.profileId),
        online: wanted.has(c.profileId) && this.deps.online(c.profileId),
        busyMs: onIt.reduce((ms, f) => ms + f.n * runMs(f.name, c.profileId), 0),
      };
    });
    return planDispatch(held, servers, {
      paused: queue.paused(),
      canRun: (job, id) => this.deps.canRun(job, id),
      runMs: (job, id) => runMs(job.workflowName, id),
      mine: (job) => this.deps.mine(job),
    });
  }

  private run(): void {
    if (this.closed) return;
    let plan: Plan;
    try {
      plan = this.plan();
    } catch (err) {
      this.deps.log.warn('dispatch: planning failed', { error: (err as Error).message });
      return;
    }
    const fresh = plan.unrunnable.filter((id) => !this.told.has(id));
    if (fresh.length > 0) {
      fresh.forEach((id) => this.told.add(id));
      this.deps.unrunnable(fresh);
    }
    for (const { profileId } of plan.assignments) this.startSender(profileId);
  }

  private startSender(profileId: string): void {
    if (this.senders.has(profileId)) return;
    const run = this.sendWhileRoom(profileId)
      .catch((err: unknown) => {
        // Closing the engine mid-send ends here (the journal is gone); anything else is logged.
        if (!this.closed) this.deps.log.warn('dispatch: sending failed', { error: (err as Error).message });
      })
      .finally(() => this.senders.delete(profileId));
    this.senders.set(profileId, run);
  }

  /** Sends this server's jobs one after another while the plan gives it some. */
  private async sendWhileRoom(profileId: string): Promise<void> {
    // A claim can be lost to another process; the plan then no longer offers that job.
    for (let misses = 0; misses < 100 && !this.closed;) {
      const next = this.plan().assignments.find((a) => a.profileId === profileId);
      if (!next) return;
      const sent = await this.deps.send(next.jobId, profileId);
      if (sent === false) {
        misses += 1;
        if (this.retryTimers.has(profileId) || (this.notBefore.get(profileId) ?? 0) > Date.now()) {
          // Held back: the others may take what it cannot.
          this.wake();
          return;
        }
        continue;
      }
      this.retryAttempts.delete(profileId);
    }
  }

  /**
   * A send to a server failed in a way that may pass: nothing more goes there until `delayMs`
   * (or until the person acts, or its socket opens again). `hard` (a Retry-After or a refusal
   * only the person can fix) holds even against a reconnect.
   */
  holdBack(profileId: string, delayMs: number, hard: boolean): void {
    if (hard) this.notBefore.set(profileId, Date.now() + delayMs);
    if (this.closed) return;
    const existing = this.retryTimers.get(profileId);
    if (existing) clearTimeout(existing);
    const timer = setTimeout(() => {
      this.retryTimers.delete(profileId);
      this.wake();
    }, delayMs);
    timer.unref?.();
    this.retryTimers.set(profileId, timer);
  }

  /** The next backoff for a server after a failed send (with jitter). */
  nextDelay(profileId: string, atLeastMs = 0): number {
    const attempt = (this.retryAttempts.get(profileId) ?? 0) + 1;
    this.retryAttempts.set(profileId, attempt);
    return Math.max(atLeastMs, backoff(attempt, this.deps.retryBaseMs ?? 1000, 60_000));
  }

  /** The person acted (a new key, another address, "send now"): every hold on the server ends. */
  retryNow(profileId: string): void {
    this.notBefore.delete(profileId);
    this.serverReachable(profileId);
  }

  /** The server is reachable again (socket open): a backoff ends, a Retry-After still holds. */
  serverReachable(profileId: string): void {
    const timer = this.retryTimers.get(profileId);
    if (timer) clearTimeout(timer);
    this.retryTimers.delete(profileId);
    this.retryAttempts.delete(profileId);
    this.wake();
  }

  /** A server's jobs may be sent again (a spread job told it could not run anywhere may now). */
  forgetTold(): void {
    this.told.clear();
  }

  close(): void {
    this.closed = true;
    for (const timer of this.retryTimers.values()) clearTimeout(timer);
    this.retryTimers.clear();
  }
}
