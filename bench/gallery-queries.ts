// The engine side of the gallery with 100,000 outputs: a page query (keyset, 100 items: more than a screen of thumbnails) and a
// full-text search query, each timed many times; p95 against the goals, and the ratio to the
// same page fetched with OFFSET (what a naive list does) measured in the same run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openJournal } from '../electron/engine/journal/db';
import { GalleryQueries } from '../electron/engine/journal/gallery';
import { JobJournal } from '../electron/engine/journal/jobs';
import { seedGallery } from '../tests/unit/jobs/journal-helpers';
import { percentile, report, timed } from './report';

export function benchGalleryQueries(): void {
  const dir = mkdtempSync(join(tmpdir(), 'bench-gallery-'));
  try {
    const db = openJournal(join(dir, 'journal.sqlite3'));
    seedGallery(db, 100_000);
    db.pragma('optimize');
    const gallery = new GalleryQueries(db, new JobJournal(db));

    // Walk deep into the gallery page by page, as scrolling does.
    const pageTimes: number[] = [];
    let after: string | undefined;
    for (let i = 0; i < 300; i++) {
      const { result, ms } = timed(() => gallery.page({ limit: 100, ...(after ? { after } : {}) }));
      pageTimes.push(ms);
      after = result.nextCursor ?? undefined;
      if (!after) break;
    }
    const words = ['fox', 'whale castle', 'neon', 'portrait sunset', 'robot', 'number1234', 'ComfyUI_0420'];
    const searchTimes: number[] = [];
    for (let i = 0; i < 140; i++) {
      searchTimes.push(timed(() => gallery.page({ limit: 100, search: words[i % words.length]! })).ms);
    }
    const offsetTimes: number[] = [];
    const offsetPage = db.prepare(
      `SELECT o.* FROM outputs o JOIN jobs j ON j.id = o.job_id WHERE o.deleted_at IS NULL ORDER BY o.created_at DESC, o.id DESC LIMIT 100 OFFSET ?`,
    );
    for (let i = 0; i < 60; i++) offsetTimes.push(timed(() => offsetPage.all(i * 1000)).ms);
    db.close();

    const pageP95 = percentile(pageTimes, 95);
    const searchP95 = percentile(searchTimes, 95);
    report('gallery_page_query_p95', pageP95, 'ms', '<5', pageP95 < 5);
    report('gallery_search_query_p95', searchP95, 'ms', '<20', searchP95 < 20);
    report(
      'gallery_page_vs_offset',
      percentile(offsetTimes, 95) / pageP95,
      'x',
      '>1',
      percentile(offsetTimes, 95) > pageP95,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
