// The workflows each server keeps for its user (user data under workflows/): the listing and the
// files, so they can be browsed, opened and run offline; and a version saved here that the server
// does not have yet (`pending`), kept until the server has it.
import type { Database } from 'better-sqlite3';

export default {
  version: 14,
  name: 'saved-workflows',
  says: "Making room for the servers' saved workflows",
  up(db: Database): void {
    db.exec(`
      CREATE TABLE saved_workflows (
        profile_id TEXT NOT NULL,
        path TEXT NOT NULL,
        size INTEGER NOT NULL,
        modified INTEGER NOT NULL,
        content TEXT,
        content_modified INTEGER,
        pending TEXT,
        pending_base INTEGER,
        PRIMARY KEY (profile_id, path)
      );
      CREATE TABLE saved_workflow_lists (
        profile_id TEXT PRIMARY KEY,
        listed_at INTEGER,
        error TEXT,
        skipped TEXT
      );
    `);
  },
};
