// Counts of the gallery read from gallery_counts (kept by the triggers of migration 0012): a filter
// made only of favorites, rating, kinds, saved, server, job states and workflow is a sum over a few
// rows, at a hundred outputs or a million.
import type { Database } from 'better-sqlite3';
import type { GalleryFilter, WorkflowEntry } from '../../../shared/contract';

/** The filters gallery_counts can answer; any other (search, tags, albums, dates) needs the outputs. */
const CUBE_KEYS = new Set(['profileId', 'jobStates', 'kinds', 'favorites', 'saved', 'workflowName', 'minRating']);

export function isCubeFilter(filter: GalleryFilter): boolean {
  return Object.entries(filter).every(([key, value]) => value === undefined || CUBE_KEYS.has(key));
}

export class GalleryCounts {
  constructor(private readonly db: Database) {}

  /** Exactly what a page under `filter` would show in all, or null when the filter is not only of these. */
  count(filter: GalleryFilter): number | null {
    if (!isCubeFilter(filter)) return null;
    const sql: string[] = ['1 = 1'];
    const params: unknown[] = [];
    const add = (cond: string, ...values: unknown[]): void => {
      sql.push(cond);
      params.push(...values);
    };
    if (filter.profileId) add('profile_id = ?', filter.profileId);
    if (filter.jobStates?.length) add(`job_state IN (${marks(filter.jobStates)})`, ...filter.jobStates);
    if (filter.kinds?.length) add(`kind IN (${marks(filter.kinds)})`, ...filter.kinds);
    if (filter.favorites) add('favorite = 1');
    if (filter.saved) add('temp = 0');
    if (filter.workflowName) add('workflow_name = ?', filter.workflowName);
    if (filter.minRating !== undefined) add('rating >= ?', filter.minRating);
    const row = this.db
      .prepare(`SELECT coalesce(SUM(n), 0) AS n FROM gallery_counts WHERE ${sql.join(' AND ')}`)
      .get(...params) as { n: number };
    return row.n;
  }

  /** Each workflow name that made outputs in the gallery, with how many; most recently used first. */
  workflows(): WorkflowEntry[] {
    return (
      this.db
        .prepare(
          `SELECT c.workflow_name AS name, w.last_used_at, SUM(c.n) AS output_count,
             SUM(CASE WHEN c.temp = 0 THEN c.n ELSE 0 END) AS saved_count
           FROM gallery_counts c JOIN gallery_workflows w ON w.name = c.workflow_name
           GROUP BY c.workflow_name HAVING SUM(c.n) > 0 ORDER BY w.last_used_at DESC`,
        )
        .all() as { name: string; last_used_at: number | null; output_count: number; saved_count: number }[]
    ).map((r) => ({
      name: r.name,
      lastUsedAt: r.last_used_at,
      outputCount: r.output_count,
      savedCount: r.saved_count,
    }));
  }
}

export function marks(list: readonly unknown[]): string {
  return list.map(() => '?').join(', ');
}
