// The renderer's gallery over 100,000 outputs, in Debian's Chromium through the headless host:
// time from opening the gallery to the first screen of thumbnails (against opening the empty
// Workflows view in the same run), the p95 frame time while scrolling 10,000 rows, and the JS heap
// after the scroll.
import { rmSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { chromiumArgs } from '../playwright.config';
import { startHostProcess } from '../tests/e2e/fixtures';
import { seededDataDir } from '../tests/e2e/seed';
import { percentile, report } from './report';

const ROWS = 10_000;

export async function benchGalleryRenderer(): Promise<void> {
  const dataDir = await seededDataDir(100_000);
  const host = await startHostProcess({ COMFY_DESK_KEYCHAIN_SERVICE: `bench ${Date.now()}` }, dataDir);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumArgs });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(host.url);
    await page.locator('.cell img').first().waitFor();

    const firstScreens: number[] = [];
    const baselines: number[] = [];
    for (let i = 0; i < 5; i++) {
      let t = Date.now();
      await page.getByRole('button', { name: 'Workflows', exact: true }).click();
      await page.getByRole('heading', { name: 'Workflows' }).waitFor();
      baselines.push(Date.now() - t);
      t = Date.now();
      await page.getByRole('button', { name: 'Gallery', exact: true }).click();
      // The first screen: every thumbnail in view decoded.
      await page.waitForFunction(() => {
        const imgs = [...document.querySelectorAll<HTMLImageElement>('.cell img')].filter(
          (img) => img.getBoundingClientRect().top < window.innerHeight,
        );
        return imgs.length >= 8 && imgs.every((img) => img.complete && img.naturalWidth > 0);
      });
      firstScreens.push(Date.now() - t);
    }

    // Scroll 10,000 rows, three rows per frame (a fast fling), recording frame times.
    const frames = await page.evaluate(async (rows) => {
      const scroller = document.querySelector<HTMLElement>('.scroller')!;
      const cell = scroller.querySelector<HTMLElement>('.cell')!;
      const rowHeight = cell.getBoundingClientRect().height + 8;
      const target = rows * rowHeight;
      const times: number[] = [];
      let last = performance.now();
      let scrolled = 0;
      while (scrolled < target) {
        await new Promise(requestAnimationFrame);
        const now = performance.now();
        times.push(now - last);
        last = now;
        // Stay just behind what is loaded, so every frame shows real cells.
        const step = Math.min(
          rowHeight * 3,
          Math.max(0, scroller.scrollHeight - scroller.clientHeight - scroller.scrollTop),
        );
        scroller.scrollTop += step;
        scrolled += step;
        if (times.length > 60_000) break;
      }
      return times;
    }, ROWS);

    const cdp = await page.context().newCDPSession(page);
    await cdp.send('HeapProfiler.collectGarbage');
    const heap = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };

    const first = percentile(firstScreens, 50);
    const frameP95 = percentile(frames, 95);
    const heapMb = heap.usedSize / 1024 / 1024;
    report('gallery_first_thumbnails', first, 'ms', '<=400', first <= 400);
    report('gallery_first_vs_empty_view', first / Math.max(1, percentile(baselines, 50)), 'x', 'n/a', true);
    report('gallery_scroll_frame_p95', frameP95, 'ms', '<20', frameP95 < 20);
    report('gallery_heap_after_scroll', heapMb, 'MB', '<150', heapMb < 150);
  } finally {
    await browser.close();
    await host.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
