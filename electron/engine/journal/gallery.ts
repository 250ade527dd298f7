// Read-side queries for the gallery and the job list: keyset pagination (never OFFSET, never whole
// tables in memory), filters and full-text search that compose, and a separate count. Every query is
// driven by an index, so it costs about the same at a million outputs as at a hundred thousand: a
// page walks the index of its rarest filter in date order, or gathers and sorts a filter that
// matches little; a count is read from gallery_counts (gallery-counts.ts) or from an index.
import type { Database, Statement } from 'better-sqlite3';
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
import { GalleryCounts, isCubeFilter, marks } from './gallery-counts';
import { similarQuery } from './similar';
import { GallerySearch, searchTerms, type SearchTerms } from './gallery-search';
import { toOutput, toSummary, type JobJournal, type OutputRow } from './jobs';

export { ftsQuery } from './gallery-search';

interface Where {
  sql: string[];
  params: unknown[];
}

export interface GalleryLimits {
  /** A search that matches at most this many jobs is gathered from its indexes and sorted. */
  few: number;
  /** A filter's outputs are counted up to this many to weigh gathering them (more: never gathered). */
  gather: number;
  /** A count under a common search is exact when the other filters leave at most this many outputs. */
  exact: number;
  /** A common search's page, newest first, reads this many of its newest matching jobs first (more as it reaches). */
  firstMatches: number;
}

const LIMITS: GalleryLimits = { few: 2000, gather: 20_000, exact: 20_000, firstMatches: 500 };

/**
 * How a query finds its rows: walking an index in date order (a page stops at its end), or
 * gathering the ids a rare filter matches from that filter's own index (then sorted). `n` is how
 * many outputs it yields, exactly or at most.
 */
type Driver =
  { kind: 'walk'; index: string; n: number } | { kind: 'gather'; sql: string; params: unknown[]; n: number };
type Gather = Extract<Driver, { kind: 'gather' }>;

/** A gallery count; `estimated` when an exact one would have to visit too many outputs. */
export interface GalleryCount {
  count: number;
  estimated: boolean;
}

/** The conditions of every filter but the search, on outputs o joined to jobs j. */
function galleryWhere(filter: GalleryFilter): Where {
  const where: Where = { sql: ['o.deleted_at IS NULL'], params: [] };
  const add = (sql: string, ...params: unknown[]): void => {
    where.sql.push(sql);
    where.params.push(...params);
  };
  if (filter.profileId) add('j.profile_id = ?', filter.profileId);
  if (filter.jobStates?.length) add(`j.state IN (${marks(filter.jobStates)})`, ...filter.jobStates);
  if (filter.kinds?.length === 1) add('o.kind = ?', filter.kinds[0]);
  else if (filter.kinds?.length) add(`o.kind IN (${marks(filter.kinds)})`, ...filter.kinds);
  if (filter.from !== undefined) add('o.created_at >= ?', filter.from);
  if (filter.to !== undefined) add('o.created_at <= ?', filter.to);
  if (filter.favorites) add('o.favorite = 1');
  if (filter.saved) add("o.type <> 'temp'");
  if (filter.workflowName) add('j.workflow_id IN (SELECT id FROM workflows WHERE name = ?)', filter.workflowName);
  // IS NOT NULL spelled out: the partial index of rated outputs needs to see it.
  if (filter.minRating !== undefined) add('o.rating IS NOT NULL AND o.rating >= ?', filter.minRating);
  for (const tag of filter.tags ?? [])
    add('EXISTS (SELECT 1 FROM output_tags t WHERE t.output_id = o.id AND t.tag = ?)', normalizeTag(tag));
  if (filter.albumId) add('o.id IN (SELECT output_id FROM album_items WHERE album_id = ?)', filter.albumId);
  return where;
}

/** A gallery tile: an output with what the grid and the viewer show of its job. */
function tileSelect(outputs: string): string {
  return `SELECT o.*, j.rowid AS job_rowid, j.profile_id, j.state AS job_state, j.prompt_text, w.name AS workflow_name,
    (SELECT group_concat(t.tag, char(31)) FROM output_tags t WHERE t.output_id = o.id) AS tag_list
  FROM ${outputs} CROSS JOIN jobs j ON j.id = o.job_id JOIN workflows w ON w.id = j.workflow_id`;
}

/** The outputs table as a driver reads it: through its index, or by id (NOT INDEXED keeps rowid lookups). */
function outputsOf(driver: Driver): string {
  return driver.kind === 'walk' ? `outputs o INDEXED BY ${driver.index}` : 'outputs o NOT INDEXED';
}

type TileRow = OutputRow & {
  job_rowid: number;
  rating: number | null;
  phash: string | null;
  tag_list: string | null;
  profile_id: string;
  job_state: JobState;
  prompt_text: string | null;
  workflow_name: string;
};

/** Added to toOutput's object, not spread into a new one: a spread of its 19 fields costs ~10 µs a tile. */
function toTile(r: TileRow): GalleryItem {
  return Object.assign(toOutput(r), {
    profileId: r.profile_id,
    rating: r.rating,
    phash: r.phash || null,
    tags: r.tag_list ? r.tag_list.split('\u001f').sort((a, b) => a.localeCompare(b)) : [],
    jobState: r.job_state,
    promptText: r.prompt_text,
    workflowName: r.workflow_name,
  });
}

/**
 * A page's rows as SQLite's values (raw arrays: a third of the memory of row objects, half the time),
 * read into rows of the tile's columns only: a page of 100 leaves little for the collector.
 */
function tileRows(statement: Statement, params: unknown[]): TileRow[] {
  const at = new Map(statement.columns().map((c, i) => [c.name, i]));
  const col = (name: keyof TileRow): number => at.get(name) ?? -1;
  const [id, jobId, nodeId, kind, filename, subfolder, type, state, lastError, hash, size, mime, width, height] = (
    [
      'id',
      'job_id',
      'node_id',
      'kind',
      'filename',
      'subfolder',
      'type',
      'state',
      'last_error',
      'hash',
      'size',
      'mime',
      'width',
      'height',
    ] as const
  ).map(col) as number[];
  const [hasThumb, durationMs, fps, favorite, createdAt, jobRowid, rating, phash, tagList, profileId] = (
    [
      'has_thumb',
      'duration_ms',
      'fps',
      'favorite',
      'created_at',
      'job_rowid',
      'rating',
      'phash',
      'tag_list',
      'profile_id',
    ] as const
  ).map(col) as number[];
  const [jobState, promptText, workflowName] = (['job_state', 'prompt_text', 'workflow_name'] as const).map(
    col,
  ) as number[];
  return (statement.raw(true).all(...params) as unknown[][]).map(
    (v) =>
      ({
        id: v[id!],
        job_id: v[jobId!],
        node_id: v[nodeId!],
        kind: v[kind!],
        filename: v[filename!],
        subfolder: v[subfolder!],
        type: v[type!],
        state: v[state!],
        last_error: v[lastError!],
        hash: v[hash!],
        size: v[size!],
        mime: v[mime!],
        width: v[width!],
        height: v[height!],
        has_thumb: v[hasThumb!],
        duration_ms: v[durationMs!],
        fps: v[fps!],
        favorite: v[favorite!],
        created_at: v[createdAt!],
        job_rowid: v[jobRowid!],
        rating: v[rating!],
        phash: v[phash!],
        tag_list: v[tagList!],
        profile_id: v[profileId!],
        job_state: v[jobState!],
        prompt_text: v[promptText!],
        workflow_name: v[workflowName!],
      }) as TileRow,
  );
}

function decodeCursor(cursor: string): [number, number] {
  const [at, id] = cursor.split(':').map(Number);
  if (!Number.isFinite(at) || !Number.isFinite(id))
    throw new DeskError('invalid_input', 'The page cursor is not valid.');
  return [at!, id!];
}

/** The filter without its search. */
function withoutSearch(filter: GalleryFilter): GalleryFilter {
  const { search: _search, ...rest } = filter;
  return rest;
}

export class GalleryQueries {
  private readonly counts: GalleryCounts;
  private readonly search: GallerySearch;
  private readonly limits: GalleryLimits;
  /** Statements by their SQL: a page, a count and a probe are prepared once, not on every call. */
  private readonly statements = new Map<string, Statement>();

  /** `limits` for tests: small ones take the paths a big gallery takes. */
  constructor(
    private readonly db: Database,
    private readonly journal: JobJournal,
    limits: Partial<GalleryLimits> = {},
  ) {
    this.limits = { ...LIMITS, ...limits };
    this.counts = new GalleryCounts(db);
    this.search = new GallerySearch(db, this.limits.firstMatches);
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

  /** A prepared statement for `sql`, kept (at most 200: the filters' combinations seen last). */
  private statement(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      if (this.statements.size >= 200) this.statements.clear();
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** How many rows `sql` yields, reading no more than `bound` + 1 of them. */
  private upTo(sql: string, params: unknown[], bound: number): number {
    const limit = Number.isFinite(bound) ? bound + 1 : -1;
    return this.statement(`SELECT COUNT(*) FROM (${sql} LIMIT ?)`)
      .pluck()
      .get(...params, limit) as number;
  }

  /**
   * The ways to find a filter's rows (the search aside), each with how many it yields: walking the
   * date index (always possible), the index of favorites, of a kind, of rated outputs; or gathering
   * what a tag, an album, a server, a state or a workflow holds. Gathered counts are read up to `bound`.
   */
  private drivers(filter: GalleryFilter, bound: number): Driver[] {
    const cube = (part: GalleryFilter): number => this.counts.count(part) ?? Infinity;
    const all: Driver[] = [{ kind: 'walk', index: 'outputs_gallery', n: cube({}) }];
    if (filter.favorites) all.push({ kind: 'walk', index: 'outputs_favorite', n: cube({ favorites: true }) });
    if (filter.minRating !== undefined) all.push({ kind: 'walk', index: 'outputs_rated', n: cube({ minRating: 1 }) });
    if (filter.kinds?.length === 1) all.push({ kind: 'walk', index: 'outputs_kind', n: cube({ kinds: filter.kinds }) });
    else if (filter.kinds?.length)
      all.push({
        kind: 'gather',
        sql: `SELECT id FROM outputs INDEXED BY outputs_kind WHERE kind IN (${marks(filter.kinds)}) AND deleted_at IS NULL`,
        params: [...filter.kinds],
        n: cube({ kinds: filter.kinds }),
      });
    for (const tag of filter.tags ?? []) {
      const sql = 'SELECT output_id FROM output_tags WHERE tag = ?';
      all.push({ kind: 'gather', sql, params: [normalizeTag(tag)], n: this.upTo(sql, [normalizeTag(tag)], bound) });
    }
    if (filter.albumId) {
      const sql = 'SELECT output_id FROM album_items WHERE album_id = ?';
      all.push({ kind: 'gather', sql, params: [filter.albumId], n: this.upTo(sql, [filter.albumId], bound) });
    }
    if (filter.profileId || filter.jobStates?.length || filter.workflowName) {
      const jobFilter = { profileId: filter.profileId, jobStates: filter.jobStates, workflowName: filter.workflowName };
      const where = galleryWhere(jobFilter);
      all.push({
        kind: 'gather',
        sql: `SELECT o.id FROM jobs j JOIN outputs o ON o.job_id = j.id WHERE ${where.sql.join(' AND ')}`,
        params: where.params,
        n: cube(jobFilter),
      });
    }
    return all;
  }

  /**
   * The cheapest driver for a page of `limit`: a walk reads about `limit` × its size ÷ the matches
   * (the fewest any filter leaves) before the page is full; a gather reads and sorts all it holds.
   */
  private driverOf(filter: GalleryFilter, limit: number, extra: Driver[] = []): Driver {
    const all = [...this.drivers(filter, this.limits.gather), ...extra];
    const matches = Math.max(1, Math.min(...all.map((d) => d.n)));
    const cost = (d: Driver): number =>
      d.kind === 'walk' ? Math.min(d.n, ((limit + 1) * d.n) / matches) : d.n > this.limits.gather ? Infinity : 2 * d.n;
    return all.reduce((best, d) => (cost(d) < cost(best) ? d : best));
  }

  /**
   * A search that matches little is a gather driver of its own; one that matches much is loaded
   * (its jobs' rowids) and checked row by row while another driver walks.
   */
  private planSearch(
    terms: SearchTerms | null,
    newest = false,
  ): { driver: Driver | null; check: Where | null; lazy: SearchTerms | null } {
    if (!terms) return { driver: null, check: null, lazy: null };
    const probe = this.search.probe(terms, this.limits.few);
    if (probe.jobs <= this.limits.few && probe.tagged <= this.limits.few) {
      const gathered = this.search.gathered(terms);
      return {
        driver: { kind: 'gather', ...gathered, n: this.search.outputsOf(terms) + probe.tagged },
        check: null,
        lazy: null,
      };
    }
    // Newest first, the page reads the matches from the newest down only as far as it reaches (page()).
    if (newest) this.search.loadNewest(terms);
    else this.search.load(terms);
    const check = this.search.condition(terms);
    return { driver: null, check: { sql: [check.sql], params: check.params }, lazy: newest ? terms : null };
  }

  /** The statement of a page: its SQL and parameters (the plan tests read it too). */
  private pageStatement(input: GalleryQuery): { sql: string; params: unknown[]; lazy: SearchTerms | null } {
    const query = this.resolve(input);
    const limit = query.limit ?? 100;
    const newest = (query.sort ?? 'newest') === 'newest';
    const where = galleryWhere(query);
    const search = this.planSearch(searchTerms(query.search), newest);
    const driver = this.driverOf(query, limit, search.driver ? [search.driver] : []);
    // The driver's own ids, and a rare search's when another driver walks.
    const gathers = new Set([driver, search.driver].filter((d): d is Gather => d?.kind === 'gather'));
    for (const d of gathers) {
      where.sql.push(`o.id IN (${d.sql})`);
      where.params.push(...d.params);
    }
    if (search.check) {
      where.sql.push(...search.check.sql);
      where.params.push(...search.check.params);
    }
    if (query.after) {
      const [at, id] = decodeCursor(query.after);
      where.sql.push(newest ? '(o.created_at, o.id) < (?, ?)' : '(o.created_at, o.id) > (?, ?)');
      where.params.push(at, id);
    }
    const dir = newest ? 'DESC' : 'ASC';
    return {
      sql: `${tileSelect(outputsOf(driver))}
         WHERE ${where.sql.join(' AND ')}
         ORDER BY o.created_at ${dir}, o.id ${dir} LIMIT ?`,
      params: [...where.params, limit + 1],
      lazy: search.lazy,
    };
  }

  page(query: GalleryQuery): GalleryPage {
    const limit = query.limit ?? 100;
    const { sql, params, lazy } = this.pageStatement(query);
    const statement = this.statement(sql);
    let rows = tileRows(statement, params);
    // A common search read from its newest matches: jobs below what was read came through unknown;
    // read down to the lowest of them and run the page again (the rows above it are then exact).
    for (;;) {
      const below = rows.reduce((low, r) => Math.min(low, r.job_rowid), Infinity);
      if (!lazy || below >= this.search.knownFrom) break;
      this.search.extendTo(lazy, below);
      rows = tileRows(statement, params);
    }
    const more = rows.length > limit;
    const items = rows.slice(0, limit).map(toTile);
    const last = items[items.length - 1];
    return { items, nextCursor: more && last ? `${last.createdAt}:${last.id}` : null };
  }

  /** SQLite's plan for a page, one line a step (tests assert every filter is driven by an index). */
  explainPage(query: GalleryQuery): string[] {
    const { sql, params } = this.pageStatement(query);
    return (this.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail);
  }

  /** One gallery tile, built as a page builds it: what output.changed carries to the window. */
  tile(outputId: number): GalleryItem | null {
    const row = this.db.prepare(`${tileSelect('outputs o')} WHERE o.id = ?`).get(outputId) as TileRow | undefined;
    return row ? toTile(row) : null;
  }

  /** Images like this one, nearest first: within `maxDistance` bits of its perceptual hash. */
  similar(outputId: number, limit: number, maxDistance: number): SimilarItem[] {
    const own = this.db.prepare('SELECT phash FROM outputs WHERE id = ?').get(outputId) as
      { phash: string | null } | undefined;
    if (!own) throw new DeskError('not_found', `There is no output ${outputId}.`);
    if (!own.phash) return [];
    const { sql, params } = similarQuery(own.phash, outputId, maxDistance, limit);
    const rows = this.db.prepare(sql).all(...params) as { id: number; distance: number }[];
    return rows.flatMap((r) => {
      const tile = this.tile(r.id);
      return tile ? [{ ...tile, distance: r.distance }] : [];
    });
  }

  /** How many outputs a page under `filter` shows in all (an estimate only under a common search). */
  count(input: GalleryFilter): number {
    return this.countOf(input).count;
  }

  /**
   * The count of a filter: from gallery_counts when it has only the filters kept there; else counted
   * through the index of its rarest filter. Under a search that matches much of the gallery, exact
   * from each matching job's count when the only other filter is `saved`; estimated (and said so)
   * when the other filters leave more than `exact` outputs to check one by one.
   */
  countOf(input: GalleryFilter): GalleryCount {
    const filter = this.resolve(input);
    const terms = searchTerms(filter.search);
    const rest = withoutSearch(filter);
    if (!terms) {
      const kept = this.counts.count(rest);
      if (kept !== null) return { count: kept, estimated: false };
      return { count: this.countBy(rest, this.cheapest(rest, Infinity), null), estimated: false };
    }
    const probe = this.search.probe(terms, this.limits.few);
    if (probe.jobs <= this.limits.few && probe.tagged <= this.limits.few) {
      const gathered = this.search.gathered(terms);
      return { count: this.countBy(rest, { kind: 'gather', ...gathered, n: 0 }, null), estimated: false };
    }
    if (Object.entries(rest).every(([key, value]) => value === undefined || key === 'saved'))
      return { count: this.search.countShown(terms, !!rest.saved, probe.tagged), estimated: false };
    const driver = this.cheapest(rest, this.limits.exact);
    if (driver.n <= this.limits.exact) {
      this.search.load(terms);
      const check = this.search.condition(terms);
      return { count: this.countBy(rest, driver, { sql: [check.sql], params: check.params }), estimated: false };
    }
    // The share of the gallery the search matches, applied to what the other filters leave.
    const all = this.counts.count({}) ?? 0;
    const matched = this.search.countShown(terms, false, probe.tagged);
    const others = isCubeFilter(rest) ? this.counts.count(rest)! : this.countOf(rest).count;
    return { count: all === 0 ? 0 : Math.round((others * matched) / all), estimated: true };
  }

  /** For a count: the driver that yields the fewest rows, gathered ones counted up to `bound`. */
  private cheapest(filter: GalleryFilter, bound: number): Driver {
    return this.drivers(filter, bound).reduce((best, d) => (d.n < best.n ? d : best));
  }

  private countBy(filter: GalleryFilter, driver: Driver, check: Where | null): number {
    const where = galleryWhere(filter);
    if (check) {
      where.sql.push(...check.sql);
      where.params.push(...check.params);
    }
    if (driver.kind === 'gather') {
      where.sql.push(`o.id IN (${driver.sql})`);
      where.params.push(...driver.params);
    }
    return this.statement(
      `SELECT COUNT(*) FROM ${outputsOf(driver)} CROSS JOIN jobs j ON j.id = o.job_id WHERE ${where.sql.join(' AND ')}`,
    )
      .pluck()
      .get(...where.params) as number;
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
    return this.counts.workflows();
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
