// Helpers shared by the specs that drive the window like a person: workflow files, running one,
// opening a view, and screenshots in both themes.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FakeCloud } from '../fake-cloud/index';
import type { Page } from '@playwright/test';
import type { CommandOutput } from '../../shared/contract';
import { invoke } from './bridge-client';
import { test, expect, type RunningHost } from './fixtures';

export { invoke };

export const FIXTURES = join(import.meta.dirname, '../../../shared/fixtures');
export const BASIC = join(FIXTURES, 'workflows', 'comfyui-basic_api_example.api.json');

export type ApiWorkflow = Record<
  string,
  { class_type: string; inputs: Record<string, unknown>; _meta?: { title: string } }
>;

/** Writes a workflow file for this test; its name (without .json) is the workflow's name in the app. */
export function workflowFile(name: string, workflow: ApiWorkflow): string {
  const path = test.info().outputPath(`${name}.json`);
  writeFileSync(path, JSON.stringify(workflow));
  return path;
}

/** An image workflow without any seed: an empty image, inverted, saved (and the plain one saved too). */
export function loadInvertSave(width: number, height: number, saveBoth = false): ApiWorkflow {
  return {
    '1': { class_type: 'EmptyImage', inputs: { width, height, batch_size: 1, color: 0 } },
    '2': { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
    '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'inverted' } },
    ...(saveBoth ? { '4': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'plain' } } } : {}),
  };
}

export function basicWith(edit: (wf: ApiWorkflow) => void): ApiWorkflow {
  const wf = JSON.parse(readFileSync(BASIC, 'utf8')) as ApiWorkflow;
  edit(wf);
  return wf;
}

export async function openWorkflow(app: Page, file: string): Promise<void> {
  await app.getByRole('button', { name: 'Workflows', exact: true }).click();
  await app.getByLabel('Workflow file', { exact: true }).setInputFiles(file);
  await expect(app.getByText(/\d+ nodes · checked against the server/)).toBeVisible({ timeout: 15_000 });
}

export async function run(app: Page, file: string, runs = 1): Promise<void> {
  await openWorkflow(app, file);
  await app.getByLabel('Runs').fill(String(runs));
  await runToQueue(app);
}

/**
 * Presses Run (the form's, or `button`) and follows the runs to the queue: Run keeps the person on
 * the form, whose run bar says how the runs are doing and links to them ("Show in the queue").
 */
export async function runToQueue(
  app: Page,
  button = app.getByRole('button', { name: 'Run', exact: true }),
): Promise<void> {
  await button.click();
  await showInQueue(app);
}

/** From the run bar's line about the last runs to the queue. */
export async function showInQueue(app: Page): Promise<void> {
  await app.getByRole('status', { name: 'Last run' }).getByRole('button', { name: 'Show in the queue' }).click();
  await expect(app.getByRole('heading', { name: 'Queue', exact: true, level: 1 })).toBeVisible();
}

export async function gallery(app: Page): Promise<void> {
  await app.getByRole('button', { name: 'Gallery', exact: true }).click();
}

export async function shot(app: Page, name: string): Promise<void> {
  await app.screenshot({ path: test.info().outputPath(`${name}.png`) });
}

/**
 * Screenshots of what is on screen now, light and dark. The theme is what Settings → Appearance
 * sets on the page (html[data-theme]); set here so the view on screen, and its state, stay put.
 */
export async function shots(app: Page, name: string): Promise<void> {
  const html = app.locator('html');
  const before = await html.getAttribute('data-theme');
  for (const theme of ['light', 'dark']) {
    await html.evaluate((el, theme) => (el.dataset.theme = theme), theme);
    await app.waitForTimeout(400); // the buttons' colour transitions
    await shot(app, `${name}-${theme}`);
  }
  await html.evaluate((el, theme) => (el.dataset.theme = theme ?? 'light'), before);
}

/** Adds the fake local server in Settings and makes it the active one. */
export async function addLocalServer(app: Page, cloud: FakeCloud): Promise<void> {
  await app.getByRole('button', { name: 'Settings', exact: true }).click();
  await app.getByRole('button', { name: 'Add server' }).click();
  await app.getByLabel('Name').fill('Studio PC');
  await app.getByLabel('Address').fill(cloud.url);
  await app.getByRole('button', { name: 'Save server' }).click();
  await app.getByRole('radio', { name: /Studio PC/ }).click();
  await expect(app.getByRole('status', { name: /Connection: Online to Studio PC/ })).toBeVisible({ timeout: 20_000 });
}

/** Runs the basic API workflow `count` times from the test (seed: each run its own, counting up). */
export async function submitBasic(
  host: RunningHost,
  count: number,
  name = 'comfyui-basic_api_example.api',
): Promise<void> {
  const workflow = JSON.parse(readFileSync(BASIC, 'utf8')) as ApiWorkflow;
  await invoke(host, 'jobs.submit', { workflow, name, count, seed: count > 1 ? 'increment' : 'fixed' });
}

/** Waits until the gallery holds `count` saved outputs, every one stored here; returns them, newest first. */
export async function storedOutputs(
  host: RunningHost,
  count: number,
  timeout = 45_000,
): Promise<CommandOutput<'gallery.page'>['items']> {
  let items: CommandOutput<'gallery.page'>['items'] = [];
  await expect
    .poll(
      async () => {
        items = (await invoke(host, 'gallery.page', { saved: true, limit: 100 })).items;
        return items.filter((i) => i.state === 'stored' && i.hash).length;
      },
      { timeout },
    )
    .toBe(count);
  return items;
}

/** Playwright dispatches a real drop with a file, as the OS would. */
export async function dropFile(app: Page, target: string, path: string, name: string, type: string): Promise<void> {
  const data = readFileSync(path).toString('base64');
  const transfer = await app.evaluateHandle(
    ({ data, name, type }) => {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], name, { type }));
      return dt;
    },
    { data, name, type },
  );
  await app.getByRole('region', { name: target }).dispatchEvent('drop', { dataTransfer: transfer });
}
