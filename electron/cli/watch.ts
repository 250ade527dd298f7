// Follows the jobs a command submitted, from the journal's events, and says each state they pass
// through so a person never has to guess: "waiting to retry: <reason>", the place in the queue,
// downloads that are retried. It ends when the goal is met (on the server, or finished), at once
// when only the person can help (a refused key, 402, 403), and when the server stays unreachable
// longer than the timeout.
import type { JobSummary, OutputItem } from '../../shared/jobs';
import { isFinalJobState } from '../../shared/jobs';
import type { Engine } from '../engine/engine';
import { ProgressLine } from './progress';

export type WatchGoal = 'on_server' | 'finished';

export type WatchEnd =
  | { kind: 'done'; jobs: JobSummary[] }
  /** Only the person can fix this (the key, credits, access). */
  | { kind: 'needs_person'; message: string; jobs: JobSummary[] }
  /** The server could not be reached for longer than the timeout. */
  | { kind: 'timeout'; message: string; jobs: JobSummary[] };

export interface WatchOptions {
  goal: WatchGoal;
  profileId: string;
  timeoutMs: number;
  /** How often the countdown and the connection are looked at (tests make it short). */
  tickMs?: number;
}

export function watchJobs(
  engine: Engine,
  ids: string[],
  options: WatchOptions,
  err: NodeJS.WritableStream & { isTTY?: boolean },
): Promise<WatchEnd> {
  const bar = new ProgressLine(err);
  const latest = new Map<string, JobSummary>();
  const said = new Map<string, string>();
  const short = (id: string): string => id.slice(0, 8);
  let troubleSince: number | null = null;
  let trouble = '';

  return new Promise((resolve) => {
    /** Says a line once per job and `key` (by default the line itself). */
    const say = (id: string, line: string, key = line): void => {
      if (said.get(id) === key) return;
      said.set(id, key);
      bar.interrupt();
      err.write(`job ${short(id)}: ${line}\n`);
    };
    const finish = (end: WatchEnd): void => {
      stopJobs();
      stopOutputs();
      clearInterval(ticker);
      bar.done();
      resolve(end);
    };
    const reached = (job: JobSummary): boolean =>
      options.goal === 'finished' ? isFinalJobState(job.state) : !['draft', 'outbox', 'submitting'].includes(job.state);

    const evaluate = (): void => {
      const jobs = ids.map((id) => latest.get(id)).filter((j): j is JobSummary => j !== undefined);
      const person = jobs.find((j) => j.state === 'outbox' && j.waiting?.needsPerson);
      if (person) return finish({ kind: 'needs_person', message: person.waiting!.message, jobs });
      if (jobs.length === ids.length && jobs.every(reached)) return finish({ kind: 'done', jobs });
      // Trouble: jobs waiting to be sent again, or the server's socket down while jobs are on it.
      const waiting = jobs.find((j) => j.state === 'outbox' && j.waiting);
      const socket = engine.jobs.socketStateOf(options.profileId);
      const onServer = jobs.some((j) => j.state === 'pending' || j.state === 'running');
      const now = Date.now();
      if (waiting) trouble = waiting.waiting!.message;
      else if (onServer && socket !== null && socket !== 'open' && socket !== 'connecting') {
        trouble = 'the connection to the server was lost; reconnecting';
      } else {
        troubleSince = null;
        trouble = '';
      }
      if (trouble) {
        troubleSince ??= now;
        const left = Math.max(0, Math.ceil((troubleSince + options.timeoutMs - now) / 1000));
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
          for (const j of jobs.filter((j) => j.state === 'outbox' && j.waiting)) {
            const w = j.waiting!;
            say(
              j.id,
              `waiting to retry: ${w.message} (${when}giving up in ${left} s)`,
              `wait ${w.message} ${w.retryAt}`,
            );
          }
        }
      }
      bar.update(jobs);
    };

    const onJob = (job: JobSummary): void => {
      if (!ids.includes(job.id)) return;
      latest.set(job.id, job);
      const line = describeState(job);
      if (line) say(job.id, line);
      evaluate();
    };
    const onOutput = (output: OutputItem): void => {
      if (!ids.includes(output.jobId)) return;
      if (output.state === 'downloading' && output.error) {
        bar.interrupt();
        err.write(`job ${short(output.jobId)}: downloading ${output.filename}: ${output.error}\n`);
      }
    };
    const stopJobs = engine.on('job.changed', onJob);
    const stopOutputs = engine.on('output.changed', onOutput);
    const ticker = setInterval(evaluate, options.tickMs ?? 1000);
    for (const id of ids) {
      const job = engine.jobs.journal.get(id);
      if (job) onJob(job);
    }
  });
}

/** A line for a state a person cares about; null for states said elsewhere (outbox waits). */
function describeState(job: JobSummary): string | null {
  switch (job.state) {
    case 'outbox':
      return job.waiting ? null : 'in the outbox';
    case 'submitting':
      return 'sending to the server';
    case 'pending':
      return 'on the server, waiting its turn';
    case 'running':
      return 'running';
    case 'completed':
      return 'completed';
    case 'failed':
      return `failed${job.error ? `: ${job.error.message}` : ''}`;
    default:
      return job.state;
  }
}
