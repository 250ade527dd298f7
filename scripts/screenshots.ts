// Screenshots of the real renderer (built) through the headless host against the fake cloud, in the
// light and the dark theme: a gallery with history (real ComfyUI images), then runs through the UI.
//   bash scripts/with-keyring.sh npx tsx scripts/screenshots.ts [out-dir]
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { chromiumArgs } from '../playwright.config';
import { startFakeCloud } from '../tests/fake-cloud/index';
import { startHostProcess } from '../tests/e2e/fixtures';
import { seededDataDir } from '../tests/e2e/seed';

const outDir = process.argv[2] ?? 'test-results/screenshots';
mkdirSync(outDir, { recursive: true });
const cloud = await startFakeCloud({ stepMs: 120, steps: 12 });
const dataDir = await seededDataDir(240);
const host = await startHostProcess(
  { COMFY_DESK_CLOUD_URL: cloud.url, COMFY_DESK_KEYCHAIN_SERVICE: `shots ${Date.now()}` },
  dataDir,
);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumArgs });
const workflow = join(import.meta.dirname, '../../shared/fixtures/workflows/comfyui-basic_api_example.api.json');

async function shot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(outDir, `${name}.png`) });
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
await browser.close();
await host.stop();
await cloud.close();
