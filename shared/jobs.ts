// The app's own model of jobs and outputs, as the journal keeps them and the renderer shows them.
// (The server's wire shapes are in comfy.ts; these are what Comfy Desk makes of them.)

/** draft → outbox → submitting → pending → running → completed | failed | cancelled | interrupted */
export const JOB_STATES = [
  'draft',
  'outbox',
  'submitting',
  'pending',
  'running',
  'completed',
  'failed',
  'cancelled',
  'interrupted',
] as const;

export type JobState = (typeof JOB_STATES)[number];

export const FINAL_JOB_STATES: readonly JobState[] = ['completed', 'failed', 'cancelled', 'interrupted'];

export function isFinalJobState(state: JobState): boolean {
  return FINAL_JOB_STATES.includes(state);
}

/** Where a job came from: submitted here, imported from the account's history, or read from a folder. */
export type JobSource = 'app' | 'sync' | 'import';

export type OutputKind = 'image' | 'video' | 'audio' | 'text';

/** remote → downloading → stored | failed */
export type OutputState = 'remote' | 'downloading' | 'stored' | 'failed';

export interface NodeInputProblem {
  /** The input's name, when the server named one. */
  input?: string;
  message: string;
  /** The server's error type, e.g. value_not_in_list. */
  type?: string;
}

export interface NodeProblem {
  nodeId: string;
  classType?: string;
  /** The node's title from the workflow's _meta, if any. */
  title?: string;
  problems: NodeInputProblem[];
}

export interface JobError {
  /** rejected: the server refused the workflow (400); execution: a node failed while running. */
  kind: 'rejected' | 'execution' | 'server' | 'lost';
  message: string;
  nodeId?: string;
  nodeType?: string;
  nodeTitle?: string;
  exceptionType?: string;
  /** The server's traceback, last lines, for an execution error. */
  traceback?: string[];
  /** For a rejected submission: every node_errors entry mapped to the node and the input. */
  nodes?: NodeProblem[];
}

/** Why a job is still in the outbox after an attempt to send it. */
export interface OutboxWait {
  /** What went wrong, for a person. */
  message: string;
  /** Only the person can fix it (a refused key, no credits, access denied): not retried on its own soon. */
  needsPerson: boolean;
  /** When the next attempt is planned (epoch ms), if one is. */
  retryAt: number | null;
}

export interface JobProgress {
  /** 0..1 over the whole workflow (nodes done + the current node's fraction). */
  overall: number;
  /** The node executing now, if known. */
  nodeId: string | null;
  nodeTitle: string | null;
  value: number;
  max: number;
  nodesDone: number;
  nodesTotal: number;
  /** Each node the server reported on (progress_state): finished, then running, then waiting. */
  nodes?: NodeProgress[];
}

export interface NodeProgress {
  nodeId: string;
  title: string | null;
  state: 'pending' | 'running' | 'finished' | 'error';
  value: number;
  max: number;
}

export interface JobSummary {
  id: string;
  profileId: string;
  promptId: string | null;
  workflowId: string;
  workflowName: string;
  state: JobState;
  source: JobSource;
  createdAt: number;
  submittedAt: number | null;
  startedAt: number | null;
  finishedAt: number | null;
  progress: JobProgress | null;
  error: JobError | null;
  outputCount: number;
  /** Content hash of the first stored image output, for a thumbnail. */
  coverHash: string | null;
  /** Place in the server queue when pending, if known. */
  queuePosition: number | null;
  /** In the outbox after a failed attempt: why, and what happens next. */
  waiting: OutboxWait | null;
  /** For an open job: how long a run of this workflow took on this server lately (ms), if known. */
  estimatedMs: number | null;
  /** Whether its workflow has a seed input (so "run again with a new seed" means something). */
  hasSeed: boolean;
  /** The batch it was submitted in (a count, a sweep, a re-run of a selection), if any. */
  batchId: string | null;
  /** Its place in the app's own queue while held (lower goes first). */
  queueRank: number;
  /** The servers it may run on, when more than one (it runs on `profileId` once sent). */
  route: string[] | null;
  /** For a sweep: its index on each axis (row, then column). */
  sweep: number[] | null;
  /** A failed run retried in its batch: the job that runs in its place. */
  replacedBy: string | null;
}

export interface JobEvent {
  seq: number;
  at: number;
  /** e.g. state, progress, executed, execution_error, submit, reconcile */
  type: string;
  /** The state entered, for state transitions. */
  state?: JobState;
  /** Why, written for a person (e.g. "WebSocket: execution_success", "reconcile: server says completed"). */
  cause?: string;
  data?: unknown;
}

export interface OutputItem {
  id: number;
  jobId: string;
  nodeId: string;
  kind: OutputKind;
  /** The server's filename, kept as metadata only: never part of a path. */
  filename: string;
  subfolder: string;
  type: string;
  state: OutputState;
  /** Why the last download attempt failed (while retrying, or when failed). */
  error: string | null;
  hash: string | null;
  hasThumb: boolean;
  size: number | null;
  mime: string | null;
  width: number | null;
  height: number | null;
  /** A video's or audio file's length in ms, when stored and known. */
  durationMs: number | null;
  /** A video's average frame rate, when stored and known. */
  fps: number | null;
  favorite: boolean;
  createdAt: number;
}

/**
 * What a run made, as a person takes it away: its saved outputs; a PreviewImage's temporary files
 * only where it saved nothing (the journal orders a run's outputs the same way: SAVED_FIRST).
 */
export function keptOutputs<T extends Pick<OutputItem, 'type'>>(outputs: readonly T[]): T[] {
  const saved = outputs.filter((o) => o.type !== 'temp');
  return saved.length > 0 ? saved : [...outputs];
}

/** A gallery cell: an output with what the grid and the lightbox show about its job. */
export interface GalleryItem extends OutputItem {
  /** The server its job ran on. */
  profileId: string;
  /** The person's rating, 1 to 5, or null. */
  rating: number | null;
  tags: string[];
  /** A perceptual hash of an image (16 hex digits), once made: near-identical images are close. */
  phash: string | null;
  workflowName: string;
  promptText: string | null;
  jobState: JobState;
}
