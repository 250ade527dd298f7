// Each server's /object_info, kept so workflows can be checked and forms built while offline.
import type { Database } from 'better-sqlite3';

export default {
  version: 3,
  name: 'object-info',
  up(db: Database): void {
    db.exec(`
      CREATE TABLE object_info (
        profile_id TEXT PRIMARY KEY,
        json       TEXT NOT NULL,
        fetched_at INTEGER NOT NULL
      );
    `);
  },
};
