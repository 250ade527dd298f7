// Screenshots of the real renderer (built) through the headless host against the fake cloud, light and dark:
//   bash scripts/with-keyring.sh npx tsx scripts/screenshots.ts Gallery,Queue,Settings [out-dir]
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { startFakeCloud } from '../tests/fake-cloud/index';
import { startHostProcess } from '../tests/e2e/fixtures';
const cloud = await startFakeCloud({ stepMs: 150, steps: 10 });
const host = await startHostProcess({
  COMFY_DESK_CLOUD_URL: cloud.url,
  COMFY_DESK_KEYCHAIN_SERVICE: 'shots' + Date.now(),
});
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
const views = (process.argv[2] ?? 'Gallery,Queue,Workflows,Settings').split(',');
const outDir = process.argv[3] ?? 'test-results/screenshots';
mkdirSync(outDir, { recursive: true });
for (const scheme of ['light', 'dark'] as const) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: scheme });
  page.on('console', (m) => m.type() === 'error' && console.log('CONSOLE', m.text()));
  page.on('pageerror', (e) => console.log('PAGEERROR', e.message));
  await page.goto(host.url);
  await page.waitForTimeout(800);
  for (const v of views) {
    await page.getByRole('button', { name: v, exact: true }).first().click();
    await page.waitForTimeout(600);
    await page.screenshot({ path: `${outDir}/${v.toLowerCase()}-${scheme}.png` });
  }
  await page.close();
}
await browser.close();
await host.stop();
await cloud.close();
