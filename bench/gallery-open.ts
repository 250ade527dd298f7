// Run by bench/gallery-queries.ts in a process of its own: opens a seeded journal as the engine does
// (migrations checked), reads what the gallery shows first, and prints how long opening took and the
// process's RSS after, as one JSON line.
import { openJournal } from '../electron/engine/journal/db';
import { GalleryQueries } from '../electron/engine/journal/gallery';
import { JobJournal } from '../electron/engine/journal/jobs';
import { SEARCH_WORDS } from './gallery-queries';

const path = process.argv[2]!;
const start = performance.now();
const db = openJournal(path);
const gallery = new GalleryQueries(db, new JobJournal(db));
const openMs = performance.now() - start;
let after: string | undefined;
for (let i = 0; i < 50; i++)
  after = gallery.page({ limit: 100, saved: true, ...(after ? { after } : {}) }).nextCursor ?? undefined;
for (const search of SEARCH_WORDS) {
  gallery.page({ limit: 100, saved: true, search });
  gallery.count({ saved: true, search });
}
gallery.count({ saved: true });
gallery.workflows();
db.close();
console.log(JSON.stringify({ openMs, rssMb: process.memoryUsage().rss / 1024 / 1024 }));
