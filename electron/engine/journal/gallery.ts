// Read-side queries for the gallery and the job list: keyset pagination (never OFFSET, never whole
// tables in memory), filters and full-text search that compose, and a separate count.
import type { Database } from 'better-sqlite3';
import type {
  GalleryFilter,
  GalleryPage,
  GalleryQuery,
  JobPage,
  JobsQuery,
  WorkflowEntry,
} from '../../../shared/contract';
import type { GalleryItem, JobState } from '../../../shared/jobs';
import { DeskError } from '../../../shared/errors';
import { normalizeTag, type SimilarItem } from '../../../shared/organize';
import { hammingDistance } from '../store/thumbs';
import { toOutput, toSummary, type JobJournal, type OutputRow } from './jobs';

interface Where {
  sql: string[];
  params: unknown[];
}

/** A search box string as an FTS5 query: every word must match, as a prefix, quotes escaped. */
export function ftsQuery(text: string): string | null {
  const words = text
    .normalize('NFKC')
    .split(/[\s]+/)
    .map((w) => w.replace(/["*^():{}[\]]/g, '').trim())
    .filter(Boolean)
    .slice(0, 16);
  if (words.length === 0) return null;
  return words.map((w) => `"${w}"*`).join(' ');
}

function galleryWhere(filter: GalleryFilter): Where {
  const where: Where = { sql: ['o.deleted_at IS NULL'], params: [] };
  const add = (sql: string, ...params: unknown[]): void => {
    where.sql.push(sql);
    where.params.push(...params);
  };
  if (filter.profileId) add('j.profile_id = ?', filter.profileId);
  if (filter.jobStates?.length) add(`j.state IN (${marks(filter.jobStates)})`, ...filter.jobStates);
  if (filter.kinds?.length) add(`o.kind IN (${marks(filter.kinds)})`, ...filter.kinds);
  if (filter.from !== undefined) add('o.created_at >= ?', filter.from);
  if (filter.to !== undefined) add('o.created_at <= ?', filter.to);
  if (filter.favorites) add('o.favorite = 1');
  if (filter.saved) add("o.type <> 'temp'");
  if (filter.workflowName) add('j.workflow_id IN (SELECT id FROM workflows WHERE name = ?)', filter.workflowName);
  if (filter.minRating !== undefined) add('o.rating >= ?', filter.minRating);
  for (const tag of filter.tags ?? [])
    add('EXISTS (SELECT 1 FROM output_tags t WHERE t.output_id = o.id AND t.tag = ?)', normalizeTag(tag));
  if (filter.albumId) add('o.id IN (SELECT output_id FROM album_items WHERE album_id = ?)', filter.albumId);
  if (filter.search) {
    const q = ftsQuery(filter.search);
    // The words match the job (prompt, workflow, nodes, file names) or a tag of the output.
    if (q)
      add(
        `(j.rowid IN (SELECT rowid FROM job_search WHERE job_search MATCH ?)
          OR EXISTS (SELECT 1 FROM output_tags t WHERE t.output_id = o.id AND t.tag LIKE ? ESCAPE '\\'))`,
        q,
        `${normalizeTag(filter.search).replace(/[\\%_]/g, (c) => `\\${c}`)}%`,
      );
  }
  return where;
}

/** A gallery tile: an output with what the grid and the viewer show of its job. */
const TILE_SELECT = `SELECT o.*, j.profile_id, j.state AS job_state, j.prompt_text, w.name AS workflow_name,
    (SELECT group_concat(t.tag, char(31)) FROM output_tags t WHERE t.output_id = o.id) AS tag_list
  FROM outputs o JOIN jobs j ON j.id = o.job_id JOIN workflows w ON w.id = j.workflow_id`;

type TileRow = OutputRow & {
  rating: number | null;
  phash: string | null;
  tag_list: string | null;
  profile_id: string;
  job_state: JobState;
  prompt_text: string | null;
  workflow_name: string;
};

function toTile(r: TileRow): GalleryItem {
  return {
    ...toOutput(r),
    profileId: r.profile_id,
    rating: r.rating,
    phash: r.phash || null,
    tags: r.tag_list ? r.tag_list.split('\u001f').sort((a, b) => a.localeCompare(b)) : [],
    jobState: r.job_state,
    promptText: r.prompt_text,
    workflowName: r.workflow_name,
  };
}

/** Above this many matching jobs, a search walks the date index instead of sorting the matches. */
const COMMON_MATCHES = 300;

function marks(list: readonly unknown[]): string {
  return list.map(() => '?').join(', ');
}

function decodeCursor(cursor: string): [number, number] {
  const [at, id] = cursor.split(':').map(Number);
  if (!Number.isFinite(at) || !Number.isFinite(id))
    throw new DeskError('invalid_input', 'The page cursor is not valid.');
  return [at!, id!];
}

export class GalleryQueries {
  constructor(
    private readonly db: Database,
    private readonly journal: JobJournal,
  ) {
    // The distance between two perceptual hashes, for "similar images" in SQL.
    db.function('hamming', { deterministic: true }, (a: unknown, b: unknown) =>
      typeof a === 'string' && typeof b === 'string' && a.length === 16 && b.length === 16 ? hammingDistance(a, b) : 64,
    );
  }

  /**
   * A smart album's saved search stands in for it (the filter given narrows it further); an album
   * chosen by hand stays a membership filter.
   */
  private resolve<F extends GalleryFilter>(filter: F): F {
    if (!filter.albumId) return filter;
    const row = this.db.prepare('SELECT filter_json FROM albums WHERE id = ?').get(filter.albumId) as
      { filter_json: string | null } | undefined;
    if (!row) throw new DeskError('not_found', `There is no album ${filter.albumId}.`);
    if (!row.filter_json) return filter;
    const { albumId: _smart, ...rest } = filter;
    const saved = JSON.parse(row.filter_json) as GalleryFilter;
    // A smart album saved from inside another album keeps that one's membership, not a loop.
    return {
      ...saved,
      ...rest,
      ...(saved.albumId && saved.albumId !== filter.albumId ? { albumId: saved.albumId } : {}),
    } as F;
  }

  page(input: GalleryQuery): GalleryPage {
    const query = this.resolve(input);
    const limit = query.limit ?? 100;
    const newest = (query.sort ?? 'newest') === 'newest';
    const where = galleryWhere(query);
    if (query.after) {
      const [at, id] = decodeCursor(query.after);
      where.sql.push(newest ? '(o.created_at, o.id) < (?, ?)' : '(o.created_at, o.id) > (?, ?)');
      where.params.push(at, id);
    }
    const dir = newest ? 'DESC' : 'ASC';
    // A common search word matches much of the gallery: walking the date index and checking
    // membership is then cheaper than sorting every match. A rare one is better found first.
    const join = query.search && this.matchCount(query.search) > COMMON_MATCHES ? 'CROSS JOIN' : 'JOIN';
    const rows = this.db
      .prepare(
        `${TILE_SELECT.replace('JOIN jobs', `${join} jobs`)}
         WHERE ${where.sql.join(' AND ')}
         ORDER BY o.created_at ${dir}, o.id ${dir} LIMIT ?`,
      )
      .all(...where.params, limit + 1) as TileRow[];
    const more = rows.length > limit;
    const items = rows.slice(0, limit).map(toTile);
    const last = items[items.length - 1];
    return { items, nextCursor: more && last ? `${last.createdAt}:${last.id}` : null };
  }

  /** One gallery tile, built as a page builds it: what output.changed carries to the window. */
  tile(outputId: number): GalleryItem | null {
    const row = this.db.prepare(`${TILE_SELECT} WHERE o.id = ?`).get(outputId) as TileRow | undefined;
    return row ? toTile(row) : null;
  }

  /** Images like this one, nearest first: within `maxDistance` bits of its perceptual hash. */
  similar(outputId: number, limit: number, maxDistance: number): SimilarItem[] {
    const own = this.db.prepare('SELECT phash FROM outputs WHERE id = ?').get(outputId) as
      { phash: string | null } | undefined;
    if (!own) throw new DeskError('not_found', `There is no output ${outputId}.`);
    if (!own.phash) return [];
    const rows = this.db
      .prepare(
        `SELECT id, hamming(phash, ?) AS distance FROM outputs
         WHERE phash IS NOT NULL AND phash <> '' AND deleted_at IS NULL AND id <> ? AND hamming(phash, ?) <= ?
         ORDER BY distance, id DESC LIMIT ?`,
      )
      .all(own.phash, outputId, own.phash, maxDistance, limit) as { id: number; distance: number }[];
    return rows.flatMap((r) => {
      const tile = this.tile(r.id);
      return tile ? [{ ...tile, distance: r.distance }] : [];
    });
  }

  private matchCount(search: string): number {
    const q = ftsQuery(search);
    if (!q) return 0;
    return (this.db.prepare('SELECT COUNT(*) AS n FROM job_search WHERE job_search MATCH ?').get(q) as { n: number }).n;
  }

  count(input: GalleryFilter): number {
    const where = galleryWhere(this.resolve(input));
    const row = this.db
      .prepare(`SELECT COUNT(*) AS n FROM outputs o JOIN jobs j ON j.id = o.job_id WHERE ${where.sql.join(' AND ')}`)
      .get(...where.params) as { n: number };
    return row.n;
  }

  jobs(query: JobsQuery): JobPage {
    const limit = query.limit ?? 50;
    const sql: string[] = ['1 = 1'];
    const params: unknown[] = [];
    if (query.profileId) {
      sql.push('profile_id = ?');
      params.push(query.profileId);
    }
    if (query.states?.length) {
      sql.push(`state IN (${marks(query.states)})`);
      params.push(...query.states);
    }
    if (query.before) {
      const [at, rowid] = decodeCursor(query.before);
      sql.push('(created_at, rowid) < (?, ?)');
      params.push(at, rowid);
    }
    const rows = this.db
      .prepare(
        `SELECT id, rowid, created_at FROM jobs WHERE ${sql.join(' AND ')} ORDER BY created_at DESC, rowid DESC LIMIT ?`,
      )
      .all(...params, limit + 1) as { id: string; rowid: number; created_at: number }[];
    const more = rows.length > limit;
    const page = rows.slice(0, limit);
    const items = page.map((r) => toSummary(this.journal.mustGet(r.id)));
    const last = page[page.length - 1];
    return { items, nextCursor: more && last ? `${last.created_at}:${last.rowid}` : null };
  }

  /** Each workflow name that made outputs in the gallery, with how many; most recently used first. */
  workflows(): WorkflowEntry[] {
    return (
      this.db
        .prepare(
          `SELECT w.name, MAX(COALESCE(w.last_used_at, w.created_at)) AS last_used_at, COUNT(o.id) AS output_count
           FROM workflows w JOIN jobs j ON j.workflow_id = w.id
           JOIN outputs o ON o.job_id = j.id AND o.deleted_at IS NULL
           GROUP BY w.name ORDER BY last_used_at DESC`,
        )
        .all() as { name: string; last_used_at: number | null; output_count: number }[]
    ).map((r) => ({ name: r.name, lastUsedAt: r.last_used_at, outputCount: r.output_count }));
  }

  /** Soft delete: the row stays (restorable) and the gallery stops showing it. */
  setDeleted(ids: number[], deleted: boolean): void {
    const stmt = this.db.prepare('UPDATE outputs SET deleted_at = ? WHERE id = ?');
    const at = deleted ? Date.now() : null;
    this.db.transaction(() => {
      for (const id of ids) stmt.run(at, id);
    })();
  }

  setFavorite(ids: number[], favorite: boolean): void {
    const stmt = this.db.prepare('UPDATE outputs SET favorite = ? WHERE id = ?');
    this.db.transaction(() => {
      for (const id of ids) stmt.run(favorite ? 1 : 0, id);
    })();
  }
}
