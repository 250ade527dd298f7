// The engine side of the gallery at 100,000 and at 1,000,000 outputs (seeded in SQL, bench/seed-
// gallery.ts): search, counts, a filtered page, the workflow list, pages deep in the gallery, each
// timed many times (p95). Each figure is printed per size with its goal, and its growth from 100,000
// to 1,000,000 as a figure of its own: an index-driven query costs about the same at both, one that
// scans grows tenfold, on any machine. Also the seed's time, opening the journal and the engine's RSS
// (in a fresh process, bench/gallery-open.ts), and the keyset page against OFFSET in the same run;
// and "similar images" within 12 bits.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { openJournal } from '../electron/engine/journal/db';
import { migrations } from '../electron/engine/journal/migrations/index';
import { GalleryQueries } from '../electron/engine/journal/gallery';
import { JobJournal } from '../electron/engine/journal/jobs';
import { percentile, report, timed } from './report';
import { seedGallerySql } from '../tests/unit/journal/gallery-seed';

export const SEARCH_WORDS = ['fox', 'whale castle', 'neon', 'portrait sunset', 'robot', 'number1234', 'ComfyUI_0420'];

/** What each size measures: p95 in ms, by figure name. */
type Figures = Record<string, number>;

/** The goal of each figure at 1,000,000 outputs (ms), and whether its growth is held to 1.5×. */
const GOALS: Record<string, { at1m: number; growth: boolean }> = {
  search_p95: { at1m: 20, growth: true },
  count_all_p95: { at1m: 20, growth: true },
  count_search_p95: { at1m: 20, growth: true },
  page_favorites_images_saved_p95: { at1m: 10, growth: true },
  workflows_p95: { at1m: 20, growth: true },
  page_deep_p95: { at1m: 5, growth: true },
  // Not in the table: look-alikes within 12 bits (the window's default), through the index
  // of the hash's quarters; its candidates grow with the gallery, so no growth goal.
  similar_p95: { at1m: 20, growth: false },
};

function p95(times: number[]): number {
  return percentile(times, 95);
}

function repeat(n: number, fn: (i: number) => void): number[] {
  const times: number[] = [];
  for (let i = 0; i < n; i++) times.push(timed(() => fn(i)).ms);
  return times;
}

/** Times every query of the table on a seeded journal. */
export function measureGallery(db: Database): Figures {
  const gallery = new GalleryQueries(db, new JobJournal(db));
  const words = SEARCH_WORDS;
  const figures: Figures = {};
  // Walk deep into the gallery page by page, as scrolling does (the default view: no temp previews).
  let after: string | undefined;
  figures.page_deep_p95 = p95(
    repeat(300, () => {
      const page = gallery.page({ limit: 100, saved: true, ...(after ? { after } : {}) });
      after = page.nextCursor ?? undefined;
    }),
  );
  figures.search_p95 = p95(
    repeat(140, (i) => gallery.page({ limit: 100, saved: true, search: words[i % words.length]! })),
  );
  figures.count_all_p95 = p95(repeat(60, (i) => gallery.count(i % 2 ? {} : { saved: true })));
  figures.count_search_p95 = p95(repeat(70, (i) => gallery.count({ saved: true, search: words[i % words.length]! })));
  figures.page_favorites_images_saved_p95 = p95(
    repeat(60, () => gallery.page({ limit: 100, favorites: true, kinds: ['image'], saved: true })),
  );
  figures.workflows_p95 = p95(repeat(40, () => gallery.workflows()));
  const images = db
    .prepare('SELECT id FROM outputs WHERE phash IS NOT NULL ORDER BY id DESC LIMIT 40')
    .pluck()
    .all() as number[];
  figures.similar_p95 = p95(repeat(40, (i) => gallery.similar(images[i % images.length]!, 60, 12)));
  return figures;
}

function offsetRatio(db: Database, pageP95: number): number {
  const offsetPage = db.prepare(
    `SELECT o.* FROM outputs o JOIN jobs j ON j.id = o.job_id WHERE o.deleted_at IS NULL ORDER BY o.created_at DESC, o.id DESC LIMIT 100 OFFSET ?`,
  );
  const times = repeat(60, (i) => offsetPage.all(i * 1000));
  return p95(times) / pageP95;
}

/** Opening the journal and querying it in a process of its own: how long, and the RSS after. */
function openInChild(path: string): { openMs: number; rssMb: number } | null {
  const run = spawnSync('npx', ['tsx', join(import.meta.dirname, 'gallery-open.ts'), path], { encoding: 'utf8' });
  const line = run.stdout.split('\n').find((l) => l.startsWith('{'));
  if (run.status !== 0 || !line) {
    console.error(run.stderr.slice(-2000));
    return null;
  }
  return JSON.parse(line) as { openMs: number; rssMb: number };
}

/** Upgrading a journal of `size` outputs written by the version before the gallery's migration. */
function migrateFromPrevious(path: string, size: number): number {
  const previous = openJournal(path, { migrations: migrations.filter((m) => m.version < 12) });
  seedGallerySql(previous, size);
  previous.close();
  const { result: db, ms } = timed(() =>
    openJournal(path, { onMigrate: (m) => console.log(`(bench: migrating to ${m.version}, ${m.name})`) }),
  );
  db.close();
  return ms;
}

function label(size: number): string {
  return size >= 1_000_000 ? `${size / 1_000_000}m` : `${size / 1000}k`;
}

export function benchGalleryQueries(sizes: number[] = [100_000, 1_000_000]): void {
  const bySize = new Map<number, Figures>();
  for (const size of sizes) {
    const dir = mkdtempSync(join(tmpdir(), 'bench-gallery-'));
    const tag = label(size);
    try {
      const path = join(dir, 'journal.sqlite3');
      const db = openJournal(path);
      const seed = timed(() => seedGallerySql(db, size));
      db.pragma('optimize');
      report(`gallery_seed_${tag}`, seed.ms / 1000, 's', '<60', seed.ms < 60_000);
      const figures = measureGallery(db);
      bySize.set(size, figures);
      for (const [name, value] of Object.entries(figures)) {
        const goal = GOALS[name]!.at1m;
        report(`gallery_${name}_${tag}`, value, 'ms', `<${goal}`, value < goal);
      }
      const ratio = offsetRatio(db, figures.page_deep_p95!);
      report(`gallery_page_vs_offset_${tag}`, ratio, 'x', '>1', ratio > 1);
      db.close();
      const opened = openInChild(path);
      if (opened) {
        report(`gallery_open_${tag}`, opened.openMs, 'ms', '<1000', opened.openMs < 1000);
        report(`gallery_engine_rss_${tag}`, opened.rssMb, 'MB', '<300', opened.rssMb < 300);
      } else console.log(`BENCH gallery_open_${tag} failed`);
      const migrated = migrateFromPrevious(join(dir, 'previous.sqlite3'), size);
      report(`gallery_migrate_${tag}`, migrated, 'ms', 'n/a', true);
    } catch (err) {
      console.log(`BENCH gallery_queries_${tag} failed`);
      console.error(err);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const small = bySize.get(100_000);
  const large = bySize.get(1_000_000);
  if (!small || !large) return;
  for (const [name, { growth }] of Object.entries(GOALS)) {
    const ratio = large[name]! / small[name]!;
    report(
      `gallery_${name.replace(/_p95$/, '')}_growth`,
      ratio,
      'x',
      growth ? '<=1.5' : 'n/a',
      !growth || ratio <= 1.5,
    );
  }
}
