// The gallery's search: the words match a job (prompt, workflow, nodes, file names: the full-text
// index job_search) or a tag of the output (its index output_tags_tag). The two are resolved apart:
// a search that matches little is gathered from both indexes and sorted; one that matches much of
// the gallery is checked against a set of matching jobs while the gallery's date index is walked
// (an `OR EXISTS` inside one query keeps SQLite from driving it by the full-text index).
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
  /** The rowids of the jobs the last loaded search matches (see load). */
  private matches = new Set<number>();

  constructor(private readonly db: Database) {
    db.function('gallery_match', (rowid: unknown) => (this.matches.has(rowid as number) ? 1 : 0));
  }

  /** How many jobs and tagged outputs match, each counted up to `bound` + 1 (no more is read). */
  probe(terms: SearchTerms, bound: number): Probe {
    const jobs = this.db
      .prepare('SELECT COUNT(*) FROM (SELECT rowid FROM job_search WHERE job_search MATCH ? LIMIT ?)')
      .pluck()
      .get(terms.fts, bound + 1) as number;
    const tagged = this.db
      .prepare(`SELECT COUNT(*) FROM (SELECT 1 FROM output_tags WHERE tag LIKE ? ESCAPE '\\' LIMIT ?)`)
      .pluck()
      .get(terms.tagLike, bound + 1) as number;
    return { jobs, tagged };
  }

  /** How many shown outputs the jobs a search matches hold: for a search already known to match few. */
  outputsOf(terms: SearchTerms): number {
    return this.db
      .prepare(
        `SELECT coalesce(SUM(c.shown), 0) FROM job_search s JOIN job_outputs c ON c.job_rowid = s.rowid
         WHERE job_search MATCH ?`,
      )
      .pluck()
      .get(terms.fts) as number;
  }

  /** The ids of the outputs a search matches, as a subquery: for a search that matches little. */
  gathered(terms: SearchTerms): { sql: string; params: unknown[] } {
    return {
      sql: `SELECT so.id FROM job_search s JOIN jobs sj ON sj.rowid = s.rowid JOIN outputs so ON so.job_id = sj.id
              WHERE job_search MATCH ?
            UNION SELECT output_id FROM output_tags WHERE tag LIKE ? ESCAPE '\\'`,
      params: [terms.fts, terms.tagLike],
    };
  }

  /** Reads the rowids of the matching jobs into memory, for `condition`: a few ms at 50,000 matches. */
  load(terms: SearchTerms): void {
    const rowids = this.db.prepare('SELECT rowid FROM job_search WHERE job_search MATCH ?').pluck().all(terms.fts);
    this.matches = new Set(rowids as number[]);
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
