// Upgrading a journal an older version wrote (electron/engine/journal/upgrade.ts): the steps are told
// in words as they start; in a worker thread the process that waits keeps running (its timers tick
// while an index over 100,000 outputs is rebuilt); a worker that fails leaves the upgrade to this
// thread; a journal from a newer version is refused, untouched. Real journals on disk.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { latestVersion, openJournal } from '../../../electron/engine/journal/db';
import { GalleryQueries } from '../../../electron/engine/journal/gallery';
import { JobJournal } from '../../../electron/engine/journal/jobs';
import { migrations } from '../../../electron/engine/journal/migrations/index';
import { pendingUpgrade, upgradeJournal, type UpgradeStep } from '../../../electron/engine/journal/upgrade';
import { upgradeLine } from '../../../electron/engine/journal/upgrade-words';
import { seedGallerySql } from './gallery-seed';

const ROOT = join(import.meta.dirname, '../../..');
/** The worker built as the app builds it (one ESM file; better-sqlite3 from node_modules). */
const WORKER_DIR = join(ROOT, 'node_modules/.cache/comfy-desk-tests');
const WORKER = join(WORKER_DIR, 'journal-upgrade.mjs');

let dir: string | null = null;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

beforeAll(async () => {
  mkdirSync(WORKER_DIR, { recursive: true });
  await build({
    entryPoints: [join(ROOT, 'electron/engine/journal/upgrade-worker.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['better-sqlite3'],
    outfile: WORKER,
    logLevel: 'silent',
  });
});

/** A journal as version 11 wrote it, with `outputs` outputs; how many of them the gallery shows. */
function journalAt11(outputs: number): { path: string; shown: number } {
  dir = mkdtempSync(join(tmpdir(), 'desk-upgrade-'));
  const path = join(dir, 'journal.sqlite3');
  const db = openJournal(path, { migrations: migrations.filter((m) => m.version <= 11) });
  seedGallerySql(db, outputs);
  const shown = db.prepare('SELECT COUNT(*) FROM outputs WHERE deleted_at IS NULL').pluck().get() as number;
  db.close();
  return { path, shown };
}

function countAll(path: string): number {
  const db = openJournal(path);
  try {
    return new GalleryQueries(db, new JobJournal(db)).count({});
  } finally {
    db.close();
  }
}

describe('a journal version 11 wrote', () => {
  it('lists what is pending and how many outputs it holds; a new journal has nothing pending', () => {
    const { path } = journalAt11(500);
    const { pending, outputs } = pendingUpgrade(path);
    expect(pending.map((m) => m.version)).toEqual(migrations.filter((m) => m.version > 11).map((m) => m.version));
    expect(outputs).toBe(500);
    expect(pendingUpgrade(join(dir!, 'none.sqlite3')).pending).toEqual([]);
  });

  it('is upgraded in this thread without a worker script, each step told in words', async () => {
    const { path, shown } = journalAt11(500);
    const steps: UpgradeStep[] = [];
    await upgradeJournal(path, { onStep: (s) => steps.push(s) });
    const later = migrations.filter((m) => m.version > 11);
    expect(steps.map((s) => [s.step, s.of])).toEqual(later.map((_, i) => [i + 1, later.length]));
    expect(steps[0]).toMatchObject({ says: 'Counting the gallery by its filters', outputs: 500 });
    expect(upgradeLine(steps[0]!)).toBe(
      `Upgrading the journal (500 outputs), step 1 of ${later.length}: Counting the gallery by its filters…`,
    );
    // The later steps say what they do too.
    expect(steps.map((s) => s.says)).toContain("Making room for the servers' saved workflows");
    expect(pendingUpgrade(path).pending).toEqual([]);
    expect(countAll(path)).toBe(shown);
    // Done once: nothing more is told.
    const again: UpgradeStep[] = [];
    await upgradeJournal(path, { onStep: (s) => again.push(s) });
    expect(again).toEqual([]);
  });

  it('is upgraded in a worker while this thread keeps running its timers', async () => {
    const { path, shown } = journalAt11(100_000);
    const steps: UpgradeStep[] = [];
    let ticks = 0;
    let ticksDuringSteps = 0;
    const timer = setInterval(() => {
      ticks++;
      if (steps.length > 0) ticksDuringSteps++;
    }, 5);
    try {
      await upgradeJournal(path, {
        workerScript: WORKER,
        onStep: (s) => steps.push(s),
        onFallback: (r) => expect.fail(r),
      });
    } finally {
      clearInterval(timer);
    }
    expect(steps.map((s) => s.says)[0]).toBe('Counting the gallery by its filters');
    // The rebuild over 100,000 outputs took long enough for many ticks, none of them blocked.
    expect(ticksDuringSteps).toBeGreaterThan(3);
    expect(ticks).toBeGreaterThanOrEqual(ticksDuringSteps);
    expect(countAll(path)).toBe(shown);
  }, 60_000);

  it('is upgraded here when the worker fails, saying why', async () => {
    const { path, shown } = journalAt11(200);
    const broken = join(dir!, 'broken-worker.mjs');
    writeFileSync(broken, `throw new Error('no such module');\n`);
    const reasons: string[] = [];
    const steps: UpgradeStep[] = [];
    await upgradeJournal(path, {
      workerScript: broken,
      onFallback: (r) => reasons.push(r),
      onStep: (s) => steps.push(s),
    });
    expect(reasons).toEqual([expect.stringContaining('no such module')]);
    expect(steps.length).toBe(migrations.filter((m) => m.version > 11).length);
    expect(countAll(path)).toBe(shown);
  });
});

it('a journal from a newer version is refused, in the worker and here, and left as it was', async () => {
  dir = mkdtempSync(join(tmpdir(), 'desk-upgrade-'));
  const path = join(dir, 'journal.sqlite3');
  openJournal(path).close();
  const db = openJournal(path);
  db.pragma(`user_version = ${latestVersion() + 1}`);
  db.close();
  const before = readFileSync(path);
  const reasons: string[] = [];
  // Nothing is pending for this app (the journal is ahead), so nothing runs and openJournal refuses.
  await upgradeJournal(path, { workerScript: WORKER, onFallback: (r) => reasons.push(r) });
  expect(reasons).toEqual([]);
  expect(() => openJournal(path)).toThrow(/newer version of Comfy Desk/);
  expect(readFileSync(path).equals(before)).toBe(true);
});
