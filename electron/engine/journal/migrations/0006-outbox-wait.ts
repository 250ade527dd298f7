// Why a job still waits in the outbox (the server was unreachable, or needs the person), so every
// window and the command line can say it, whichever process tried last; and which process is
// sending a job, so the app and the command line sharing a journal never both send it.
import type { Database } from 'better-sqlite3';

export default {
  version: 6,
  name: 'outbox-wait',
  up(db: Database): void {
    db.exec(`
      ALTER TABLE jobs ADD COLUMN waiting_json TEXT;
      ALTER TABLE jobs ADD COLUMN submit_owner TEXT;
    `);
  },
};
