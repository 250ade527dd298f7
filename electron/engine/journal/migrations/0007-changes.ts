// A log of which jobs and outputs changed, written by triggers, so a window sees what another
// process sharing the journal (the command line, a second host) did within a moment. Also: the
// search index learns the words inside node names ("invert" finds ImageInvert), rebuilt once here;
// and indexes for estimating a run from the same workflow's past runs on the same server.
import type { Database } from 'better-sqlite3';
import { rebuildSearch } from '../jobs';

export default {
  version: 7,
  name: 'changes',
  up(db: Database): void {
    db.exec(`
      CREATE TABLE changes (
        seq  INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,     -- 'job' or 'output'
        ref  TEXT NOT NULL      -- the job id, or the output id
      );
      CREATE TRIGGER jobs_changed_insert AFTER INSERT ON jobs
        BEGIN INSERT INTO changes (kind, ref) VALUES ('job', NEW.id); END;
      CREATE TRIGGER jobs_changed_update AFTER UPDATE ON jobs
        BEGIN INSERT INTO changes (kind, ref) VALUES ('job', NEW.id); END;
      CREATE TRIGGER outputs_changed_insert AFTER INSERT ON outputs
        BEGIN INSERT INTO changes (kind, ref) VALUES ('output', NEW.id); END;
      CREATE TRIGGER outputs_changed_update AFTER UPDATE ON outputs
        BEGIN INSERT INTO changes (kind, ref) VALUES ('output', NEW.id); END;
    `);
    // How long a workflow's runs took on a server: the estimate for the next one (open jobs only).
    db.exec(`
      CREATE INDEX workflows_name ON workflows(name);
      CREATE INDEX jobs_done_runs ON jobs(workflow_id, profile_id, finished_at DESC) WHERE state = 'completed';
    `);
    rebuildSearch(db);
  },
};
