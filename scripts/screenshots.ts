// Screenshots of the real renderer (built) through the headless host against the fake cloud, in the
// light and the dark theme: a gallery with history (real ComfyUI images), then runs through the UI.
//   bash scripts/with-keyring.sh npx tsx scripts/screenshots.ts [out-dir]
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { chromiumArgs } from '../playwright.config';
import type { CommandName, CommandOutput, InvokeArgs } from '../shared/contract';
import { startFakeCloud } from '../tests/fake-cloud/index';
import { invoke as invokeOn } from '../tests/e2e/bridge-client';
import { startHostProcess } from '../tests/e2e/fixtures';
import { seededDataDir } from '../tests/e2e/seed';
import { makeVideo } from '../tests/unit/store/media-files';

const outDir = process.argv[2] ?? 'test-results/screenshots';
mkdirSync(outDir, { recursive: true });
const cloud = await startFakeCloud({ stepMs: 120, steps: 12 });
const dataDir = await seededDataDir(240);
const host = await startHostProcess(
  { COMFY_DESK_CLOUD_URL: cloud.url, COMFY_DESK_KEYCHAIN_SERVICE: `shots ${Date.now()}` },
  dataDir,
);
// A scene that throws ends the script: the host goes with it, never left running on its own.
process.once('exit', () => host.process.kill());
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumArgs });
const workflow = join(import.meta.dirname, '../../shared/fixtures/workflows/comfyui-basic_api_example.api.json');

async function shot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(outDir, `${name}.png`) });
}

/** One contract command on the host, as another window would send it (setting up a scene). */
function invoke<K extends CommandName>(name: K, ...args: InvokeArgs<K>): Promise<CommandOutput<K>> {
  return invokeOn(host, name, ...args);
}

async function bothSchemes(page: Page, name: string): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await shot(page, `${name}-${scheme}`);
  }
}

async function everyView(page: Page, views: string[], suffix: string): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const view of views) {
      await page.getByRole('button', { name: view, exact: true }).click();
      await shot(page, `${view.toLowerCase()}${suffix}-${scheme}`);
    }
  }
}

const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
page.on('console', (m) => m.type() === 'error' && console.log('console error:', m.text()));
await page.goto(host.url);
await page.getByRole('button', { name: 'Settings', exact: true }).click();
await page.getByLabel('API key', { exact: true }).fill(cloud.apiKey);
await page.getByRole('button', { name: 'Save key' }).click();
await page.getByRole('status', { name: /Connection: Online/ }).waitFor();
await everyView(page, ['Gallery', 'Settings'], '');
await page.getByRole('button', { name: 'Gallery', exact: true }).click();
await page.getByRole('gridcell').nth(1).click();
await shot(page, 'lightbox-dark');
await page.keyboard.press('Escape');

await page.emulateMedia({ colorScheme: 'light' });
await page.getByRole('button', { name: 'Workflows', exact: true }).click();
await page.getByLabel('Workflow file', { exact: true }).setInputFiles(workflow);
await shot(page, 'workflows-light');
await page.getByLabel('Runs').fill('6');
await page.getByRole('button', { name: 'Run', exact: true }).click();
await page.getByText('Running', { exact: true }).first().waitFor();
await page.waitForTimeout(900);
await shot(page, 'queue-running-light');
await page.waitForFunction(() => !document.querySelector('[aria-label^="Running job"]'), null, { timeout: 60_000 });
await everyView(page, ['Queue'], '-finished');

// The app's own queue mid-run: a batch of twelve, four of them on the server (its window), the rest
// held here as one row; then all sending paused.
await page.emulateMedia({ colorScheme: 'light' });
await page.getByRole('button', { name: 'Workflows', exact: true }).click();
await page.getByLabel('Runs').fill('12');
await page.getByRole('button', { name: 'Run', exact: true }).click();
await page.getByText('Running', { exact: true }).first().waitFor();
await page.waitForTimeout(1500);
for (const scheme of ['light', 'dark'] as const) {
  await page.emulateMedia({ colorScheme: scheme });
  await shot(page, `queue-batch-running-${scheme}`);
}
await page.getByRole('button', { name: 'Pause all' }).click();
await page.getByText(/^Sending is paused/).waitFor();
for (const scheme of ['light', 'dark'] as const) {
  await page.emulateMedia({ colorScheme: scheme });
  await shot(page, `queue-paused-${scheme}`);
}
await page.getByRole('region', { name: 'Held here' }).scrollIntoViewIfNeeded();
for (const scheme of ['light', 'dark'] as const) {
  await page.emulateMedia({ colorScheme: scheme });
  await shot(page, `queue-held-${scheme}`);
}
await page.getByRole('button', { name: 'Resume all' }).first().click();

// The organised gallery: ratings, tags, an album by hand and a smart album, the filter chips.
const firstPage = (await invoke('gallery.page', { saved: true, limit: 40 })).items;
const ids = firstPage.map((i) => i.id);
await invoke('outputs.rate', { ids: ids.slice(0, 12), rating: 4 });
await invoke('outputs.rate', { ids: ids.slice(0, 4), rating: 5 });
await invoke('outputs.rate', { ids: ids.slice(12, 20), rating: 2 });
await invoke('outputs.tag', { ids: ids.slice(0, 10), add: ['portrait'] });
await invoke('outputs.tag', { ids: ids.slice(4, 16), add: ['sunset', 'keeper'] });
const portfolio = await invoke('albums.save', { name: 'Portfolio' });
await invoke('albums.add', { id: portfolio.id, ids: ids.slice(2, 9) });
await invoke('albums.save', { name: 'Best of the week', filter: { minRating: 5, saved: true } });
await invoke('albums.save', { name: 'Client picks' });
await page.emulateMedia({ colorScheme: 'light' });
await page.getByRole('button', { name: 'Workflows', exact: true }).click();
await page.getByRole('button', { name: 'Gallery', exact: true }).click();
await page.getByRole('combobox', { name: 'Minimum rating' }).selectOption({ index: 4 });
await page.getByRole('combobox', { name: 'Filter by tag' }).fill('portrait');
await page.getByRole('combobox', { name: 'Filter by tag' }).press('Enter');
await page.getByRole('gridcell').first().waitFor();
await page
  .getByRole('gridcell')
  .nth(1)
  .click({ modifiers: ['Control'] });
await page
  .getByRole('gridcell')
  .nth(2)
  .click({ modifiers: ['Control'] });
await bothSchemes(page, 'gallery-organized');

// Two outputs side by side, then where they differ, with what was different under them.
await page.getByRole('toolbar', { name: 'Selection' }).getByRole('button', { name: 'Compare' }).click();
const compare = page.getByRole('dialog', { name: 'Compare outputs' });
await compare.getByRole('img').first().waitFor();
await bothSchemes(page, 'compare-side-by-side');
await compare.getByRole('button', { name: 'Slider' }).click();
await compare.getByRole('slider', { name: 'Slider position' }).fill('40');
await bothSchemes(page, 'compare-slider');
await compare.getByRole('button', { name: 'Difference' }).click();
await compare.getByRole('status', { name: 'Pixels that differ' }).waitFor({ timeout: 30_000 });
await bothSchemes(page, 'compare-difference');
await page.keyboard.press('Escape');
await page.keyboard.press('Escape');

// A video output in the viewer: its poster, length, size and frame rate; played with controls.
// The runs still going finish first: the fake cloud's next outputs are the clip.
for (let i = 0; i < 240; i++) {
  const open = await invoke('jobs.list', { states: ['outbox', 'submitting', 'pending', 'running'] });
  if (open.items.length === 0) break;
  await page.waitForTimeout(500);
}
const clip = makeVideo(join(outDir, 'clip.mp4'), { width: 320, height: 192, fps: 24, seconds: 4 });
cloud.outputFile({ bytes: readFileSync(clip), ext: 'mp4' });
const [videoJob] = await invoke('jobs.submit', {
  workflow: JSON.parse(readFileSync(workflow, 'utf8')) as Record<string, unknown>,
  name: 'text_to_video',
});
let videoName = '';
for (let i = 0; i < 240 && !videoName; i++) {
  const [output] = (await invoke('jobs.get', { id: videoJob!.id })).outputs;
  if (output?.state === 'stored') videoName = output.filename;
  else await page.waitForTimeout(500);
}
cloud.outputFile(null);
await page.getByRole('button', { name: 'Workflows', exact: true }).click();
await page.getByRole('button', { name: 'Gallery', exact: true }).click();
await page.getByRole('button', { name: 'Remove filter: rating' }).click();
await page.getByRole('button', { name: 'Remove filter: tag portrait' }).click();
await page.getByRole('button', { name: 'Video', exact: true }).click();
await page.getByRole('searchbox', { name: 'Search the gallery' }).fill(videoName.replace(/\.mp4$/, ''));
const videoTile = page.locator(`.cell[title^="${videoName} "]`);
await videoTile.hover();
await page.waitForTimeout(1500);
await bothSchemes(page, 'gallery-video-hover');
await videoTile.click();
await page
  .getByRole('dialog', { name: /Viewer/ })
  .locator('video')
  .evaluate((v: HTMLVideoElement) => {
    v.pause();
    v.currentTime = 1.5;
  });
await bothSchemes(page, 'lightbox-video');
await page.keyboard.press('Escape');
await browser.close();
await host.stop();
await cloud.close();
