// The desktop app end to end, where an Electron binary exists: a key set in the window, a run on
// the fake cloud, its output in the gallery, a native drag, a notification, quit and relaunch with
// the gallery intact; and a canary key found nowhere it must not be (DOM, storage, IPC to the page,
// the data folder). Here (no binary can be downloaded) each is skipped with the reason printed.
import { test, expect, _electron as electron, type ElectronApplication } from '@playwright/test';
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeCloud, type FakeCloud } from '../fake-cloud/index';
// @ts-expect-error: a plain .mjs helper shared with scripts/start.mjs
import { findElectron } from '../../scripts/electron-binary.mjs';

const found = findElectron() as { path: string } | { reason: string };
const reason = 'reason' in found ? `Electron journey needs the Electron binary: ${found.reason}` : '';
if (reason) console.log(`SKIP ${reason}`);

const WORKFLOW = join(import.meta.dirname, '../../../shared/fixtures/workflows/comfyui-basic_api_example.api.json');
const CANARY = `canary-electron-${Date.now().toString(16)}-0123456789`;

async function launch(dataDir: string, cloud: FakeCloud): Promise<ElectronApplication> {
  return electron.launch({
    args: ['.'],
    env: {
      ...process.env,
      COMFY_DESK_DATA: dataDir,
      COMFY_DESK_CLOUD_URL: cloud.url,
    },
  });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

test('set a key, run, see the output, drag it out, be notified; relaunch with the gallery intact; the key never reaches the page', async () => {
  test.skip(Boolean(reason), reason);
  test.setTimeout(120_000);
  const cloud = await startFakeCloud({ apiKey: CANARY, stepMs: 20, steps: 3 });
  const dataDir = mkdtempSync(join(tmpdir(), 'comfy-desk-electron-'));
  try {
    const app = await launch(dataDir, cloud);
    // Every IPC message main sends to the page, recorded in main.
    await app.evaluate(({ BrowserWindow }) => {
      const win = BrowserWindow.getAllWindows()[0]!;
      const sent: string[] = [];
      (globalThis as { sentToPage?: string[] }).sentToPage = sent;
      const original = win.webContents.send.bind(win.webContents);
      win.webContents.send = (channel: string, ...args: unknown[]) => {
        sent.push(JSON.stringify([channel, ...args]));
        original(channel, ...args);
      };
    });
    const page = await app.firstWindow();
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByLabel('API key', { exact: true }).fill(CANARY);
    await page.getByRole('button', { name: 'Save key' }).click();
    await expect(page.getByRole('status', { name: /Connection: Online/ })).toBeVisible({ timeout: 20_000 });

    // The window in the background: the finished job raises a notification (recorded in main).
    await app.evaluate(({ BrowserWindow, Notification }) => {
      const shown: string[] = [];
      (globalThis as { notes?: string[] }).notes = shown;
      const original = Notification.prototype.show;
      Notification.prototype.show = function (this: Electron.Notification) {
        shown.push(this.title);
        original.call(this);
      };
      BrowserWindow.getAllWindows()[0]!.blur();
    });
    await page.getByRole('button', { name: 'Workflows', exact: true }).click();
    await page.getByLabel('Workflow file', { exact: true }).setInputFiles(WORKFLOW);
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await expect(page.getByText('Completed')).toHaveCount(1, { timeout: 30_000 });
    await expect
      .poll(() => app.evaluate(() => (globalThis as { notes?: string[] }).notes ?? []), { timeout: 15_000 })
      .toEqual([expect.stringMatching(/completed/)]);

    await page.getByRole('button', { name: 'Gallery', exact: true }).click();
    await expect(page.getByRole('gridcell')).toHaveCount(1);
    // A drag out of the window starts a native drag of the file.
    await app.evaluate(({ BrowserWindow }) => {
      const contents = BrowserWindow.getAllWindows()[0]!.webContents;
      const seen: unknown[] = [];
      const original = contents.startDrag.bind(contents);
      contents.startDrag = (item) => {
        seen.push(item.file);
        original(item);
      };
      (globalThis as { dragged?: unknown[] }).dragged = seen;
    });
    await page.getByRole('gridcell').first().dispatchEvent('dragstart');
    await expect.poll(() => app.evaluate(() => ((globalThis as { dragged?: unknown[] }).dragged ?? []).length)).toBe(1);

    // Nothing the page can see holds the key: DOM, storage, what main sent it.
    expect(await page.content()).not.toContain(CANARY);
    const storage = await page.evaluate(
      () => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }),
    );
    expect(storage).not.toContain(CANARY);
    const sent = await app.evaluate(() => (globalThis as { sentToPage?: string[] }).sentToPage ?? []);
    expect(sent.some((m) => m.includes(CANARY))).toBe(false);
    await app.close();

    // Relaunched on the same data folder: the gallery is intact.
    const again = await launch(dataDir, cloud);
    const page2 = await again.firstWindow();
    await expect(page2.getByRole('gridcell')).toHaveCount(1, { timeout: 20_000 });
    await again.close();

    for (const file of filesUnder(dataDir)) expect(readFileSync(file).toString('latin1')).not.toContain(CANARY);
  } finally {
    await cloud.close();
  }
});
