// The gallery over a journal of 100,000 outputs: the first screen comes quickly, scrolling keeps
// the DOM small (virtualized) while new pages load, and search narrows the count.
import { rmSync } from 'node:fs';
import { test, expect } from '@playwright/test';
import { startHostProcess } from './fixtures';
import { seededDataDir } from './seed';

test('100,000 outputs: virtualized, paged, searchable', async ({ page }) => {
  test.setTimeout(120_000);
  const dataDir = await seededDataDir(100_000);
  const host = await startHostProcess({ COMFY_DESK_KEYCHAIN_SERVICE: `e2e-100k ${Date.now()}` }, dataDir);
  try {
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(host.url);
    await expect(page.getByText('100,000 items')).toBeVisible();
    await expect(page.getByRole('gridcell').first().locator('img')).toBeVisible();
    const cellsAtTop = await page.getByRole('gridcell').count();
    expect(cellsAtTop).toBeGreaterThan(10);
    expect(cellsAtTop).toBeLessThan(400);

    // Scroll far: pages keep loading, the DOM stays the same size.
    const scroller = page.locator('.scroller');
    for (let i = 0; i < 30; i++) {
      await scroller.evaluate((el) => (el.scrollTop = el.scrollHeight));
      await page.waitForTimeout(50);
    }
    const deepest = await page
      .getByRole('gridcell')
      .evaluateAll((cells) => Math.max(...cells.map((c) => Number((c as HTMLElement).dataset.index))));
    expect(deepest).toBeGreaterThan(1000);
    expect(await page.getByRole('gridcell').count()).toBeLessThan(400);
    await page.screenshot({ path: test.info().outputPath('gallery-100k-scrolled.png') });

    await page.getByRole('searchbox', { name: 'Search the gallery' }).fill('number1234');
    await expect(page.getByText('5 items')).toBeVisible();
    await page.getByRole('searchbox', { name: 'Search the gallery' }).fill('');
    await page.getByRole('button', { name: 'Video' }).click();
    await expect(page.getByText('5,000 items')).toBeVisible();
    expect(errors).toEqual([]);
  } finally {
    await host.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
