// End-to-end fixtures: a fake Comfy Cloud on loopback, the real headless host as a child process
// (the built app, its own data folder, the real keychain of the test session), and a page that
// fails the test on any console error.
import { test as base, expect, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeCloud, type FakeCloud, type FakeCloudOptions } from '../fake-cloud/index';

export interface RunningHost {
  url: string;
  origin: string;
  dataDir: string;
  process: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/** Starts the built host (out/main/host.js) on a fresh data folder. */
export async function startHostProcess(env: Record<string, string>, dataDir?: string): Promise<RunningHost> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'comfy-desk-e2e-'));
  const child = spawn(process.execPath, ['out/main/host.js', '--data', dir], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`host did not start:\n${output}`)), 20_000);
    const check = (): void => {
      const match = /Open: (http:\/\/127\.\d+\.\d+\.\d+:\d+\/\?token=\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`host exited (${code}):\n${output}`)));
  });
  return {
    url,
    origin: new URL(url).origin,
    dataDir: dir,
    process: child,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

type Fixtures = {
  /** How the fake cloud runs jobs; a test that must catch a job while it runs slows it down. */
  cloudOptions: FakeCloudOptions;
  cloud: FakeCloud;
  host: RunningHost;
  app: Page;
  consoleErrors: string[];
};

export const test = base.extend<Fixtures>({
  cloudOptions: [{ stepMs: 40, steps: 6 }, { option: true }],
  cloud: async ({ cloudOptions }, use) => {
    const cloud = await startFakeCloud(cloudOptions);
    await use(cloud);
    await cloud.close();
  },
  host: async ({ cloud }, use) => {
    const host = await startHostProcess({
      COMFY_DESK_CLOUD_URL: cloud.url,
      COMFY_DESK_KEYCHAIN_SERVICE: `Comfy Desk e2e ${Date.now()}-${Math.random()}`,
    });
    await use(host);
    await host.stop();
    rmSync(host.dataDir, { recursive: true, force: true });
  },
  // eslint-disable-next-line no-empty-pattern -- Playwright fixtures take their dependencies by destructuring
  consoleErrors: async ({}, use) => {
    await use([]);
  },
  app: async ({ page, host, consoleErrors }, use) => {
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });
    page.on('pageerror', (err) => consoleErrors.push(err.message));
    await page.goto(host.url);
    await expect(page.getByRole('navigation')).toBeVisible();
    await use(page);
    expect(consoleErrors, 'no console errors').toEqual([]);
  },
});

/** Sets the fake cloud's key in Settings and waits until the app is online. */
export async function signIn(app: Page, cloud: FakeCloud): Promise<void> {
  await app.getByRole('button', { name: 'Settings', exact: true }).click();
  await app.getByLabel('API key', { exact: true }).fill(cloud.apiKey);
  await app.getByRole('button', { name: 'Save key' }).click();
  await expect(app.getByRole('status', { name: /Connection: Online/ })).toBeVisible();
}

export { expect };
