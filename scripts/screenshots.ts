// Screenshots of the real renderer (built) through the headless host against the fake cloud, in the
// light and the dark theme, after running a few jobs through the real interface:
//   bash scripts/with-keyring.sh npx tsx scripts/screenshots.ts [out-dir]
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { chromiumArgs } from '../playwright.config';
import { startFakeCloud } from '../tests/fake-cloud/index';
import { startHostProcess } from '../tests/e2e/fixtures';

const outDir = process.argv[2] ?? 'test-results/screenshots';
mkdirSync(outDir, { recursive: true });
const cloud = await startFakeCloud({ stepMs: 120, steps: 12 });
const host = await startHostProcess({ COMFY_DESK_CLOUD_URL: cloud.url, COMFY_DESK_KEYCHAIN_SERVICE: `shots ${Date.now()}` });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumArgs });
const workflow = join(import.meta.dirname, '../../shared/fixtures/workflows/comfyui-basic_api_example.api.json');

async function shot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(outDir, `${name}.png`) });
}

const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
page.on('console', (m) => m.type() === 'error' && console.log('console error:', m.text()));
await page.goto(host.url);
await page.getByRole('button', { name: 'Settings', exact: true }).click();
await page.getByLabel('API key', { exact: true }).fill(cloud.apiKey);
await page.getByRole('button', { name: 'Save key' }).click();
await page.getByRole('button', { name: 'Workflows', exact: true }).click();
await page.getByLabel('Workflow file', { exact: true }).setInputFiles(workflow);
await page.getByLabel('Runs').fill('8');
await page.getByRole('button', { name: 'Run', exact: true }).click();
await page.getByText('Running', { exact: true }).first().waitFor();
await page.waitForTimeout(900);
await shot(page, 'queue-running-light');
await page.waitForFunction(() => !document.querySelector('[aria-label^="Running job"]'), null, { timeout: 60_000 });
for (const scheme of ['light', 'dark'] as const) {
  await page.emulateMedia({ colorScheme: scheme });
  for (const view of ['Gallery', 'Queue', 'Workflows', 'Settings']) {
    await page.getByRole('button', { name: view, exact: true }).click();
    await shot(page, `${view.toLowerCase()}-${scheme}`);
  }
  await page.getByRole('button', { name: 'Gallery', exact: true }).click();
  await page.getByRole('gridcell').first().click();
  await shot(page, `lightbox-${scheme}`);
  await page.keyboard.press('Escape');
}
await browser.close();
await host.stop();
await cloud.close();
