// UI-format workflows kept by content: the graph a job was made from (sent as extra_pnginfo, so its
// outputs reopen in ComfyUI), kept once however many runs share it.
import { createHash } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';

export class UiWorkflows {
  private readonly insert: Statement;
  private readonly byId: Statement;

  constructor(db: Database) {
    this.insert = db.prepare(`INSERT INTO ui_workflows (id, json, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`);
    this.byId = db.prepare(`SELECT json FROM ui_workflows WHERE id = ?`);
  }

  /** Keeps a UI workflow (once per content) and returns its id. */
  save(ui: Record<string, unknown>): string {
    const json = JSON.stringify(ui);
    const id = createHash('sha256').update(json).digest('hex');
    this.insert.run(id, json, Date.now());
    return id;
  }

  get(id: string | null | undefined): Record<string, unknown> | null {
    if (!id) return null;
    const row = this.byId.get(id) as { json: string } | undefined;
    return row ? (JSON.parse(row.json) as Record<string, unknown>) : null;
  }
}
