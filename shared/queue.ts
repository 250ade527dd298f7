// The app's own queue: jobs held in the journal and released to each server as it has room,
// batches (runs submitted together), sweeps (the product of an input's values), and the grammar
// of a sweep's values, shared by the workflow form and the command line.
import type { JobState, JobSummary } from './jobs';

/** How many of ours may be on a server at once when the person has not said. */
export const DEFAULT_WINDOW = { cloud: 4, local: 2 } as const;
export const MAX_WINDOW = 64;
/** The most runs one submission (a count times a sweep) may make. */
export const MAX_BATCH_RUNS = 1000;
/** A sweep varies at most two inputs: rows and columns of its grid. */
export const MAX_SWEEP_AXES = 2;

export type BatchKind = 'count' | 'sweep' | 'rerun';

/** One input a sweep varies, and the values it takes (in order: the grid's rows or columns). */
export interface SweepAxis {
  nodeId: string;
  input: string;
  values: (string | number | boolean)[];
}

export interface ServerQueue {
  profileId: string;
  name: string;
  kind: 'cloud' | 'local';
  paused: boolean;
  /** How many of ours may be on it at once (the person's setting, or the default for its kind). */
  window: number;
  /** Whether `window` is the default for its kind. */
  defaultWindow: boolean;
  /** Ours on it now: being sent, waiting in its queue, or running. */
  inFlight: number;
  /** Held here and meant only for it (a spread job is counted under `spread`). */
  held: number;
  online: boolean;
}

export interface QueueState {
  /** All dispatch paused: nothing is sent to any server. */
  paused: boolean;
  servers: ServerQueue[];
  /** Held jobs that may go to any of several servers. */
  spread: number;
}

export interface BatchCounts {
  total: number;
  held: number;
  active: number;
  completed: number;
  failed: number;
  cancelled: number;
}

export interface BatchSummary {
  id: string;
  name: string;
  /** A CSS colour (#rrggbb) the person chose, or null. */
  color: string | null;
  kind: BatchKind;
  createdAt: number;
  paused: boolean;
  /** The servers its jobs may run on. */
  profileIds: string[];
  /** The servers its runs were sent to so far (the ones that did its work), in the order of profileIds. */
  ranOn: string[];
  axes: SweepAxis[];
  counts: BatchCounts;
  /** 0..1: finished jobs, plus the running ones' own progress. */
  progress: number;
  /** How long until it is done, from past runs of the same workflow on the same servers; null when unknown. */
  remainingMs: number | null;
  coverHash: string | null;
  workflowName: string;
}

/** A cell of a sweep's grid: its job and the first image it made. */
export interface SweepCell {
  row: number;
  col: number;
  jobId: string;
  state: JobState;
  hash: string | null;
}

export interface BatchDetail {
  batch: BatchSummary;
  jobs: JobSummary[];
  /** For a sweep: one cell per job (rows: the first axis, columns: the second). */
  cells: SweepCell[];
}

/** Where held jobs go in the queue's order. */
export type MovePlace = 'front' | 'back' | 'before' | 'after';

/** A value as a label: what the grid's rows and columns are named by. */
export function sweepLabel(axis: Pick<SweepAxis, 'input'>, value: SweepAxis['values'][number]): string {
  const text = typeof value === 'number' ? String(Number(value.toPrecision(8))) : String(value);
  return `${axis.input} = ${text.length > 40 ? `${text.slice(0, 39)}…` : text}`;
}

/** How many runs a sweep makes (1 without axes). */
export function sweepSize(axes: readonly Pick<SweepAxis, 'values'>[]): number {
  return axes.reduce((n, axis) => n * axis.values.length, 1);
}

/**
 * Reads a sweep's values as a person writes them:
 *   "4, 6, 8" or one per line → a list (numbers where the input is a number);
 *   "1..4" → 1, 2, 3, 4; "0.5..1.5:0.25" → 0.5, 0.75, …, 1.5 (a range with a step).
 * `numeric` says whether the input takes numbers (INT/FLOAT): then every value must be one.
 * Throws an Error whose message says what is wrong, for a person.
 */
export function parseSweepValues(text: string, numeric: boolean, limit = MAX_BATCH_RUNS): (string | number)[] {
  const trimmed = text.trim();
  if (!trimmed) throw new Error('Give at least one value.');
  const range = /^(-?\d+(?:\.\d+)?)\s*\.\.\s*(-?\d+(?:\.\d+)?)(?:\s*:\s*(\d+(?:\.\d+)?))?$/.exec(trimmed);
  if (range && numeric) {
    const from = Number(range[1]);
    const to = Number(range[2]);
    const step = range[3] === undefined ? 1 : Number(range[3]);
    if (!(step > 0)) throw new Error('The step of a range must be more than 0.');
    const count = Math.floor(Math.abs(to - from) / step + 1e-9) + 1;
    if (count > limit) throw new Error(`${trimmed} makes ${count} values; at most ${limit}.`);
    const sign = to >= from ? 1 : -1;
    // Computed from the start each time, rounded, so 0.1 steps do not drift (0.30000000000000004).
    return Array.from({ length: count }, (_, i) => Number((from + sign * i * step).toFixed(10)));
  }
  const parts = (trimmed.includes('\n') ? trimmed.split('\n') : trimmed.split(','))
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  if (parts.length > limit) throw new Error(`${parts.length} values; at most ${limit}.`);
  if (!numeric) return parts;
  return parts.map((p) => {
    const n = Number(p);
    if (!Number.isFinite(n) || p === '') throw new Error(`"${p}" is not a number.`);
    return n;
  });
}

/** Held here, in the app's own queue: not yet sent to any server. */
export function isHeld(job: Pick<JobSummary, 'state'>): boolean {
  return job.state === 'outbox';
}
