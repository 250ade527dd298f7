// The workflow library: workflows the user keeps, by name, and which jobs ran from each.
import type { Database } from 'better-sqlite3';

export default {
  version: 4,
  name: 'library',
  up(db: Database): void {
    db.exec(`
      CREATE TABLE library (
        id            TEXT PRIMARY KEY,
        name          TEXT NOT NULL,
        workflow_json TEXT NOT NULL,
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL,
        last_used_at  INTEGER
      );
      ALTER TABLE jobs ADD COLUMN library_id TEXT REFERENCES library(id) ON DELETE SET NULL;
      CREATE INDEX jobs_library ON jobs(library_id) WHERE library_id IS NOT NULL;
    `);
  },
};
