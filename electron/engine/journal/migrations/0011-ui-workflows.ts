// UI-format workflows (the graph people save in ComfyUI) kept beside the API prompts that ran:
// each once, by content, so a batch of a thousand runs keeps one copy. A job names the one it came
// from; an open workflow (draft) keeps its own, with the modes the person switched. The library
// keeps a UI workflow as its workflow.
import type { Database } from 'better-sqlite3';

export default {
  version: 11,
  name: 'ui-workflows',
  up(db: Database): void {
    db.exec(`
      CREATE TABLE ui_workflows (
        id         TEXT PRIMARY KEY,   -- sha256 of the JSON as kept
        json       TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      ALTER TABLE jobs ADD COLUMN ui_workflow_id TEXT REFERENCES ui_workflows(id);
      ALTER TABLE drafts ADD COLUMN ui_json TEXT;
    `);
  },
};
