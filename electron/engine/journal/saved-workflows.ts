// The journal's copy of each server's saved workflows: the last listing, the files read or saved,
// and versions saved here that the server does not have yet.
import type { Database } from 'better-sqlite3';
import { splitSavedPath, type SavedWorkflowEntry } from '../../../shared/saved-workflows';

interface Row {
  path: string;
  size: number;
  modified: number;
  content: string | null;
  content_modified: number | null;
  pending: string | null;
  pending_base: number | null;
}

export interface SavedCopy {
  path: string;
  modified: number;
  content: string | null;
  contentModified: number | null;
  pending: string | null;
  pendingBase: number | null;
}

export class SavedWorkflowsJournal {
  constructor(private readonly db: Database) {}

  entries(profileId: string): SavedWorkflowEntry[] {
    const rows = this.db
      .prepare('SELECT * FROM saved_workflows WHERE profile_id = ? ORDER BY path COLLATE NOCASE')
      .all(profileId) as Row[];
    return rows.map(toEntry);
  }

  entry(profileId: string, path: string): SavedWorkflowEntry | null {
    const row = this.row(profileId, path);
    return row ? toEntry(row) : null;
  }

  copy(profileId: string, path: string): SavedCopy | null {
    const row = this.row(profileId, path);
    if (!row) return null;
    return {
      path: row.path,
      modified: row.modified,
      content: row.content,
      contentModified: row.content_modified,
      pending: row.pending,
      pendingBase: row.pending_base,
    };
  }

  listing(profileId: string): { listedAt: number | null; error: string | null; skipped: string | null } {
    const row = this.db
      .prepare('SELECT listed_at, error, skipped FROM saved_workflow_lists WHERE profile_id = ?')
      .get(profileId) as { listed_at: number | null; error: string | null; skipped: string | null } | undefined;
    return { listedAt: row?.listed_at ?? null, error: row?.error ?? null, skipped: row?.skipped ?? null };
  }

  /**
   * The server's listing replaces the last one: entries it no longer has are dropped, except a
   * version saved here that it does not have yet.
   */
  replaceListing(
    profileId: string,
    files: { path: string; size: number; modified: number }[],
    skipped: string | null,
  ): void {
    const upsert = this.db.prepare(`
      INSERT INTO saved_workflows (profile_id, path, size, modified) VALUES (?, ?, ?, ?)
      ON CONFLICT (profile_id, path) DO UPDATE SET size = excluded.size, modified = excluded.modified`);
    this.db.transaction(() => {
      const keep = new Set(files.map((f) => f.path));
      const known = this.db
        .prepare('SELECT path, pending FROM saved_workflows WHERE profile_id = ?')
        .all(profileId) as { path: string; pending: string | null }[];
      const drop = this.db.prepare('DELETE FROM saved_workflows WHERE profile_id = ? AND path = ?');
      for (const row of known) if (!keep.has(row.path) && row.pending === null) drop.run(profileId, row.path);
      for (const f of files) upsert.run(profileId, f.path, f.size, f.modified);
      this.db
        .prepare(
          `INSERT INTO saved_workflow_lists (profile_id, listed_at, error, skipped) VALUES (?, ?, NULL, ?)
           ON CONFLICT (profile_id) DO UPDATE SET listed_at = excluded.listed_at, error = NULL, skipped = excluded.skipped`,
        )
        .run(profileId, Date.now(), skipped);
    })();
  }

  listingFailed(profileId: string, error: string): void {
    this.db
      .prepare(
        `INSERT INTO saved_workflow_lists (profile_id, listed_at, error) VALUES (?, NULL, ?)
         ON CONFLICT (profile_id) DO UPDATE SET error = excluded.error`,
      )
      .run(profileId, error);
  }

  /** The server's version of a file, as read (or as just written there). */
  stored(profileId: string, file: { path: string; size: number; modified: number }, content: string): void {
    this.db
      .prepare(
        `INSERT INTO saved_workflows (profile_id, path, size, modified, content, content_modified) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (profile_id, path) DO UPDATE SET size = excluded.size, modified = excluded.modified,
           content = excluded.content, content_modified = excluded.content_modified`,
      )
      .run(profileId, file.path, file.size, file.modified, content, file.modified);
  }

  /** A version saved here, kept until the server has it. */
  keepPending(profileId: string, path: string, content: string, base: number | null): void {
    this.db
      .prepare(
        `INSERT INTO saved_workflows (profile_id, path, size, modified, pending, pending_base) VALUES (?, ?, ?, 0, ?, ?)
         ON CONFLICT (profile_id, path) DO UPDATE SET pending = excluded.pending, pending_base = excluded.pending_base`,
      )
      .run(profileId, path, Buffer.byteLength(content), content, base);
  }

  clearPending(profileId: string, path: string): void {
    this.db
      .prepare('UPDATE saved_workflows SET pending = NULL, pending_base = NULL WHERE profile_id = ? AND path = ?')
      .run(profileId, path);
  }

  pendings(profileId: string): { path: string; content: string; base: number | null }[] {
    return (
      this.db
        .prepare('SELECT path, pending, pending_base FROM saved_workflows WHERE profile_id = ? AND pending IS NOT NULL')
        .all(profileId) as { path: string; pending: string; pending_base: number | null }[]
    ).map((r) => ({ path: r.path, content: r.pending, base: r.pending_base }));
  }

  /** Files whose kept content is older than the listing (or missing): read again when online. */
  stale(profileId: string, limit: number): string[] {
    return (
      this.db
        .prepare(
          `SELECT path FROM saved_workflows WHERE profile_id = ? AND modified > 0
           AND (content_modified IS NULL OR content_modified <> modified) ORDER BY modified DESC LIMIT ?`,
        )
        .all(profileId, limit) as { path: string }[]
    ).map((r) => r.path);
  }

  remove(profileId: string, path: string): void {
    this.db.prepare('DELETE FROM saved_workflows WHERE profile_id = ? AND path = ?').run(profileId, path);
  }

  private row(profileId: string, path: string): Row | undefined {
    return this.db.prepare('SELECT * FROM saved_workflows WHERE profile_id = ? AND path = ?').get(profileId, path) as
      Row | undefined;
  }
}

function toEntry(row: Row): SavedWorkflowEntry {
  return {
    path: row.path,
    ...splitSavedPath(row.path),
    size: row.size,
    modified: row.modified,
    cached: row.content !== null || row.pending !== null,
    pending: row.pending !== null,
  };
}
