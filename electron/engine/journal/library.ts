// The workflow library: named workflows kept in the journal, with when each was last run and the
// thumbnail of its newest output.
import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import type { LibraryEntry } from '../../../shared/contract';
import { DeskError } from '../../../shared/errors';

interface Row {
  id: string;
  name: string;
  workflow_json: string;
  updated_at: number;
  last_used_at: number | null;
  cover_hash: string | null;
}

const SELECT = `
  SELECT l.*, (SELECT o.hash FROM outputs o JOIN jobs j ON j.id = o.job_id
               WHERE j.library_id = l.id AND o.state = 'stored' AND o.kind = 'image' AND o.deleted_at IS NULL
               ORDER BY (o.type = 'temp'), o.created_at DESC LIMIT 1) AS cover_hash
  FROM library l`;

export class Library {
  constructor(private readonly db: Database) {}

  list(): LibraryEntry[] {
    return (this.db.prepare(`${SELECT} ORDER BY COALESCE(l.last_used_at, l.updated_at) DESC`).all() as Row[]).map(
      toEntry,
    );
  }

  get(id: string): { entry: LibraryEntry; workflow: Record<string, unknown> } {
    const row = this.db.prepare(`${SELECT} WHERE l.id = ?`).get(id) as Row | undefined;
    if (!row) throw new DeskError('not_found', 'This workflow is no longer in the library.');
    return { entry: toEntry(row), workflow: JSON.parse(row.workflow_json) as Record<string, unknown> };
  }

  save(input: { id?: string; name: string; workflow: unknown }): LibraryEntry {
    const now = Date.now();
    const json = JSON.stringify(input.workflow);
    if (input.id && this.db.prepare('SELECT 1 FROM library WHERE id = ?').get(input.id)) {
      this.db
        .prepare('UPDATE library SET name = ?, workflow_json = ?, updated_at = ? WHERE id = ?')
        .run(input.name, json, now, input.id);
      return this.get(input.id).entry;
    }
    const id = randomUUID();
    this.db
      .prepare('INSERT INTO library (id, name, workflow_json, created_at, updated_at) VALUES (?, ?, ?, ?, ?)')
      .run(id, input.name, json, now, now);
    return this.get(id).entry;
  }

  rename(id: string, name: string): LibraryEntry {
    const { workflow } = this.get(id);
    return this.save({ id, name, workflow });
  }

  duplicate(id: string): LibraryEntry {
    const { entry, workflow } = this.get(id);
    return this.save({ name: `${entry.name} copy`, workflow });
  }

  remove(id: string): void {
    this.db.prepare('DELETE FROM library WHERE id = ?').run(id);
  }

  /** A run from the library: remembered as its last use, and its jobs point back to it. */
  used(id: string, jobIds: string[]): void {
    const mark = this.db.prepare('UPDATE jobs SET library_id = ? WHERE id = ?');
    this.db.transaction(() => {
      this.db.prepare('UPDATE library SET last_used_at = ? WHERE id = ?').run(Date.now(), id);
      for (const jobId of jobIds) mark.run(id, jobId);
    })();
  }
}

function toEntry(row: Row): LibraryEntry {
  const workflow = JSON.parse(row.workflow_json) as Record<string, unknown>;
  return {
    id: row.id,
    name: row.name,
    // A UI-format workflow (kept as the graph people saved) counts the nodes of its canvas.
    nodeCount: Array.isArray(workflow.nodes) ? workflow.nodes.length : Object.keys(workflow).length,
    updatedAt: row.updated_at,
    lastUsedAt: row.last_used_at,
    coverHash: row.cover_hash,
  };
}
