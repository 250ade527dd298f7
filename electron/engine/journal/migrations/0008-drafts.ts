// Open workflows, kept like tabs: what the person set up (the workflow, the form's values, chosen
// images and masks) survives navigating away and restarting the app.
import type { Database } from 'better-sqlite3';

export default {
  version: 8,
  name: 'drafts',
  up(db: Database): void {
    db.exec(`
      CREATE TABLE drafts (
        id            TEXT PRIMARY KEY,
        name          TEXT NOT NULL,
        workflow_json TEXT NOT NULL,
        state_json    TEXT NOT NULL,
        position      INTEGER NOT NULL,
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL
      );
    `);
  },
};
