// "A gallery that knows how each image was made", in Debian's Chromium through the headless host
// (from source, on a copy of the built renderer):
//
// 1. The gallery's scroll while the background indexer (electron/engine/jobs/image-index.ts) works
//    through 10,000 stored images whose perceptual hash is missing: the p95 frame time, against the
//    same scroll over the same data with every hash already there (nothing to index), and how many
//    images were hashed while it scrolled.
// 2. The Compare view on two 2048×2048 PNGs (noise, imported with import.folder): from pressing
//    Compare in the selection toolbar to both full-size images loaded, and from pressing Difference
//    to the share of differing pixels shown; against loading the same two images in a bare <img>
//    pair on a blank page of the same host (the HTTP cache off for both). Medians of 5; the cold
//    figures (`…_first`: nothing of the files in the page yet) are medians of 3, each in a fresh page.
//
// The renderer is copied from out/renderer when the benchmark starts; COMFY_DESK_BENCH_RENDERER=<dir>
// uses another build.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { chromium, type Browser } from 'playwright-core';
import sharp from 'sharp';
import { chromiumArgs } from '../playwright.config';
import { OutputStore, perceptualHash } from '../electron/engine/store';
import { invoke } from '../tests/e2e/bridge-client';
import { seededDataDir } from '../tests/e2e/seed';
import { percentile, report } from './report';
import { snapshotRenderer, startHost } from './renderer-host';

const IMAGES = 10_000;
/** How long each scroll lasts (the same with and without indexing). */
const SCROLL_MS = 8000;
const EDGE = 2048;
const REPEATS = 5;
/** Cold opens (each in a fresh page) behind the `…_first` figures: their median. */
const COLD = 3;

export async function benchGalleryOrganize(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'bench-gallery-organize-'));
  const rendererDir = process.env.COMFY_DESK_BENCH_RENDERER ?? snapshotRenderer(join(work, 'renderer'));
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumArgs });
  try {
    await benchIndexingScroll(browser, rendererDir);
    await benchCompare(browser, rendererDir, work);
  } finally {
    await browser.close();
    rmSync(work, { recursive: true, force: true });
  }
}

// ---------- 1. scrolling while perceptual hashes are made ----------

async function benchIndexingScroll(browser: Browser, rendererDir: string): Promise<void> {
  const built = performance.now();
  const dataDir = await seededDataDir(IMAGES);
  const journal = join(dataDir, 'journal.sqlite3');
  try {
    // Every output an image (the seed makes every 20th a video), each with its real hash first.
    const store = new OutputStore(join(dataDir, 'store'));
    const db = new Database(journal);
    db.prepare(`UPDATE outputs SET kind = 'image', mime = 'image/png' WHERE kind != 'image'`).run();
    const hashes = db.prepare('SELECT DISTINCT hash FROM outputs').pluck().all() as string[];
    const setPhash = db.prepare('UPDATE outputs SET phash = ? WHERE hash = ?');
    for (const hash of hashes) setPhash.run(await perceptualHash(store.thumbPathOf(hash)), hash);
    const images = db.prepare(`SELECT COUNT(*) FROM outputs WHERE kind = 'image' AND state = 'stored'`).pluck().get();
    db.close();
    const buildMs = performance.now() - built;

    // Nothing to index: every hash is there.
    const idle = await scrollOnce(browser, dataDir, rendererDir, journal);
    if (idle.hashedBefore !== IMAGES) throw new Error(`baseline: ${idle.hashedBefore} of ${IMAGES} hashed`);

    // The same data with every hash gone: the indexer starts with the host.
    const wipe = new Database(journal);
    wipe.prepare('UPDATE outputs SET phash = NULL').run();
    wipe.close();
    const busy = await scrollOnce(browser, dataDir, rendererDir, journal);

    const idleP95 = percentile(idle.frames, 95);
    const busyP95 = percentile(busy.frames, 95);
    report('organize_seed_images', Number(images), 'images', 'n/a', true);
    report('organize_seed_build', buildMs / 1000, 's', '<120', buildMs < 120_000);
    report('organize_indexing_scroll_frame_p95', busyP95, 'ms', '<20', busyP95 < 20);
    report('organize_idle_scroll_frame_p95', idleP95, 'ms', 'n/a', true);
    report('organize_indexing_vs_idle_scroll_p95', busyP95 / idleP95, 'x', 'n/a', true);
    report('organize_indexing_scroll_frame_max', Math.max(...busy.frames), 'ms', 'n/a', true);
    report('organize_hashed_during_scroll', busy.hashedAfter - busy.hashedBefore, 'images', 'n/a', true);
    report('organize_hashed_before_scroll', busy.hashedBefore, 'images', 'n/a', true);
    report('organize_unhashed_after_scroll', IMAGES - busy.hashedAfter, 'images', 'n/a', true);
    report('organize_scroll_rows_indexing', busy.rows, 'rows', 'n/a', true);
    report('organize_scroll_rows_idle', idle.rows, 'rows', 'n/a', true);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

interface ScrollRun {
  frames: number[];
  rows: number;
  hashedBefore: number;
  hashedAfter: number;
}

/** A host on the data folder, the gallery opened, scrolled for SCROLL_MS; hashes counted around the scroll. */
async function scrollOnce(browser: Browser, dataDir: string, rendererDir: string, journal: string): Promise<ScrollRun> {
  const host = await startHost(dataDir, rendererDir);
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  try {
    await page.goto(host.url);
    await page.locator('.cell img').first().waitFor({ timeout: 60_000 });
    const hashedBefore = hashedCount(journal);
    const run = await page.evaluate<{ times: number[]; rows: number }>(`(${SCROLL})(${SCROLL_MS})`);
    const hashedAfter = hashedCount(journal);
    if (errors.length > 0) throw new Error(`the page failed: ${errors.join('; ')}`);
    // The first delta is from the evaluate's start to the first frame, not a frame.
    return { frames: run.times.slice(1), rows: run.rows, hashedBefore, hashedAfter };
  } finally {
    await page.close();
    await host.stop();
  }
}

function hashedCount(journal: string): number {
  const db = new Database(journal, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT COUNT(*) FROM outputs WHERE phash IS NOT NULL').pluck().get() as number;
  } finally {
    db.close();
  }
}

// The page's side, as text: tsx would wrap named functions of a callback in a helper the page does not have.
// A fling of three rows a frame, down to the end and back, for `ms`; every frame's time recorded.
const SCROLL = `async (ms) => {
  const scroller = document.querySelector('.scroller');
  const cell = scroller.querySelector('.cell');
  const rowHeight = cell.getBoundingClientRect().height + 8;
  const times = [];
  const start = performance.now();
  let last = start;
  let dir = 1;
  let travelled = 0;
  while (performance.now() - start < ms) {
    await new Promise(requestAnimationFrame);
    const now = performance.now();
    times.push(now - last);
    last = now;
    const max = scroller.scrollHeight - scroller.clientHeight;
    if (dir > 0 && scroller.scrollTop >= max - 1) dir = -1;
    else if (dir < 0 && scroller.scrollTop <= 0) dir = 1;
    const before = scroller.scrollTop;
    scroller.scrollTop = Math.max(0, Math.min(max, before + dir * rowHeight * 3));
    travelled += Math.abs(scroller.scrollTop - before);
  }
  return { times, rows: Math.round(travelled / rowHeight) };
}`;

// ---------- 2. the Compare view ----------

async function benchCompare(browser: Browser, rendererDir: string, work: string): Promise<void> {
  const folder = join(work, 'pngs');
  mkdirSync(folder);
  for (const [i, mean] of [110, 140].entries()) {
    await sharp({
      create: {
        width: EDGE,
        height: EDGE,
        channels: 3,
        background: '#808080',
        noise: { type: 'gaussian', mean, sigma: 40 },
      },
    })
      .png()
      .toFile(join(folder, `noise-${i}.png`));
  }
  const dataDir = join(work, 'compare-data');
  mkdirSync(dataDir);
  const host = await startHost(dataDir, rendererDir);
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  try {
    const summary = await invoke(host, 'import.folder', { path: folder });
    if (summary.added !== 2) throw new Error(`import.folder: ${JSON.stringify(summary)}`);
    // Each open loads the full images from the host, as the first open after a run does.
    const noCache = async (p: typeof page): Promise<void> => {
      const cdp = await p.context().newCDPSession(p);
      await cdp.send('Network.enable');
      await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    };
    /** Opens the gallery in `p` and selects the two images; returns a selector for again. */
    const inGallery = async (p: typeof page): Promise<() => Promise<void>> => {
      await p.goto(host.url);
      await p.getByRole('button', { name: 'Gallery', exact: true }).click();
      const cells = p.getByRole('gridcell');
      await cells.nth(1).waitFor({ timeout: 60_000 });
      const compare = p.getByRole('toolbar', { name: 'Selection' }).getByRole('button', { name: 'Compare' });
      const select = async (): Promise<void> => {
        if ((await compare.count()) > 0) return;
        await cells.nth(0).click({ modifiers: ['Control'] });
        await cells.nth(1).click({ modifiers: ['Control'] });
        await compare.waitFor();
      };
      await select();
      return select;
    };
    await noCache(page);
    const select = await inGallery(page);

    const opens: number[] = [];
    const diffs: number[] = [];
    let srcs: string[] = [];
    let shown = '';
    for (let i = 0; i < REPEATS; i++) {
      await select();
      const open = await page.evaluate<{ ms: number; srcs: string[] }>(`(${OPEN_COMPARE})()`);
      opens.push(open.ms);
      srcs = open.srcs;
      const diff = await page.evaluate<{ ms: number; text: string }>(`(${SHOW_DIFF})()`);
      diffs.push(diff.ms);
      shown = diff.text;
      await page.keyboard.press('Escape');
      await page.getByRole('dialog', { name: 'Compare outputs' }).waitFor({ state: 'detached' });
    }
    if (errors.length > 0) throw new Error(`the page failed: ${errors.join('; ')}`);
    // Cold opens: each in a page of its own (a context of its own: nothing of the files in memory).
    const coldOpens = [opens[0]!];
    for (let i = 1; i < COLD; i++) {
      const fresh = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      try {
        await noCache(fresh);
        await inGallery(fresh);
        coldOpens.push((await fresh.evaluate<{ ms: number }>(`(${OPEN_COMPARE})()`)).ms);
      } finally {
        await fresh.close();
      }
    }

    // The same two files in a bare <img> pair on a blank page of the same host (a 404 page: no app).
    const pairIn = async (times: number): Promise<number[]> => {
      const blank = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      try {
        await noCache(blank);
        await blank.goto(host.url); // the host's cookie, then away from the app
        await blank.goto(`${host.origin}/bench-blank`);
        const ms: number[] = [];
        for (let i = 0; i < times; i++)
          ms.push(await blank.evaluate<number>(`(${LOAD_PAIR})(${JSON.stringify(srcs)})`));
        return ms;
      } finally {
        await blank.close();
      }
    };
    const baselines = await pairIn(REPEATS);
    const coldPairs = [baselines[0]!];
    for (let i = 1; i < COLD; i++) coldPairs.push(...(await pairIn(1)));

    const open = percentile(opens, 50);
    const diff = percentile(diffs, 50);
    const base = percentile(baselines, 50);
    report('compare_open_2048_both_loaded', open, 'ms', '<200', open < 200);
    report('compare_diff_2048_shown', diff, 'ms', '<500', diff < 500);
    report('compare_img_pair_2048_blank_page', base, 'ms', 'n/a', true);
    // The first of each is the cold one (nothing of the files in the page yet); the later ones reuse
    // Blink's memory cache for the same URLs (the HTTP cache is off), the view and the pair alike.
    const coldOpen = percentile(coldOpens, 50);
    const coldPair = percentile(coldPairs, 50);
    report('compare_open_2048_first', coldOpen, 'ms', '<200', coldOpen < 200);
    report('compare_img_pair_2048_first', coldPair, 'ms', 'n/a', true);
    report('compare_open_first_vs_img_pair_first', coldOpen / Math.max(1, coldPair), 'x', 'n/a', true);
    report('compare_open_vs_img_pair', open / Math.max(1, base), 'x', 'n/a', true);
    report('compare_diff_vs_img_pair', diff / Math.max(1, base), 'x', 'n/a', true);
    console.log(
      `# compare: opens ${fmt(opens)} ms (cold ${fmt(coldOpens)}), differences ${fmt(diffs)} ms, img pair ${fmt(baselines)} ms (cold ${fmt(coldPairs)}); shown: "${shown}"`,
    );
  } finally {
    await page.close();
    await host.stop();
  }
}

function fmt(values: number[]): string {
  return values.map((v) => v.toFixed(0)).join('/');
}

// From pressing Compare to both images of the dialog loaded at full size.
const OPEN_COMPARE = `async () => {
  const bar = document.querySelector('[role="toolbar"][aria-label="Selection"]');
  const button = [...bar.querySelectorAll('button')].find((b) => b.textContent.trim().endsWith('Compare'));
  const t0 = performance.now();
  button.click();
  for (;;) {
    await new Promise(requestAnimationFrame);
    const dialog = document.querySelector('[role="dialog"][aria-label="Compare outputs"]');
    const imgs = dialog ? [...dialog.querySelectorAll('img.layer')] : [];
    if (imgs.length === 2 && imgs.every((img) => img.complete && img.naturalWidth === ${EDGE})) {
      return { ms: performance.now() - t0, srcs: imgs.map((img) => img.src) };
    }
    if (performance.now() - t0 > 60000) throw new Error('the compare view did not load: ' + imgs.length + ' images');
  }
}`;

// From pressing Difference to the share of differing pixels shown (or the view's error).
const SHOW_DIFF = `async () => {
  const dialog = document.querySelector('[role="dialog"][aria-label="Compare outputs"]');
  const button = [...dialog.querySelectorAll('button')].find((b) => b.textContent.trim().endsWith('Difference'));
  const t0 = performance.now();
  button.click();
  for (;;) {
    await new Promise(requestAnimationFrame);
    const status = dialog.querySelector('[aria-label="Pixels that differ"]');
    if (status) return { ms: performance.now() - t0, text: status.textContent.trim() };
    const alert = dialog.querySelector('[role="alert"]');
    if (alert) throw new Error('the difference failed: ' + alert.textContent);
    if (performance.now() - t0 > 60000) throw new Error('the difference was not shown');
  }
}`;

// The baseline: two <img> elements, side by side, until both are loaded at full size.
const LOAD_PAIR = `async (srcs) => {
  const box = document.createElement('div');
  box.style.cssText = 'position:fixed;inset:0;display:flex;gap:8px;background:#111';
  document.body.append(box);
  const t0 = performance.now();
  const imgs = srcs.map((src) => {
    const img = document.createElement('img');
    img.style.cssText = 'flex:1;min-width:0;object-fit:contain';
    img.src = src;
    box.append(img);
    return img;
  });
  for (;;) {
    await new Promise(requestAnimationFrame);
    if (imgs.every((img) => img.complete && img.naturalWidth === ${EDGE})) break;
    if (performance.now() - t0 > 60000) throw new Error('the images did not load');
  }
  const ms = performance.now() - t0;
  box.remove();
  return ms;
}`;

// ---------- the host ----------
