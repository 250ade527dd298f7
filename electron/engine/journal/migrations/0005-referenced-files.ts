// Outputs imported "in place": the file stays where the user keeps it; the journal knows where.
import type { Database } from 'better-sqlite3';

export default {
  version: 5,
  name: 'referenced-files',
  up(db: Database): void {
    db.exec(`ALTER TABLE outputs ADD COLUMN source_path TEXT;`);
  },
};
