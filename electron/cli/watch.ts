// Follows the jobs a command submitted (or released), from the journal's events, and says each
// state they pass through so a person never has to guess: "waiting to retry: <reason>", held in
// the app's queue and why, the server each one went to, downloads that are retried. It ends when
// the goal is met (on a server, finished, or placed), at once when only the person can help (a
// refused key, 402, 403), and when its jobs cannot move for longer than the timeout.
//
// The timeout measures time without progress, not total time: it runs only while something is in
// the way (a job waiting to be sent again, the connection lost, no server of a job connected, a
// job whose state on its server cannot be read), and any of the jobs taken by a server, started or
// finished starts it again. A send that fails is no progress: the count runs on across attempts.
// A batch that moves is never cut off; a job on a server with the connection up, whose state can
// be read, is waited for as long as it takes. While jobs are on a server their state is read now
// and then (at least 4 times per timeout), so one that cannot be read is known in time.
//
// A job held because sending is paused (everything, its server, or its batch) does not hold the
// command up: it is said, with how to resume, and set aside.
import type { JobSummary, OutputItem } from '../../shared/jobs';
import { isFinalJobState } from '../../shared/jobs';
import type { BatchSummary } from '../../shared/queue';
import type { Engine } from '../engine/engine';
import { toSummary } from '../engine/journal/jobs';
import { ProgressLine } from './progress';
import { serverName, shellWord } from './servers';

/**
 * on_server: every job sent (run); finished: every job ended (run --wait); placed: every job sent
 * or waiting for a place on a full server (queue resume: what has room goes now, the rest as
 * places free up).
 */
export type WatchGoal = 'on_server' | 'finished' | 'placed';

/** A job that was not waited for: held by a pause, or (goal `placed`) by a full window. */
export interface SetAside {
  job: JobSummary;
  /** Why, for a person, with what to do: "sending is paused; it goes when you resume (…)". */
  reason: string;
  paused: boolean;
}

export type WatchEnd =
  | { kind: 'done'; jobs: JobSummary[]; held: SetAside[] }
  /** Only the person can fix this (the key, credits, access). */
  | { kind: 'needs_person'; message: string; jobs: JobSummary[] }
  /** The jobs could not move (server unreachable, …) for longer than the timeout. */
  | { kind: 'timeout'; message: string; jobs: JobSummary[] };

export interface WatchOptions {
  goal: WatchGoal;
  timeoutMs: number;
  /** Say the server each job goes to (a run over several servers). */
  nameServers?: boolean;
  /** How often the countdown, the queue and the connections are looked at (tests make it short). */
  tickMs?: number;
}

/** How often jobs on a server are checked against it while the command waits (see the top). */
function statusCheckMs(timeoutMs: number): number {
  return Math.min(30_000, Math.max(1000, timeoutMs / 4));
}

/** What the app's queue says now: pauses, windows, ours on each server. Read at most every 200 ms. */
export class QueueView {
  paused = false;
  private servers = new Map<string, { paused: boolean; window: number; inFlight: number }>();
  private batches = new Map<string, BatchSummary | null>();
  private names = new Map<string, string>();
  private readAt = 0;

  constructor(private readonly engine: Engine) {}

  refresh(force = false): void {
    const now = Date.now();
    if (!force && now - this.readAt < 200) return;
    this.readAt = now;
    const { queue } = this.engine.jobs;
    this.paused = queue.paused();
    const flights = queue.inFlight();
    this.servers = new Map(
      queue.controls().map((c) => [
        c.profileId,
        {
          paused: c.paused,
          window: c.window,
          inFlight: (flights.get(c.profileId) ?? []).reduce((n, f) => n + f.n, 0),
        },
      ]),
    );
    this.batches.clear();
    this.names.clear();
  }

  /** A server's name, for messages. */
  name(profileId: string): string {
    let name = this.names.get(profileId);
    if (name === undefined) this.names.set(profileId, (name = serverName(this.engine, profileId)));
    return name;
  }

  private batch(id: string): BatchSummary | null {
    if (!this.batches.has(id)) this.batches.set(id, this.engine.jobs.queue.batch(id));
    return this.batches.get(id) ?? null;
  }

  /** The servers a held job may go to. */
  routeOf(job: JobSummary): string[] {
    return job.route && job.route.length > 0 ? job.route : [job.profileId];
  }

  /** The servers of its route that are not paused. */
  openRoute(job: JobSummary): string[] {
    return this.routeOf(job).filter((id) => !this.servers.get(id)?.paused);
  }

  /** Why a held job is held by a pause, with how to resume; null when no pause holds it. */
  pauseOf(job: JobSummary): string | null {
    if (job.state !== 'outbox' && job.state !== 'draft') return null;
    if (this.paused) return 'sending is paused; it goes when you resume (comfy-desk queue resume)';
    const batch = job.batchId ? this.batch(job.batchId) : null;
    if (batch?.paused)
      return `its batch "${batch.name}" is paused; it goes when you resume the batch (in the app's Queue)`;
    const route = this.routeOf(job);
    if (route.every((id) => this.servers.get(id)?.paused)) {
      const names = route.map((id) => this.name(id));
      return route.length === 1
        ? `sending to ${names[0]} is paused; it goes when you resume it (comfy-desk queue resume --server ${shellWord(names[0]!)})`
        : `sending to ${names.join(' and ')} is paused; it goes when you resume one of them (comfy-desk queue resume --server ${shellWord(names[0]!)})`;
    }
    return null;
  }

  /** The servers a held job could go to now (not paused) that have no place left; null if one has. */
  fullServers(job: JobSummary): string[] | null {
    const open = this.openRoute(job);
    const full = open.filter((id) => {
      const s = this.servers.get(id);
      return s !== undefined && s.inFlight >= s.window;
    });
    return open.length > 0 && full.length === open.length ? full : null;
  }

  windowOf(profileId: string): number {
    return this.servers.get(profileId)?.window ?? 0;
  }
}

export function watchJobs(
  engine: Engine,
  ids: string[],
  options: WatchOptions,
  err: NodeJS.WritableStream & { isTTY?: boolean },
): Promise<WatchEnd> {
  const bar = new ProgressLine(err);
  const wanted = new Set(ids);
  const latest = new Map<string, JobSummary>();
  const said = new Map<string, string>();
  const view = new QueueView(engine);
  const short = (id: string): string => id.slice(0, 8);
  const name = (profileId: string): string => view.name(profileId);
  let troubleSince: number | null = null;
  /** What was in the way last: still the reason while a new attempt is under way. */
  let lastTrouble = '';
  let checking = false;
  let checkedAt = Date.now();
  /** The last time one of the jobs was taken by a server, started or finished. */
  let lastProgress = Date.now();
  let ended = false;
  let loading = true;

  return new Promise((resolve) => {
    /** Says a line once per job and `key` (by default the line itself). */
    const say = (id: string, line: string, key = line): void => {
      if (said.get(id) === key) return;
      said.set(id, key);
      bar.interrupt();
      err.write(`job ${short(id)}: ${line}\n`);
    };
    const finish = (end: WatchEnd): void => {
      if (ended) return;
      ended = true;
      stopJobs();
      stopOutputs();
      clearInterval(ticker);
      bar.done();
      resolve(end);
    };
    const sent = (job: JobSummary): boolean => !['draft', 'outbox', 'submitting'].includes(job.state);
    const reached = (job: JobSummary): boolean =>
      options.goal === 'finished' ? isFinalJobState(job.state) : sent(job) || isFinalJobState(job.state);
    const connected = (profileId: string): boolean => engine.jobs.socketStateOf(profileId) === 'open';
    /** Held, not paused, not waiting out a failure: waiting for a place on a full server. */
    const waitsForPlace = (job: JobSummary): string[] | null =>
      job.state === 'outbox' && !job.waiting && !view.pauseOf(job) ? view.fullServers(job) : null;

    /** What to say of a job in the app's queue, or of a state a person cares about. */
    const describe = (job: JobSummary): string | null => {
      const paused = view.pauseOf(job);
      if (paused) return `held: ${paused}`;
      switch (job.state) {
        case 'outbox': {
          if (job.waiting) return null; // said with its countdown
          const full = view.fullServers(job);
          if (full)
            return `held: waiting for a place on ${full.map(name).join(' or ')} (at most ${full.map((id) => view.windowOf(id)).join('/')} of ours at once)`;
          return 'in the outbox';
        }
        case 'submitting':
          return options.nameServers ? `sending to ${name(job.profileId)}` : 'sending to the server';
        case 'pending':
          return options.nameServers
            ? `on ${name(job.profileId)}, waiting its turn`
            : 'on the server, waiting its turn';
        case 'running':
          return options.nameServers ? `running on ${name(job.profileId)}` : 'running';
        case 'completed':
          return 'completed';
        case 'failed':
          return `failed${job.error ? `: ${job.error.message}` : ''}`;
        default:
          return job.state;
      }
    };

    const evaluate = (): void => {
      if (ended || loading) return;
      view.refresh();
      const jobs = ids.map((id) => latest.get(id)).filter((j): j is JobSummary => j !== undefined);
      const person = jobs.find((j) => j.state === 'outbox' && j.waiting?.needsPerson && !view.pauseOf(j));
      if (person) return finish({ kind: 'needs_person', message: person.waiting!.message, jobs });
      if (jobs.length === ids.length) {
        const aside: SetAside[] = [];
        let open = 0;
        for (const j of jobs) {
          if (reached(j)) continue;
          const paused = view.pauseOf(j);
          const full = options.goal === 'placed' ? waitsForPlace(j) : null;
          if (paused) aside.push({ job: j, reason: paused, paused: true });
          else if (full)
            aside.push({ job: j, reason: `waiting for a place on ${full.map(name).join(' or ')}`, paused: false });
          else open += 1;
        }
        if (open === 0) return finish({ kind: 'done', jobs, held: aside });
      }
      // Something in the way: jobs waiting to be sent again, the connection to a server lost while
      // jobs are on it, or held jobs none of whose servers is connected.
      const active = jobs.filter((j) => !view.pauseOf(j));
      const now = Date.now();
      let trouble = '';
      const waiting = active.find((j) => j.state === 'outbox' && j.waiting);
      const lost = active.find((j) => {
        if (j.state !== 'pending' && j.state !== 'running') return false;
        const socket = engine.jobs.socketStateOf(j.profileId);
        return socket !== null && socket !== 'open' && socket !== 'connecting';
      });
      const cut = active.find((j) => j.state === 'outbox' && !j.waiting && !view.openRoute(j).some(connected));
      const unread = active.find(
        (j) => (j.state === 'pending' || j.state === 'running') && engine.jobs.service.statusUnreadable(j.id),
      );
      if (waiting) trouble = waiting.waiting!.message;
      else if (lost)
        trouble = `the connection to ${options.nameServers ? name(lost.profileId) : 'the server'} was lost; reconnecting`;
      else if (cut) trouble = `not connected to ${view.openRoute(cut).map(name).join(' or ')}`;
      else if (unread) trouble = `job ${short(unread.id)}: ${engine.jobs.service.statusUnreadable(unread.id)!}`;
      // A send under way is no progress yet: what was in the way still is, until a server takes the job.
      const attempting = active.some((j) => j.state === 'submitting');
      if (trouble) lastTrouble = trouble;
      else if (troubleSince !== null && attempting) trouble = lastTrouble;
      if (!trouble) {
        troubleSince = null;
      } else {
        troubleSince ??= now;
        const since = Math.max(troubleSince, lastProgress);
        const left = Math.max(0, Math.ceil((since + options.timeoutMs - now) / 1000));
        if (left === 0) {
          return finish({
            kind: 'timeout',
            message: `Gave up after ${Math.round(options.timeoutMs / 1000)} s: ${trouble}`,
            jobs,
          });
        }
        if (waiting) {
          const next = waiting.waiting!.retryAt
            ? Math.max(0, Math.ceil((waiting.waiting!.retryAt - now) / 1000))
            : null;
          const when = next !== null ? `next try in ${next} s; ` : '';
          for (const j of active.filter((j) => j.state === 'outbox' && j.waiting)) {
            const w = j.waiting!;
            say(
              j.id,
              `waiting to retry: ${w.message} (${when}giving up in ${left} s)`,
              `wait ${w.message} ${w.retryAt}`,
            );
          }
        } else if (unread) {
          const why = engine.jobs.service.statusUnreadable(unread.id)!;
          say(unread.id, `on the server, but ${why} (giving up in ${left} s)`, `unread ${why}`);
        }
      }
      bar.update(jobs);
    };

    const onJob = (job: JobSummary): void => {
      if (ended || !wanted.has(job.id)) return;
      const before = latest.get(job.id);
      latest.set(job.id, job);
      // Progress: taken by a server, started, or ended. Not an attempt to send (a server that is
      // down is tried again and again: that is no progress).
      if (before && before.state !== job.state && (sent(job) || isFinalJobState(job.state))) lastProgress = Date.now();
      // While its jobs are on a server this process follows that server (it may not have sent them).
      if (options.goal === 'finished' && (job.state === 'pending' || job.state === 'running'))
        if (engine.jobs.socketStateOf(job.profileId) === null) engine.jobs.session(job.profileId);
      const line = describe(job);
      if (line) say(job.id, line);
      evaluate();
    };
    const onOutput = (output: OutputItem): void => {
      if (!wanted.has(output.jobId)) return;
      if (output.state === 'downloading' && output.error) {
        bar.interrupt();
        err.write(`job ${short(output.jobId)}: downloading ${output.filename}: ${output.error}\n`);
      }
    };
    /** Jobs on a server are read from it now and then: one whose state cannot be read counts as trouble. */
    const checkStatus = (): void => {
      if (options.goal !== 'finished' || checking || Date.now() - checkedAt < statusCheckMs(options.timeoutMs)) return;
      const on = [...latest.values()].filter((j) => j.state === 'pending' || j.state === 'running');
      if (on.length === 0) return;
      checking = true;
      const profiles = [...new Set(on.map((j) => j.profileId))];
      void Promise.all(profiles.map((id) => engine.jobs.service.reconcile(id).catch(() => undefined))).finally(() => {
        checking = false;
        checkedAt = Date.now();
        evaluate();
      });
    };
    const tick = (): void => {
      checkStatus();
      view.refresh(true);
      // Held jobs do not change while they wait: what holds them (a pause, a full server) is said again here.
      for (const job of latest.values()) {
        if (job.state !== 'outbox') continue;
        const line = describe(job);
        if (line) say(job.id, line);
      }
      evaluate();
    };
    const stopJobs = engine.on('job.changed', onJob);
    const stopOutputs = engine.on('output.changed', onOutput);
    const ticker = setInterval(tick, options.tickMs ?? 1000);
    view.refresh(true);
    for (const id of ids) {
      const job = engine.jobs.journal.get(id);
      if (job) onJob(toSummary(job));
    }
    loading = false;
    evaluate();
  });
}
