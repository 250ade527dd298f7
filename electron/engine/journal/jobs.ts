// The job journal: workflows, jobs, their append-only events, and their outputs.
// Every state change is checked against the state machine and journaled with its cause, in the
// same transaction as the change itself, so the journal never says one thing and the events another.
import { createHash } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';
import type {
  JobError,
  JobEvent,
  JobProgress,
  JobSource,
  JobState,
  JobSummary,
  OutputItem,
  OutputKind,
  OutputState,
  OutboxWait,
} from '../../../shared/jobs';
import { hasSeedInput } from '../../../shared/seeds';
import { canTransition } from '../jobs/state';

export interface NewJob {
  id: string;
  profileId: string;
  workflowId: string;
  /** The API-format prompt exactly as it will be sent, never with a key in it. */
  prompt: unknown;
  inputs?: unknown;
  state: JobState;
  source?: JobSource;
  promptId?: string | null;
  promptText?: string | null;
  createdAt?: number;
  submittedAt?: number | null;
  startedAt?: number | null;
  finishedAt?: number | null;
  error?: JobError | null;
  cause: string;
  batchId?: string | null;
  /** Its place among held jobs; after every other job when not given. */
  queueRank?: number;
  /** The servers it may run on, when more than one. */
  route?: string[] | null;
  sweep?: number[] | null;
  /** The UI-format workflow it was made from (ui_workflows), when there is one. */
  uiWorkflowId?: string | null;
}

export interface JobPatch {
  promptId?: string | null;
  submittedAt?: number | null;
  startedAt?: number | null;
  finishedAt?: number | null;
  error?: JobError | null;
  queuePosition?: number | null;
  progress?: JobProgress | null;
  waiting?: OutboxWait | null;
}

export interface NewOutput {
  nodeId: string;
  kind: OutputKind;
  filename: string;
  subfolder: string;
  type: string;
  createdAt?: number;
}

export interface StoredOutput {
  /** The image's perceptual hash, when one was made. */
  phash?: string | null;
  hash: string;
  size: number;
  mime: string;
  width: number | null;
  height: number | null;
  hasThumb: boolean;
  /** A video's or audio file's length, and a video's frame rate (ffprobe), when known. */
  durationMs?: number | null;
  fps?: number | null;
}

/** A job as the engine needs it to submit or reconcile (more than the renderer sees). */
export interface JobRecord extends JobSummary {
  prompt: Record<string, unknown>;
  inputs: unknown;
  submitAttempts: number;
  /** The process sending it, when one claimed it (see claimSubmit). */
  submitOwner: string | null;
  /** The UI-format workflow it was made from (ui_workflows), when there is one. */
  uiWorkflowId: string | null;
}

interface JobRow {
  rowid: number;
  id: string;
  profile_id: string;
  prompt_id: string | null;
  workflow_id: string;
  workflow_name: string;
  prompt_json: string;
  inputs_json: string;
  state: JobState;
  source: JobSource;
  created_at: number;
  submitted_at: number | null;
  started_at: number | null;
  finished_at: number | null;
  error_json: string | null;
  progress_json: string | null;
  queue_position: number | null;
  waiting_json: string | null;
  submit_owner: string | null;
  estimated_ms: number | null;
  submit_attempts: number;
  batch_id: string | null;
  queue_rank: number | null;
  route_json: string | null;
  sweep_json: string | null;
  replaced_by: string | null;
  ui_workflow_id: string | null;
  output_count: number;
  cover_hash: string | null;
}

export interface OutputRow {
  id: number;
  job_id: string;
  node_id: string;
  kind: OutputKind;
  filename: string;
  subfolder: string;
  type: string;
  state: OutputState;
  last_error: string | null;
  hash: string | null;
  size: number | null;
  mime: string | null;
  width: number | null;
  height: number | null;
  has_thumb: number;
  duration_ms: number | null;
  fps: number | null;
  favorite: number;
  created_at: number;
}

/** This process, as the journal names the sender of a job: pid and when it started (the claim adds when). */
export const SUBMIT_OWNER = `${process.pid}:${Date.now()}`;

/** A download that failed is tried again on the next start or reconnect, up to this many rounds. */
const MAX_DOWNLOAD_ROUNDS = 20;

/**
 * For a job still to finish: the mean run time of the last 10 completed runs of a workflow of the
 * same name on the same server (seeds change the workflow's id, not its name).
 */
// The last runs are read from their own index (jobs_done_runs): by the plan SQLite would choose, the
// index of the server's jobs (jobs_profile, migration 12), a job read while it runs read every job of
// its server (ingest at a third of its speed).
const ESTIMATE = `CASE WHEN j.state IN ('outbox', 'submitting', 'pending', 'running') THEN (
    SELECT AVG(d) FROM (
      SELECT p.finished_at - p.started_at AS d FROM workflows pw JOIN jobs p INDEXED BY jobs_done_runs ON p.workflow_id = pw.id
      WHERE pw.name = w.name AND p.profile_id = j.profile_id AND p.state = 'completed'
        AND p.started_at IS NOT NULL AND p.finished_at > p.started_at
      ORDER BY p.finished_at DESC LIMIT 10)) END`;

/**
 * A run's own output is what it saved: a PreviewImage's temporary file only where it saved nothing.
 * The order of a job's outputs wherever one of them stands for the run (cover, grid cell, strip).
 */
export const SAVED_FIRST = `(o.type = 'temp'), o.id LIMIT 1`;

/** An output its job shows: not deleted, or kept out of the gallery only as the same file as another's. */
const OWN_OUTPUT = `(o.deleted_at IS NULL OR o.same_as IS NOT NULL)`;

export const JOB_SELECT = `
  SELECT j.rowid, j.*, w.name AS workflow_name, ${ESTIMATE} AS estimated_ms,
    (SELECT COUNT(*) FROM outputs o WHERE o.job_id = j.id AND ${OWN_OUTPUT}) AS output_count,
    (SELECT o.hash FROM outputs o WHERE o.job_id = j.id AND o.state = 'stored' AND o.kind = 'image'
       AND ${OWN_OUTPUT} ORDER BY ${SAVED_FIRST}) AS cover_hash
  FROM jobs j JOIN workflows w ON w.id = j.workflow_id`;

/** Canonical JSON (sorted keys), so the same workflow always hashes to the same id. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

export function workflowIdOf(prompt: unknown): string {
  return createHash('sha256').update(canonicalJson(prompt)).digest('hex');
}

/** Takes secrets out of anything the journal is about to keep (the engine's Redactor). */
export type JournalRedactor = (value: unknown) => unknown;

export class JobJournal {
  private readonly stmt: Record<string, Statement>;

  /**
   * `redact` is applied to every piece of text that came from outside before it is stored: causes,
   * event data, errors, why a job waits, why a download failed. A server that echoes the key back
   * in an error never gets it written to disk.
   */
  constructor(
    private readonly db: Database,
    private readonly redact: JournalRedactor = (value) => value,
  ) {
    this.stmt = {
      upsertWorkflow: db.prepare(
        `INSERT INTO workflows (id, name, api_json, created_at, last_used_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET last_used_at = excluded.last_used_at`,
      ),
      insertJob: db.prepare(
        `INSERT INTO jobs (id, profile_id, prompt_id, workflow_id, prompt_json, inputs_json, state, source,
           created_at, submitted_at, started_at, finished_at, updated_at, error_json, prompt_text,
           batch_id, queue_rank, route_json, sweep_json, ui_workflow_id)
         VALUES (@id, @profileId, @promptId, @workflowId, @promptJson, @inputsJson, @state, @source,
           @createdAt, @submittedAt, @startedAt, @finishedAt, @createdAt, @errorJson, @promptText,
           @batchId, coalesce(@queueRank, (SELECT coalesce(max(queue_rank), 0) + 1 FROM jobs)), @routeJson, @sweepJson,
           @uiWorkflowId)`,
      ),
      jobById: db.prepare(`${JOB_SELECT} WHERE j.id = ?`),
      jobByPromptId: db.prepare(`${JOB_SELECT} WHERE j.profile_id = ? AND j.prompt_id = ?`),
      state: db.prepare(`SELECT state FROM jobs WHERE id = ?`),
      setState: db.prepare(`UPDATE jobs SET state = ?, updated_at = ? WHERE id = ?`),
      event: db.prepare(`INSERT INTO job_events (job_id, at, type, state, cause, data) VALUES (?, ?, ?, ?, ?, ?)`),
      events: db.prepare(`SELECT seq, at, type, state, cause, data FROM job_events WHERE job_id = ? ORDER BY seq`),
      progress: db.prepare(`UPDATE jobs SET progress_json = ?, updated_at = ? WHERE id = ?`),
      attempt: db.prepare(`UPDATE jobs SET submit_attempts = submit_attempts + 1 WHERE id = ?`),
      insertOutput: db.prepare(
        `INSERT INTO outputs (job_id, node_id, kind, filename, subfolder, type, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      ),
      outputKey: db.prepare(
        `SELECT * FROM outputs WHERE job_id = ? AND node_id = ? AND filename = ? AND subfolder = ? AND type = ?`,
      ),
      outputById: db.prepare(`SELECT * FROM outputs WHERE id = ?`),
      outputsOfJob: db.prepare(
        `SELECT * FROM outputs o WHERE job_id = ? AND ${OWN_OUTPUT} ORDER BY (type = 'temp'), id`,
      ),
      // The first output of an identical run (the same prompt, node and kind) with these very bytes.
      firstSame: db.prepare(
        `SELECT o.id FROM outputs o JOIN jobs j ON j.id = o.job_id, outputs me JOIN jobs mj ON mj.id = me.job_id
         WHERE me.id = ? AND o.hash = ? AND o.id <> me.id AND o.deleted_at IS NULL AND o.same_as IS NULL
           AND o.node_id = me.node_id AND o.type = me.type AND j.workflow_id = mj.workflow_id
         ORDER BY o.id LIMIT 1`,
      ),
      markSame: db.prepare(`UPDATE outputs SET same_as = ?, deleted_at = ? WHERE id = ? AND deleted_at IS NULL`),
      outputState: db.prepare(`UPDATE outputs SET state = ?, last_error = ?, attempts = attempts + ? WHERE id = ?`),
      outputStored: db.prepare(
        `UPDATE outputs SET state = 'stored', hash = ?, size = ?, mime = ?, width = ?, height = ?, has_thumb = ?,
           phash = ?, duration_ms = ?, fps = ?, last_error = NULL WHERE id = ?`,
      ),
      pendingOutputs: db.prepare(
        `SELECT o.*, j.profile_id, j.source FROM outputs o JOIN jobs j ON j.id = o.job_id
         WHERE (o.state IN ('remote', 'downloading') OR (o.state = 'failed' AND o.attempts < ${MAX_DOWNLOAD_ROUNDS}))
           AND o.deleted_at IS NULL ORDER BY o.id`,
      ),
      openJobs: db.prepare(
        `${JOB_SELECT} WHERE j.state NOT IN ('completed', 'failed', 'cancelled', 'interrupted') ORDER BY j.created_at, j.rowid`,
      ),
      searchDelete: db.prepare(`DELETE FROM job_search WHERE rowid = ?`),
      searchInsert: db.prepare(
        `INSERT INTO job_search (rowid, prompt, workflow, nodes, filenames) VALUES (?, ?, ?, ?, ?)`,
      ),
      searchSource: db.prepare(SEARCH_SOURCE),
    };
  }

  private text(value: string | null | undefined): string | null {
    return value === null || value === undefined ? null : (this.redact(value) as string);
  }

  private json(value: unknown): string | null {
    return value === undefined || value === null ? null : JSON.stringify(this.redact(value));
  }

  /** Runs `fn` in one transaction (nested calls join the outer one). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  saveWorkflow(prompt: unknown, name: string, at = Date.now()): string {
    const id = workflowIdOf(prompt);
    this.stmt.upsertWorkflow!.run(id, name, canonicalJson(prompt), at, at);
    return id;
  }

  createJob(job: NewJob): JobRecord {
    return this.transaction(() => {
      const createdAt = job.createdAt ?? Date.now();
      this.stmt.insertJob!.run({
        id: job.id,
        profileId: job.profileId,
        promptId: job.promptId ?? null,
        workflowId: job.workflowId,
        promptJson: JSON.stringify(job.prompt),
        inputsJson: JSON.stringify(job.inputs ?? {}),
        state: job.state,
        source: job.source ?? 'app',
        createdAt,
        submittedAt: job.submittedAt ?? null,
        startedAt: job.startedAt ?? null,
        finishedAt: job.finishedAt ?? null,
        errorJson: job.error ? this.json(job.error) : null,
        promptText: job.promptText ?? null,
        batchId: job.batchId ?? null,
        queueRank: job.queueRank ?? null,
        routeJson: job.route && job.route.length > 1 ? JSON.stringify(job.route) : null,
        sweepJson: job.sweep ? JSON.stringify(job.sweep) : null,
        uiWorkflowId: job.uiWorkflowId ?? null,
      });
      this.stmt.event!.run(job.id, createdAt, 'state', job.state, this.text(job.cause), null);
      this.reindex(job.id);
      return this.mustGet(job.id);
    });
  }

  get(id: string): JobRecord | null {
    const row = this.stmt.jobById!.get(id) as JobRow | undefined;
    return row ? toRecord(row) : null;
  }

  mustGet(id: string): JobRecord {
    const job = this.get(id);
    if (!job) throw new Error(`No job ${id} in the journal`);
    return job;
  }

  byPromptId(profileId: string, promptId: string): JobRecord | null {
    const row = this.stmt.jobByPromptId!.get(profileId, promptId) as JobRow | undefined;
    return row ? toRecord(row) : null;
  }

  openJobs(): JobRecord[] {
    return (this.stmt.openJobs!.all() as JobRow[]).map(toRecord);
  }

  /**
   * Moves a job to `to` if the state machine allows it, journaling the cause. Returns false (and
   * changes nothing) when it does not: a stale or duplicate message is simply ignored.
   */
  transition(id: string, to: JobState, cause: string, patch: JobPatch = {}, data?: unknown): boolean {
    return this.transaction(() => {
      const row = this.stmt.state!.get(id) as { state: JobState } | undefined;
      if (!row) return false;
      if (row.state !== to && !canTransition(row.state, to)) return false;
      const now = Date.now();
      if (row.state !== to) {
        this.stmt.setState!.run(to, now, id);
        // Why it waited in the outbox stops being true once it is sent (or ends).
        if (to !== 'outbox' && to !== 'submitting' && patch.waiting === undefined) patch = { ...patch, waiting: null };
        this.stmt.event!.run(id, now, 'state', to, this.text(cause), this.json(data));
      }
      this.patch(id, patch);
      return row.state !== to;
    });
  }

  patch(id: string, patch: JobPatch): void {
    const sets: string[] = [];
    const values: unknown[] = [];
    const column = (name: string, value: unknown): void => {
      sets.push(`${name} = ?`);
      values.push(value);
    };
    if (patch.promptId !== undefined) column('prompt_id', patch.promptId);
    if (patch.submittedAt !== undefined) column('submitted_at', patch.submittedAt);
    if (patch.startedAt !== undefined) column('started_at', patch.startedAt);
    if (patch.finishedAt !== undefined) column('finished_at', patch.finishedAt);
    if (patch.error !== undefined) column('error_json', this.json(patch.error));
    if (patch.queuePosition !== undefined) column('queue_position', patch.queuePosition);
    if (patch.progress !== undefined) column('progress_json', patch.progress ? JSON.stringify(patch.progress) : null);
    if (patch.waiting !== undefined) column('waiting_json', this.json(patch.waiting));
    if (sets.length === 0) return;
    column('updated_at', Date.now());
    this.db.prepare(`UPDATE jobs SET ${sets.join(', ')} WHERE id = ?`).run(...values, id);
  }

  setProgress(id: string, progress: JobProgress): void {
    this.stmt.progress!.run(JSON.stringify(progress), Date.now(), id);
  }

  /** The prompt changed before it was sent (its input images renamed for the server it goes to). */
  setPrompt(id: string, prompt: unknown, cause: string): void {
    this.transaction(() => {
      this.db
        .prepare('UPDATE jobs SET prompt_json = ?, updated_at = ? WHERE id = ?')
        .run(JSON.stringify(prompt), Date.now(), id);
      this.appendEvent(id, 'prompt', cause);
    });
  }

  /** The server said it did not take the job: no lookup is needed before sending it anywhere. */
  unpin(id: string): void {
    this.db.prepare('UPDATE jobs SET submit_attempts = 0 WHERE id = ?').run(id);
  }

  /** A failed run retried in its batch: the batch counts the retry in its place. */
  replacedBy(id: string, newId: string): void {
    this.db.prepare('UPDATE jobs SET replaced_by = ? WHERE id = ?').run(newId, id);
  }

  countSubmitAttempt(id: string): void {
    this.stmt.attempt!.run(id);
  }

  /**
   * Claims a job for sending, for this process: one in the outbox, or one left "submitting"
   * without a prompt_id, that no other live process has claimed (a claim of a process that is
   * gone, after a crash or an exit, is taken over). Null when another live process holds it: the
   * app and the command line may share this journal, and only one may send a job.
   */
  claimSubmit(id: string, isGone: (owner: string | null) => boolean): JobRecord | null {
    return this.transaction(() => {
      const row = this.db.prepare('SELECT state, prompt_id, submit_owner FROM jobs WHERE id = ?').get(id) as
        { state: JobState; prompt_id: string | null; submit_owner: string | null } | undefined;
      if (!row) return null;
      const sendable = row.state === 'outbox' || (row.state === 'submitting' && row.prompt_id === null);
      const claimable = sendable && isGone(row.submit_owner);
      if (!claimable) return null;
      this.db.prepare('UPDATE jobs SET submit_owner = ? WHERE id = ?').run(`${SUBMIT_OWNER}:${Date.now()}`, id);
      return this.get(id);
    });
  }

  appendEvent(id: string, type: string, cause?: string, data?: unknown, at = Date.now()): void {
    this.stmt.event!.run(id, at, type, null, this.text(cause), this.json(data));
  }

  events(id: string): JobEvent[] {
    const rows = this.stmt.events!.all(id) as {
      seq: number;
      at: number;
      type: string;
      state: JobState | null;
      cause: string | null;
      data: string | null;
    }[];
    return rows.map((r) => {
      const e: JobEvent = { seq: r.seq, at: r.at, type: r.type };
      if (r.state) e.state = r.state;
      if (r.cause) e.cause = r.cause;
      if (r.data) e.data = JSON.parse(r.data) as unknown;
      return e;
    });
  }

  /** Records an output the server announced; the same output announced twice is kept once. */
  addOutput(jobId: string, output: NewOutput): { item: OutputItem; added: boolean } {
    const info = this.stmt.insertOutput!.run(
      jobId,
      output.nodeId,
      output.kind,
      output.filename,
      output.subfolder,
      output.type,
      output.createdAt ?? Date.now(),
    );
    const row = this.stmt.outputKey!.get(
      jobId,
      output.nodeId,
      output.filename,
      output.subfolder,
      output.type,
    ) as OutputRow;
    if (info.changes > 0) this.reindex(jobId);
    return { item: toOutput(row), added: info.changes > 0 };
  }

  /** Where a file lives when it was imported in place rather than copied into the store. */
  referencedPath(hash: string): string | null {
    const row = this.db
      .prepare(
        'SELECT source_path FROM outputs WHERE hash = ? AND source_path IS NOT NULL AND deleted_at IS NULL LIMIT 1',
      )
      .get(hash) as { source_path: string } | undefined;
    return row?.source_path ?? null;
  }

  setSourcePath(outputId: number, path: string): void {
    this.db.prepare('UPDATE outputs SET source_path = ? WHERE id = ?').run(path, outputId);
  }

  /** The outputs (not deleted) whose file has this content hash. */
  outputIdsByHash(hash: string): number[] {
    return this.db
      .prepare('SELECT id FROM outputs WHERE hash = ? AND deleted_at IS NULL')
      .pluck()
      .all(hash) as number[];
  }

  hasOutputWithHash(hash: string): boolean {
    return (
      this.db.prepare('SELECT 1 FROM outputs WHERE hash = ? AND deleted_at IS NULL LIMIT 1').get(hash) !== undefined
    );
  }

  output(id: number): OutputItem | null {
    const row = this.stmt.outputById!.get(id) as OutputRow | undefined;
    return row ? toOutput(row) : null;
  }

  outputs(jobId: string): OutputItem[] {
    return (this.stmt.outputsOfJob!.all(jobId) as OutputRow[]).map(toOutput);
  }

  /** Outputs still to download: never finished, or failed fewer than MAX_DOWNLOAD_ROUNDS times. */
  pendingOutputs(): (OutputItem & { profileId: string; source: JobSource })[] {
    return (this.stmt.pendingOutputs!.all() as (OutputRow & { profile_id: string; source: JobSource })[]).map((r) => ({
      ...toOutput(r),
      profileId: r.profile_id,
      source: r.source,
    }));
  }

  markOutput(id: number, state: OutputState, error: string | null = null, countAttempt = false): void {
    this.stmt.outputState!.run(state, this.text(error), countAttempt ? 1 : 0, id);
  }

  outputStored(id: number, stored: StoredOutput): void {
    this.stmt.outputStored!.run(
      stored.hash,
      stored.size,
      stored.mime,
      stored.width,
      stored.height,
      stored.hasThumb ? 1 : 0,
      stored.phash ?? null,
      stored.durationMs ?? null,
      stored.fps ?? null,
      id,
    );
    // ComfyUI answers an identical prompt from its cache with the same file: the gallery shows it once.
    const first = this.stmt.firstSame!.get(id, stored.hash) as { id: number } | undefined;
    if (first) this.stmt.markSame!.run(first.id, Date.now(), id);
  }

  /** Rebuilds every job's full-text row (after the words a row holds changed). */
  reindexAll(): void {
    rebuildSearch(this.db);
  }

  /** Rebuilds the job's full-text row from the journal (prompt text, workflow name, node types, filenames). */
  reindex(jobId: string): void {
    reindexJob(this.stmt, jobId);
  }
}

const SEARCH_SOURCE = `SELECT j.rowid, j.prompt_text, j.prompt_json, w.name,
     (SELECT group_concat(o.filename, ' ') FROM outputs o WHERE o.job_id = j.id) AS filenames
   FROM jobs j JOIN workflows w ON w.id = j.workflow_id WHERE j.id = ?`;

/**
 * Rebuilds every job's full-text row. Uses only the columns every version of the journal has, so
 * a migration may call it before later ones add theirs.
 */
export function rebuildSearch(db: Database): void {
  const stmt = {
    searchSource: db.prepare(SEARCH_SOURCE),
    searchDelete: db.prepare(`DELETE FROM job_search WHERE rowid = ?`),
    searchInsert: db.prepare(
      `INSERT INTO job_search (rowid, prompt, workflow, nodes, filenames) VALUES (?, ?, ?, ?, ?)`,
    ),
  };
  const ids = db.prepare('SELECT id FROM jobs').pluck().all() as string[];
  db.transaction(() => ids.forEach((id) => reindexJob(stmt, id)))();
}

function reindexJob(stmt: Record<string, Statement>, jobId: string): void {
  const row = stmt.searchSource!.get(jobId) as
    | { rowid: number; prompt_text: string | null; prompt_json: string; name: string; filenames: string | null }
    | undefined;
  if (!row) return;
  stmt.searchDelete!.run(row.rowid);
  stmt.searchInsert!.run(
    row.rowid,
    row.prompt_text ?? '',
    row.name,
    classTypesOf(row.prompt_json).join(' '),
    [row.filenames ?? '', ...inputFilesOf(row.prompt_json)].join(' ').trim(),
  );
}

/** A file name a node takes (an image, a mask, a video): "my_photo-mask.png". */
const INPUT_FILE = /\.(png|jpe?g|webp|gif|bmp|tiff?|mp4|webm|mov|mkv|wav|mp3|flac|ogg)$/i;

/** The files a job's nodes read (LoadImage's image…): a search for "my_photo" finds the jobs made from it. */
export function inputFilesOf(promptJson: string): string[] {
  try {
    const prompt = JSON.parse(promptJson) as Record<string, { inputs?: Record<string, unknown> }>;
    const names = new Set<string>();
    for (const node of Object.values(prompt))
      for (const value of Object.values(node?.inputs ?? {}))
        if (typeof value === 'string' && value.length <= 512 && INPUT_FILE.test(value)) names.add(value);
    return [...names];
  } catch {
    return [];
  }
}

/**
 * The node types of a prompt as search words: each name whole, and its words apart ("ImageInvert"
 * is also "Image Invert", "VAEDecode" also "VAE Decode"), so "invert" finds it.
 */
export function classTypesOf(promptJson: string): string[] {
  try {
    const prompt = JSON.parse(promptJson) as Record<string, { class_type?: unknown }>;
    const words = new Set<string>();
    for (const node of Object.values(prompt)) {
      if (typeof node?.class_type !== 'string') continue;
      words.add(node.class_type);
      for (const part of node.class_type.split(/(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|[^A-Za-z0-9]+/))
        if (part) words.add(part);
    }
    return [...words];
  } catch {
    return [];
  }
}

function parseJson<T>(text: string | null): T | null {
  if (!text) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}

function toRecord(row: JobRow): JobRecord {
  const prompt = parseJson<Record<string, unknown>>(row.prompt_json) ?? {};
  return {
    id: row.id,
    profileId: row.profile_id,
    promptId: row.prompt_id,
    workflowId: row.workflow_id,
    workflowName: row.workflow_name,
    state: row.state,
    source: row.source,
    createdAt: row.created_at,
    submittedAt: row.submitted_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    progress: parseJson<JobProgress>(row.progress_json),
    error: parseJson<JobError>(row.error_json),
    outputCount: row.output_count,
    coverHash: row.cover_hash,
    queuePosition: row.queue_position,
    waiting: parseJson<OutboxWait>(row.waiting_json),
    estimatedMs: row.estimated_ms === null ? null : Math.round(row.estimated_ms),
    hasSeed: hasSeedInput(prompt),
    batchId: row.batch_id,
    queueRank: row.queue_rank ?? row.rowid,
    route: parseJson<string[]>(row.route_json),
    sweep: parseJson<number[]>(row.sweep_json),
    replacedBy: row.replaced_by,
    prompt,
    inputs: parseJson<unknown>(row.inputs_json) ?? {},
    submitAttempts: row.submit_attempts,
    submitOwner: row.submit_owner,
    uiWorkflowId: row.ui_workflow_id ?? null,
  };
}

export function toSummary(job: JobRecord): JobSummary {
  const { prompt: _p, inputs: _i, submitAttempts: _s, submitOwner: _o, uiWorkflowId: _u, ...summary } = job;
  return summary;
}

export function toOutput(row: OutputRow): OutputItem {
  return {
    id: row.id,
    jobId: row.job_id,
    nodeId: row.node_id,
    kind: row.kind,
    filename: row.filename,
    subfolder: row.subfolder,
    type: row.type,
    state: row.state,
    error: row.last_error ?? null,
    hash: row.hash,
    hasThumb: row.has_thumb === 1,
    size: row.size,
    mime: row.mime,
    width: row.width,
    height: row.height,
    durationMs: row.duration_ms ?? null,
    fps: row.fps ?? null,
    favorite: row.favorite === 1,
    createdAt: row.created_at,
  };
}
