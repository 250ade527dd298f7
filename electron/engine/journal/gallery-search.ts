// The gallery's search: the words match a job (prompt, workflow, nodes, file names: the full-text
// index job_search) or a tag of the output (its index output_tags_tag). The two are resolved apart:
// a search that matches little is gathered from both indexes and sorted; one that matches much of
// the gallery is checked against a set of matching jobs while the gallery's date index is walked
// (an `OR EXISTS` inside one query keeps SQLite from driving it by the full-text index). For a page
// in date order, newest first, the matching jobs are read from the newest down only as far as the
// page reaches (loadNewest, extendTo): a common search's first pages read a few hundred of its
// matches, not all of them.
import type { Database } from 'better-sqlite3';
import { normalizeTag } from '../../../shared/organize';

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

export interface SearchTerms {
  /** The FTS5 query for the jobs. */
  fts: string;
  /** The tag prefix as a LIKE pattern (escaped with \). */
  tagLike: string;
}

export function searchTerms(search: string | undefined): SearchTerms | null {
  const fts = search ? ftsQuery(search) : null;
  if (!search || !fts) return null;
  return { fts, tagLike: `${normalizeTag(search).replace(/[\\%_]/g, (c) => `\\${c}`)}%` };
}

/** Matches of a search: jobs (by rowid) and outputs by tag, counted up to a bound. */
export interface Probe {
  jobs: number;
  tagged: number;
}

export class GallerySearch {
  /** The rowids of the jobs the loaded search matches, every one at or above `floor` (see load). */
  private matches = new Set<number>();
  /** Matches below this rowid are not read yet: gallery_match lets such a job through, unknown. */
  private floor = -Infinity;
  /** The search `matches` holds, and the journal's state it was read in (it is kept while both stay). */
  private loaded: { fts: string; stamp: string } | null = null;

  /** `firstMatches`: how many matching jobs loadNewest reads first (a page of a common search reaches far fewer). */
  constructor(
    private readonly db: Database,
    private readonly firstMatches = 500,
  ) {
    // 1 for a matching job, and for a job not known yet (below the floor: the caller checks those).
    db.function('gallery_match', (rowid: unknown) =>
      (rowid as number) < this.floor || this.matches.has(rowid as number) ? 1 : 0,
    );
  }

  /** Changes when the journal may have: another connection's write, or this one's. */
  private stamp(): string {
    const version = this.db.pragma('data_version', { simple: true }) as number;
    const own = this.db.prepare('SELECT total_changes()').pluck().get() as number;
    return `${version}:${own}`;
  }

  /** Whether `matches` holds this search as the journal is now (from the newest down to `floor`). */
  private holds(terms: SearchTerms): boolean {
    if (this.loaded?.fts !== terms.fts || this.loaded.stamp !== this.stamp()) return false;
    return true;
  }

  /** The lowest rowid whose match is known (every match at or above it is loaded). */
  get knownFrom(): number {
    return this.floor;
  }

  /**
   * Reads the newest matching jobs (rowid order, which FTS5 streams without reading the rest):
   * jobs below the last one read are let through by gallery_match until extendTo reads them.
   */
  loadNewest(terms: SearchTerms): void {
    if (this.holds(terms)) return;
    const rowids = this.db
      .prepare('SELECT rowid FROM job_search WHERE job_search MATCH ? ORDER BY rowid DESC LIMIT ?')
      .pluck()
      .all(terms.fts, this.firstMatches) as number[];
    this.matches = new Set(rowids);
    this.floor = rowids.length < this.firstMatches ? -Infinity : rowids[rowids.length - 1]!;
    this.loaded = { fts: terms.fts, stamp: this.stamp() };
  }

  /** Reads matches further down, each time four times as many, until every one from `rowid` up is known. */
  extendTo(terms: SearchTerms, rowid: number): void {
    const next = this.db
      .prepare('SELECT rowid FROM job_search WHERE job_search MATCH ? AND rowid < ? ORDER BY rowid DESC LIMIT ?')
      .pluck();
    let count = this.firstMatches * 4;
    while (this.floor > rowid) {
      const rowids = next.all(terms.fts, this.floor, count) as number[];
      for (const r of rowids) this.matches.add(r);
      this.floor = rowids.length < count ? -Infinity : rowids[rowids.length - 1]!;
      count *= 4;
    }
  }

  /**
   * How many jobs and tagged outputs match, each counted up to `bound` + 1 (no more is read). When
   * the jobs are `bound` or fewer, they are the loaded search: outputsOf and gathered read them, not
   * the full-text index again (a search of words that each match much and together few reads long
   * posting lists to find it).
   */
  probe(terms: SearchTerms, bound: number): Probe {
    const rowids = this.db
      .prepare('SELECT rowid FROM job_search WHERE job_search MATCH ? LIMIT ?')
      .pluck()
      .all(terms.fts, bound + 1) as number[];
    const jobs = rowids.length;
    if (jobs <= bound) {
      this.matches = new Set(rowids);
      this.floor = -Infinity;
      this.loaded = { fts: terms.fts, stamp: this.stamp() };
    }
    const tagged = this.db
      .prepare(`SELECT COUNT(*) FROM (SELECT 1 FROM output_tags WHERE tag LIKE ? ESCAPE '\\' LIMIT ?)`)
      .pluck()
      .get(terms.tagLike, bound + 1) as number;
    return { jobs, tagged };
  }

  /** The matching jobs' rowids as a JSON array (for json_each): a search probe found to match few. */
  private few(terms: SearchTerms): string {
    this.load(terms);
    return JSON.stringify([...this.matches]);
  }

  /** How many shown outputs the jobs a search matches hold: for a search already known to match few. */
  outputsOf(terms: SearchTerms): number {
    return this.db
      .prepare(
        `SELECT coalesce(SUM(c.shown), 0) FROM job_outputs c
         WHERE c.job_rowid IN (SELECT value FROM json_each(?))`,
      )
      .pluck()
      .get(this.few(terms)) as number;
  }

  /** The ids of the outputs a search matches, as a subquery: for a search that matches little. */
  gathered(terms: SearchTerms): { sql: string; params: unknown[] } {
    return {
      sql: `SELECT so.id FROM jobs sj JOIN outputs so ON so.job_id = sj.id
              WHERE sj.rowid IN (SELECT value FROM json_each(?))
            UNION SELECT output_id FROM output_tags WHERE tag LIKE ? ESCAPE '\\'`,
      params: [this.few(terms), terms.tagLike],
    };
  }

  /** Reads the rowids of every matching job into memory, for `condition`: a few ms at 50,000 matches. */
  load(terms: SearchTerms): void {
    if (this.holds(terms) && this.floor === -Infinity) return;
    const rowids = this.db.prepare('SELECT rowid FROM job_search WHERE job_search MATCH ?').pluck().all(terms.fts);
    this.matches = new Set(rowids as number[]);
    this.floor = -Infinity;
    this.loaded = { fts: terms.fts, stamp: this.stamp() };
  }

  /** What a row (outputs o, jobs j) must meet to match a loaded search. */
  condition(terms: SearchTerms): { sql: string; params: unknown[] } {
    return {
      sql: `(gallery_match(j.rowid)
             OR EXISTS (SELECT 1 FROM output_tags t WHERE t.output_id = o.id AND t.tag LIKE ? ESCAPE '\\'))`,
      params: [terms.tagLike],
    };
  }

  /**
   * Exactly how many shown outputs a search matches (only those not temp previews when `saved`),
   * from each matching job's count (job_outputs) and the tagged outputs of other jobs. Loads the search.
   */
  countShown(terms: SearchTerms, saved: boolean, tagged: number): number {
    const ofJobs = this.db
      .prepare(
        `SELECT coalesce(SUM(c.${saved ? 'saved' : 'shown'}), 0) FROM job_search s
         JOIN job_outputs c ON c.job_rowid = s.rowid WHERE job_search MATCH ?`,
      )
      .pluck()
      .get(terms.fts) as number;
    if (tagged === 0) return ofJobs;
    this.load(terms);
    const ofTags = this.db
      .prepare(
        `SELECT COUNT(DISTINCT o.id) FROM output_tags t JOIN outputs o ON o.id = t.output_id
         CROSS JOIN jobs j ON j.id = o.job_id
         WHERE t.tag LIKE ? ESCAPE '\\' AND o.deleted_at IS NULL ${saved ? "AND o.type <> 'temp'" : ''}
           AND NOT gallery_match(j.rowid)`,
      )
      .pluck()
      .get(terms.tagLike) as number;
    return ofJobs + ofTags;
  }
}
