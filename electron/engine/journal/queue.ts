// The app's own queue in the journal: held jobs in order, what each server has of ours, its window
// and pause, and batches. The dispatcher reads it lean (no per-row subqueries): it runs on every send.
import { randomUUID } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';
import type { JobState } from '../../../shared/jobs';
import {
  DEFAULT_WINDOW,
  type BatchCounts,
  type BatchKind,
  type BatchSummary,
  type MovePlace,
  type SweepAxis,
  type SweepCell,
} from '../../../shared/queue';
import { DeskError } from '../../../shared/errors';
import { SAVED_FIRST } from './jobs';

/** A held job as the dispatcher sees it. */
export interface HeldJob {
  id: string;
  /** Where it would run (its only server, or the first of its route). */
  profileId: string;
  /** The servers it may run on (one or more). */
  route: string[];
  batchId: string | null;
  batchPaused: boolean;
  rank: number;
  /** Sent before without a clear answer: it must be looked up on `profileId` before going anywhere else. */
  pinned: boolean;
  submitOwner: string | null;
  workflowName: string;
}

export interface ServerControl {
  profileId: string;
  name: string;
  kind: 'cloud' | 'local';
  window: number;
  defaultWindow: boolean;
  paused: boolean;
}

export interface NewBatch {
  name: string;
  color: string | null;
  kind: BatchKind;
  profileIds: string[];
  axes: SweepAxis[];
}

interface BatchRow {
  id: string;
  name: string;
  color: string | null;
  kind: BatchKind;
  profiles_json: string;
  axes_json: string;
  paused: number;
  created_at: number;
}

const PAUSED_KEY = 'queue.paused';
/** Spelled as the partial index jobs_open is, so SQLite reads open jobs only (not the whole history). */
const OPEN = `j.state NOT IN ('completed', 'failed', 'cancelled', 'interrupted')`;
const OPEN_STATES: readonly JobState[] = ['submitting', 'pending', 'running'];

export class QueueJournal {
  private readonly q: Record<string, Statement>;

  constructor(private readonly db: Database) {
    this.q = {
      held: db.prepare(
        `SELECT j.id, j.profile_id, j.route_json, j.batch_id, coalesce(b.paused, 0) AS batch_paused,
           coalesce(j.queue_rank, j.rowid) AS rank, j.submit_attempts, j.submit_owner, w.name AS workflow_name
         FROM jobs j JOIN workflows w ON w.id = j.workflow_id LEFT JOIN batches b ON b.id = j.batch_id
         WHERE ${OPEN} AND j.state IN ('outbox', 'submitting') AND (j.state = 'outbox' OR j.prompt_id IS NULL)
         ORDER BY rank, j.rowid`,
      ),
      inFlight: db.prepare(
        `SELECT j.profile_id, w.name, count(*) AS n FROM jobs j JOIN workflows w ON w.id = j.workflow_id
         WHERE ${OPEN} AND j.state IN ('submitting', 'pending', 'running')
           AND (j.state <> 'submitting' OR j.prompt_id IS NOT NULL)
         GROUP BY j.profile_id, w.name`,
      ),
      maxRank: db.prepare(`SELECT max(queue_rank) AS r FROM jobs`),
      controls: db.prepare(
        `SELECT id, name, kind, queue_window, paused FROM profiles ORDER BY position, created_at, id`,
      ),
      setRank: db.prepare(`UPDATE jobs SET queue_rank = ? WHERE id = ? AND state = 'outbox'`),
      pausedGet: db.prepare(`SELECT value_json FROM settings WHERE key = '${PAUSED_KEY}'`),
      pausedPut: db.prepare(
        `INSERT INTO settings (key, value_json, updated_at) VALUES ('${PAUSED_KEY}', ?, ?)
         ON CONFLICT(key) DO UPDATE SET value_json = excluded.value_json, updated_at = excluded.updated_at`,
      ),
      insertBatch: db.prepare(
        `INSERT INTO batches (id, name, color, kind, profiles_json, axes_json, paused, created_at)
         VALUES (?, ?, ?, ?, ?, ?, 0, ?)`,
      ),
      batch: db.prepare(`SELECT * FROM batches WHERE id = ?`),
      batches: db.prepare(`SELECT * FROM batches ORDER BY created_at DESC, rowid DESC LIMIT ?`),
      batchCounts: db.prepare(
        `SELECT state, count(*) AS n FROM jobs WHERE batch_id = ? AND replaced_by IS NULL GROUP BY state`,
      ),
      batchOpen: db.prepare(
        `SELECT j.profile_id, w.name, j.state, j.progress_json FROM jobs j JOIN workflows w ON w.id = j.workflow_id
         WHERE j.batch_id = ? AND j.state IN ('outbox', 'submitting', 'pending', 'running')`,
      ),
      batchCover: db.prepare(
        `SELECT o.hash FROM outputs o JOIN jobs j ON j.id = o.job_id WHERE j.batch_id = ? AND o.state = 'stored'
           AND o.kind = 'image' AND o.deleted_at IS NULL ORDER BY ${SAVED_FIRST}`,
      ),
      batchRanOn: db.prepare(
        `SELECT DISTINCT profile_id FROM jobs WHERE batch_id = ? AND replaced_by IS NULL AND submitted_at IS NOT NULL`,
      ),
      batchName: db.prepare(
        `SELECT w.name FROM jobs j JOIN workflows w ON w.id = j.workflow_id WHERE j.batch_id = ? LIMIT 1`,
      ),
      batchJobIds: db.prepare(
        `SELECT id FROM jobs WHERE batch_id = ? AND replaced_by IS NULL ORDER BY coalesce(queue_rank, rowid), rowid`,
      ),
      cells: db.prepare(
        `SELECT j.id, j.state, j.sweep_json,
           (SELECT o.hash FROM outputs o WHERE o.job_id = j.id AND o.state = 'stored' AND o.kind = 'image'
              AND o.deleted_at IS NULL ORDER BY ${SAVED_FIRST}) AS hash
         FROM jobs j WHERE j.batch_id = ? AND j.sweep_json IS NOT NULL AND j.replaced_by IS NULL`,
      ),
      // Mean run time of the last 10 completed runs of a workflow of this name on this server.
      estimate: db.prepare(
        `SELECT AVG(d) AS ms FROM (
           SELECT p.finished_at - p.started_at AS d FROM workflows pw JOIN jobs p ON p.workflow_id = pw.id
           WHERE pw.name = ? AND p.profile_id = ? AND p.state = 'completed'
             AND p.started_at IS NOT NULL AND p.finished_at > p.started_at
           ORDER BY p.finished_at DESC LIMIT 10)`,
      ),
    };
  }

  /**
   * Every held job, first to go first: in the outbox, or left "submitting" without an answer (a
   * crash mid-send; it is looked up on its server before anything else).
   */
  held(): HeldJob[] {
    const rows = this.q.held!.all() as {
      id: string;
      profile_id: string;
      route_json: string | null;
      batch_id: string | null;
      batch_paused: number;
      rank: number;
      submit_attempts: number;
      submit_owner: string | null;
      workflow_name: string;
    }[];
    return rows.map((r) => ({
      id: r.id,
      profileId: r.profile_id,
      route: routeOf(r.route_json, r.profile_id),
      batchId: r.batch_id,
      batchPaused: r.batch_paused === 1,
      rank: r.rank,
      pinned: r.submit_attempts > 0,
      submitOwner: r.submit_owner,
      workflowName: r.workflow_name,
    }));
  }

  /** Ours on each server now (queued there or running), by workflow name. */
  inFlight(): Map<string, { name: string; n: number }[]> {
    const rows = this.q.inFlight!.all() as { profile_id: string; name: string; n: number }[];
    const out = new Map<string, { name: string; n: number }[]>();
    for (const r of rows) out.set(r.profile_id, [...(out.get(r.profile_id) ?? []), { name: r.name, n: r.n }]);
    return out;
  }

  /** The rank after every job there is: where new jobs go. */
  nextRank(): number {
    return Math.floor((this.q.maxRank!.get() as { r: number | null }).r ?? 0) + 1;
  }

  /** Each server's window and pause, in the profiles' order. */
  controls(): ServerControl[] {
    const rows = this.q.controls!.all() as {
      id: string;
      name: string;
      kind: 'cloud' | 'local';
      queue_window: number | null;
      paused: number;
    }[];
    return rows.map((r) => ({
      profileId: r.id,
      name: r.name,
      kind: r.kind,
      window: r.queue_window ?? DEFAULT_WINDOW[r.kind],
      defaultWindow: r.queue_window === null,
      paused: r.paused === 1,
    }));
  }

  paused(): boolean {
    const row = this.q.pausedGet!.get() as { value_json: string } | undefined;
    return row?.value_json === 'true';
  }

  setPaused(paused: boolean): void {
    this.q.pausedPut!.run(JSON.stringify(paused), Date.now());
  }

  setServerPaused(profileId: string, paused: boolean): void {
    const info = this.db.prepare('UPDATE profiles SET paused = ? WHERE id = ?').run(paused ? 1 : 0, profileId);
    if (info.changes === 0) throw new DeskError('not_found', `There is no server profile "${profileId}".`);
  }

  /** null goes back to the default for the server's kind. */
  setWindow(profileId: string, window: number | null): void {
    const info = this.db.prepare('UPDATE profiles SET queue_window = ? WHERE id = ?').run(window, profileId);
    if (info.changes === 0) throw new DeskError('not_found', `There is no server profile "${profileId}".`);
  }

  /**
   * Moves held jobs (in the order given) to the front, the back, or before/after another held job.
   * Only the moved jobs get new ranks (between their neighbours); the held order is renumbered
   * only when two neighbours come too close for a number between them.
   */
  move(ids: string[], place: MovePlace, anchorId?: string): number {
    return this.db.transaction(() => {
      const held = this.held();
      const moving = new Set(ids.filter((id) => held.some((h) => h.id === id)));
      if (moving.size === 0) return 0;
      const ordered = held.filter((h) => moving.has(h.id)).map((h) => h.id);
      // The person's order of ids is kept for the moved ones when they gave one.
      const wanted = ids.filter((id) => moving.has(id));
      const movedIds = wanted.length === ordered.length ? wanted : ordered;
      const rest = held.filter((h) => !moving.has(h.id));
      let at: number;
      if (place === 'front') at = 0;
      else if (place === 'back') at = rest.length;
      else {
        const anchor = rest.findIndex((h) => h.id === anchorId);
        if (anchor < 0)
          throw new DeskError('not_found', 'The job to move next to is not waiting in the queue any more.');
        at = place === 'before' ? anchor : anchor + 1;
      }
      const lo = at > 0 ? rest[at - 1]!.rank : (rest[0]?.rank ?? 1) - movedIds.length - 1;
      const hi = at < rest.length ? rest[at]!.rank : lo + movedIds.length + 1;
      const step = (hi - lo) / (movedIds.length + 1);
      if (step > 1e-6) {
        movedIds.forEach((id, i) => this.q.setRank!.run(lo + step * (i + 1), id));
      } else {
        const order = [...rest.slice(0, at).map((h) => h.id), ...movedIds, ...rest.slice(at).map((h) => h.id)];
        const base = held[0]?.rank ?? 1;
        order.forEach((id, i) => this.q.setRank!.run(base + i, id));
      }
      return movedIds.length;
    })();
  }

  /** Sends held jobs to other servers: one (it runs there) or several (the dispatcher picks). */
  setRoute(ids: string[], profileIds: string[]): number {
    const route = profileIds.length > 1 ? JSON.stringify(profileIds) : null;
    const update = this.db.prepare(
      `UPDATE jobs SET route_json = ?, profile_id = ? WHERE id = ? AND state = 'outbox' AND submit_attempts = 0`,
    );
    return this.db.transaction(() => ids.reduce((n, id) => n + update.run(route, profileIds[0], id).changes, 0))();
  }

  /** The dispatcher chose a server for a spread job: it is recorded before it is sent there. */
  assign(jobId: string, profileId: string): void {
    this.db.prepare(`UPDATE jobs SET profile_id = ? WHERE id = ? AND state = 'outbox'`).run(profileId, jobId);
  }

  createBatch(batch: NewBatch): string {
    const id = randomUUID();
    this.q.insertBatch!.run(
      id,
      batch.name,
      batch.color,
      batch.kind,
      JSON.stringify(batch.profileIds),
      JSON.stringify(batch.axes),
      Date.now(),
    );
    return id;
  }

  updateBatch(id: string, patch: { name?: string; color?: string | null; paused?: boolean }): void {
    this.mustBatch(id);
    if (patch.name !== undefined) this.db.prepare('UPDATE batches SET name = ? WHERE id = ?').run(patch.name, id);
    if (patch.color !== undefined) this.db.prepare('UPDATE batches SET color = ? WHERE id = ?').run(patch.color, id);
    if (patch.paused !== undefined)
      this.db.prepare('UPDATE batches SET paused = ? WHERE id = ?').run(patch.paused ? 1 : 0, id);
  }

  batchJobIds(id: string): string[] {
    return this.q.batchJobIds!.pluck().all(id) as string[];
  }

  batch(id: string): BatchSummary | null {
    const row = this.q.batch!.get(id) as BatchRow | undefined;
    return row ? this.summary(row) : null;
  }

  mustBatch(id: string): BatchSummary {
    const batch = this.batch(id);
    if (!batch) throw new DeskError('not_found', `There is no batch ${id}.`);
    return batch;
  }

  batches(limit: number): BatchSummary[] {
    return (this.q.batches!.all(limit) as BatchRow[]).map((row) => this.summary(row));
  }

  /** A sweep's grid: each job at its point, with the first image it made. */
  cells(id: string): SweepCell[] {
    const rows = this.q.cells!.all(id) as { id: string; state: JobState; sweep_json: string; hash: string | null }[];
    return rows.map((r) => {
      const [row = 0, col = 0] = JSON.parse(r.sweep_json) as number[];
      return { row, col, jobId: r.id, state: r.state, hash: r.hash };
    });
  }

  /** Mean run time of recent runs of a workflow (by name) on a server; null when none ran there. */
  estimate(workflowName: string, profileId: string): number | null {
    const ms = (this.q.estimate!.get(workflowName, profileId) as { ms: number | null }).ms;
    return ms === null ? null : Math.round(ms);
  }

  private summary(row: BatchRow): BatchSummary {
    const counts: BatchCounts = { total: 0, held: 0, active: 0, completed: 0, failed: 0, cancelled: 0 };
    for (const { state, n } of this.q.batchCounts!.all(row.id) as { state: JobState; n: number }[]) {
      counts.total += n;
      if (state === 'outbox' || state === 'draft') counts.held += n;
      else if ((OPEN_STATES as string[]).includes(state)) counts.active += n;
      else if (state === 'completed') counts.completed += n;
      else if (state === 'failed') counts.failed += n;
      else counts.cancelled += n; // cancelled or interrupted
    }
    const open = this.q.batchOpen!.all(row.id) as {
      profile_id: string;
      name: string;
      state: JobState;
      progress_json: string | null;
    }[];
    let running = 0;
    let remaining = 0;
    let known = true;
    const estimates = new Map<string, number | null>();
    for (const job of open) {
      const key = `${job.name}\u0000${job.profile_id}`;
      if (!estimates.has(key)) estimates.set(key, this.estimate(job.name, job.profile_id));
      const done = job.state === 'running' && job.progress_json ? progressOf(job.progress_json) : 0;
      running += done;
      const each = estimates.get(key) ?? null;
      if (each === null) known = false;
      else remaining += each * (1 - done);
    }
    const profileIds = JSON.parse(row.profiles_json) as string[];
    const sent = new Set(this.q.batchRanOn!.pluck().all(row.id) as string[]);
    // Where runs went, in the batch's own order (a server moved to later comes last).
    const ranOn = [...profileIds.filter((id) => sent.has(id)), ...[...sent].filter((id) => !profileIds.includes(id))];
    const finished = counts.completed + counts.failed + counts.cancelled;
    return {
      id: row.id,
      name: row.name,
      color: row.color,
      kind: row.kind,
      createdAt: row.created_at,
      paused: row.paused === 1,
      profileIds,
      ranOn,
      axes: JSON.parse(row.axes_json) as SweepAxis[],
      counts,
      progress: counts.total === 0 ? 0 : (finished + running) / counts.total,
      // Its servers run in parallel: the work left, shared among them.
      remainingMs: open.length === 0 ? 0 : known ? Math.round(remaining / Math.max(1, profileIds.length)) : null,
      coverHash: (this.q.batchCover!.get(row.id) as { hash: string } | undefined)?.hash ?? null,
      workflowName: (this.q.batchName!.get(row.id) as { name: string } | undefined)?.name ?? row.name,
    };
  }
}

function routeOf(json: string | null, profileId: string): string[] {
  if (!json) return [profileId];
  try {
    const route = JSON.parse(json) as unknown;
    return Array.isArray(route) && route.length > 0 ? route.map(String) : [profileId];
  } catch {
    return [profileId];
  }
}

function progressOf(json: string): number {
  try {
    const overall = (JSON.parse(json) as { overall?: unknown }).overall;
    return typeof overall === 'number' ? Math.min(1, Math.max(0, overall)) : 0;
  } catch {
    return 0;
  }
}
