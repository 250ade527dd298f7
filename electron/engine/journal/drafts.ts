// Open workflows (drafts), in the order of their tabs. The renderer's state for a draft (form
// values, chosen images, the seed strategy) is opaque here: kept as the window gave it, bounded by
// the contract.
import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import type { CommandInput, Draft } from '../../../shared/contract';
import { DeskError } from '../../../shared/errors';

interface Row {
  id: string;
  name: string;
  workflow_json: string;
  state_json: string;
  ui_json: string | null;
  position: number;
  updated_at: number;
}

export class Drafts {
  constructor(private readonly db: Database) {}

  list(): Draft[] {
    return (this.db.prepare('SELECT * FROM drafts ORDER BY position, created_at').all() as Row[]).map(toDraft);
  }

  /** Creates a draft (no id, or an id not known) at the end of the tabs, or updates one in place. */
  save(input: CommandInput<'drafts.save'>): Draft {
    const now = Date.now();
    const workflow = JSON.stringify(input.workflow);
    const state = JSON.stringify(input.state ?? {});
    const ui = input.uiWorkflow ? JSON.stringify(input.uiWorkflow) : null;
    return this.db.transaction(() => {
      if (input.id && this.db.prepare('SELECT 1 FROM drafts WHERE id = ?').get(input.id)) {
        this.db
          .prepare(
            'UPDATE drafts SET name = ?, workflow_json = ?, state_json = ?, ui_json = ?, updated_at = ? WHERE id = ?',
          )
          .run(input.name, workflow, state, ui, now, input.id);
        return this.get(input.id);
      }
      const id = input.id ?? randomUUID();
      const position = (
        this.db.prepare('SELECT coalesce(max(position), -1) + 1 AS p FROM drafts').get() as { p: number }
      ).p;
      this.db
        .prepare(
          'INSERT INTO drafts (id, name, workflow_json, state_json, ui_json, position, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(id, input.name, workflow, state, ui, position, now, now);
      return this.get(id);
    })();
  }

  remove(id: string): void {
    this.db.prepare('DELETE FROM drafts WHERE id = ?').run(id);
  }

  private get(id: string): Draft {
    const row = this.db.prepare('SELECT * FROM drafts WHERE id = ?').get(id) as Row | undefined;
    if (!row) throw new DeskError('not_found', 'This open workflow was closed.');
    return toDraft(row);
  }
}

function toDraft(row: Row): Draft {
  return {
    id: row.id,
    name: row.name,
    position: row.position,
    updatedAt: row.updated_at,
    workflow: JSON.parse(row.workflow_json) as Record<string, unknown>,
    state: JSON.parse(row.state_json) as Record<string, unknown>,
    uiWorkflow: row.ui_json ? (JSON.parse(row.ui_json) as Record<string, unknown>) : null,
  };
}
