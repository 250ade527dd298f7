// The app's own queue: held jobs have an order (queue_rank) and may belong to a batch; a job may
// be meant for several servers (route_json, the profiles it may run on) and sit at a point of a
// sweep (sweep_json, its index on each axis); a failed run retried in its batch is replaced_by the retry. Each server has a window (how many of ours may be
// on it at once) and may be paused.
import type { Database } from 'better-sqlite3';

export default {
  version: 9,
  name: 'queue',
  up(db: Database): void {
    db.exec(`
      CREATE TABLE batches (
        id            TEXT PRIMARY KEY,
        name          TEXT NOT NULL,
        color         TEXT,
        kind          TEXT NOT NULL,
        profiles_json TEXT NOT NULL,
        axes_json     TEXT NOT NULL DEFAULT '[]',
        paused        INTEGER NOT NULL DEFAULT 0,
        created_at    INTEGER NOT NULL
      );
      CREATE INDEX batches_created ON batches(created_at DESC);
      ALTER TABLE jobs ADD COLUMN queue_rank REAL;
      ALTER TABLE jobs ADD COLUMN batch_id TEXT REFERENCES batches(id);
      ALTER TABLE jobs ADD COLUMN route_json TEXT;
      ALTER TABLE jobs ADD COLUMN sweep_json TEXT;
      ALTER TABLE jobs ADD COLUMN replaced_by TEXT;
      UPDATE jobs SET queue_rank = rowid;
      CREATE INDEX jobs_rank ON jobs(queue_rank);
      CREATE INDEX jobs_held ON jobs(queue_rank) WHERE state = 'outbox';
      CREATE INDEX jobs_batch ON jobs(batch_id) WHERE batch_id IS NOT NULL;
      ALTER TABLE profiles ADD COLUMN queue_window INTEGER;
      ALTER TABLE profiles ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
      -- Another process (the command line) may pause, resume or reorder: the window hears of it
      -- through the change log, as it does of jobs.
      CREATE TRIGGER batches_changed_insert AFTER INSERT ON batches
        BEGIN INSERT INTO changes (kind, ref) VALUES ('batch', NEW.id); END;
      CREATE TRIGGER batches_changed_update AFTER UPDATE ON batches
        BEGIN INSERT INTO changes (kind, ref) VALUES ('batch', NEW.id); END;
      CREATE TRIGGER profiles_changed_update AFTER UPDATE ON profiles
        BEGIN INSERT INTO changes (kind, ref) VALUES ('queue', NEW.id); END;
      CREATE TRIGGER settings_changed_insert AFTER INSERT ON settings
        BEGIN INSERT INTO changes (kind, ref) VALUES ('queue', NEW.key); END;
      CREATE TRIGGER settings_changed_update AFTER UPDATE ON settings
        BEGIN INSERT INTO changes (kind, ref) VALUES ('queue', NEW.key); END;
    `);
  },
};
