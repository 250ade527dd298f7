// An output whose file is one the gallery already shows from an identical run (ComfyUI answered the
// same prompt from its cache): `same_as` names the first. It stays its job's output, and is kept out
// of the gallery the way a deleted output is, so the same file never shows twice. The search index
// is rebuilt: it now holds the files a job read (a search for "my_photo" finds what was made from it).
import type { Database } from 'better-sqlite3';
import { rebuildSearch } from '../jobs';

export default {
  version: 13,
  name: 'same-as',
  says: 'Rebuilding the search index',
  up(db: Database): void {
    db.exec(`ALTER TABLE outputs ADD COLUMN same_as INTEGER`);
    rebuildSearch(db);
  },
};
