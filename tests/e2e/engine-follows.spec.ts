// The window follows what the engine knows: a server that comes back is online at once (not after
// the socket's backoff), and jobs run from the command line beside the open window show up in it.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test as base, expect, type Page } from '@playwright/test';
import { startFakeCloud, type FakeCloud } from '../fake-cloud/index';
import { startHostProcess, signIn, test } from './fixtures';
import { runToQueue } from './helpers';

const WORKFLOW = join(import.meta.dirname, '../../../shared/fixtures/workflows/comfyui-basic_api_example.api.json');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function run(app: Page): Promise<void> {
  await app.getByRole('button', { name: 'Workflows', exact: true }).click();
  await app.getByLabel('Workflow file', { exact: true }).setInputFiles(WORKFLOW);
  await runToQueue(app);
}

base(
  'a server that comes back: the job runs and the window says Online at once, not after a backoff',
  async ({ page }) => {
    base.setTimeout(90_000);
    const port = await freePort();
    const key = 'test-key-0123456789abcdef';
    const host = await startHostProcess({
      COMFY_DESK_CLOUD_URL: `http://127.0.0.1:${port}`,
      COMFY_DESK_KEYCHAIN_SERVICE: `Comfy Desk e2e ${Date.now()}-${Math.random()}`,
    });
    let cloud: FakeCloud | null = null;
    try {
      await page.goto(host.url);
      await page.getByRole('button', { name: 'Settings', exact: true }).click();
      await page.getByLabel('API key', { exact: true }).fill(key);
      await page.getByRole('button', { name: 'Save key' }).click();
      await expect(page.getByRole('status', { name: /Connection: Offline/ })).toBeVisible({ timeout: 20_000 });
      await run(page);
      await expect(page.getByText(/in the outbox/).first()).toBeVisible();
      // Let the socket's backoff grow (it doubles per failed attempt) before the server returns.
      await page.waitForTimeout(6_000);

      cloud = await startFakeCloud({ port, apiKey: key, stepMs: 20, steps: 3 });
      await expect(page.getByText('Completed')).toHaveCount(1, { timeout: 30_000 });
      // The job went through, so the server is back: the window says so now (within a few seconds),
      // and the queue shows no stale "Offline".
      await expect(page.getByRole('status', { name: /Connection: Online/ })).toBeVisible({ timeout: 5_000 });
    } finally {
      await cloud?.close();
      await host.stop();
      rmSync(host.dataDir, { recursive: true, force: true });
    }
  },
);

test('jobs run from the command line beside the open window appear in its queue and gallery', async ({
  app,
  cloud,
  host,
}) => {
  test.setTimeout(90_000);
  await signIn(app, cloud);
  await app.getByRole('button', { name: 'Queue', exact: true }).click();
  await expect(app.getByRole('heading', { name: 'Queue', exact: true, level: 1 })).toBeVisible();

  const cli = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'electron/cli/bin.ts',
      'run',
      WORKFLOW,
      '--server',
      cloud.url,
      '--wait',
      '--data',
      host.dataDir,
    ],
    { env: { ...process.env, COMFY_API_KEY: cloud.apiKey } },
  );
  const exited = new Promise<number | null>((resolve) => cli.on('exit', resolve));
  // Without navigating: the job shows while it runs or as soon as it is done, then its output.
  await expect(app.getByRole('button', { name: /Open job comfyui-basic_api_example/ }).first()).toBeVisible({
    timeout: 20_000,
  });
  expect(await exited).toBe(0);
  await expect(app.getByText('Completed')).toHaveCount(1);
  await app.getByRole('button', { name: 'Gallery', exact: true }).click();
  await expect(app.getByRole('gridcell')).toHaveCount(1);
});

test.describe('with jobs slow enough to watch', () => {
  test.use({ cloudOptions: { stepMs: 200, steps: 10 } }); // long enough to sample, also on a loaded CI box

  test('"node N of M" names the node at work, never the one after it', async ({ app, cloud }) => {
    await signIn(app, cloud);
    await run(app);
    const running = app.getByRole('article', { name: /Running job/ });
    await expect(running.getByRole('list', { name: 'Nodes' }).locator('.running')).toBeVisible({ timeout: 20_000 });
    // Read the label and the node chips together, several times while the job runs.
    const seen: { n: number; finished: number }[] = [];
    for (let i = 0; i < 12; i++) {
      const sample = await running
        .evaluate(
          (article) => {
            const label = /node (\d+) of (\d+)/.exec(article.textContent ?? '');
            const chips = article.querySelectorAll('.node-chip');
            const busy = article.querySelector('.node-chip.running');
            if (!label || !busy) return null;
            return { n: Number(label[1]), finished: [...chips].filter((c) => c.classList.contains('finished')).length };
          },
          undefined,
          { timeout: 500 },
        )
        .catch(() => null); // the job may have finished meanwhile
      if (sample) seen.push(sample);
      await app.waitForTimeout(150);
    }
    expect(seen.length).toBeGreaterThan(2);
    for (const s of seen) expect(s.n, JSON.stringify(seen)).toBe(s.finished + 1);
  });
});
