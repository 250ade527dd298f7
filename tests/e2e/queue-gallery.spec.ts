// The queue and the gallery in Debian's Chromium through the headless host, against the fake cloud.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect, signIn } from './fixtures';
import { runToQueue } from './helpers';

const WORKFLOW = join(import.meta.dirname, '../../../shared/fixtures/workflows/comfyui-basic_api_example.api.json');

async function run(app: Page, file: string, runs = 1): Promise<void> {
  await app.getByRole('button', { name: 'Workflows', exact: true }).click();
  await app.getByLabel('Workflow file', { exact: true }).setInputFiles(file);
  await app.getByLabel('Runs').fill(String(runs));
  await runToQueue(app);
}

function variant(edit: (wf: Record<string, { inputs: Record<string, unknown> }>) => void, name: string): string {
  const wf = JSON.parse(readFileSync(WORKFLOW, 'utf8')) as Record<string, { inputs: Record<string, unknown> }>;
  edit(wf);
  const path = test.info().outputPath(`${name}.json`);
  writeFileSync(path, JSON.stringify(wf));
  return path;
}

test.describe('with jobs slow enough to watch', () => {
  test.use({ cloudOptions: { stepMs: 120, steps: 12 } });

  test('a run shows progress and a live preview, then its outputs in the gallery, searchable', async ({
    app,
    cloud,
  }) => {
    await signIn(app, cloud);
    await run(app, WORKFLOW, 2);
    const running = app.getByRole('article', { name: /Running job/ });
    await expect(running).toBeVisible();
    await expect(running.getByRole('progressbar', { name: 'Overall progress' })).toBeVisible();
    await expect(running.getByRole('img', { name: /Live preview/ })).toBeVisible();
    // Per-node progress: the sampler is the node at work, the nodes before it are done.
    await expect(running.getByRole('list', { name: 'Nodes' }).locator('.running')).toContainText('KSampler');
    await expect(running.getByRole('list', { name: 'Nodes' }).locator('.finished').first()).toBeVisible();
    await app.screenshot({ path: test.info().outputPath('queue-running.png') });
    await expect(app.getByText('Completed')).toHaveCount(2, { timeout: 30_000 });

    await app.getByRole('button', { name: 'Gallery', exact: true }).click();
    await expect(app.getByRole('gridcell')).toHaveCount(2);
    await expect(app.getByText('2 items')).toBeVisible();
    await app.screenshot({ path: test.info().outputPath('gallery.png') });

    // Search over the prompt text, then something that is nowhere.
    await app.getByRole('searchbox', { name: 'Search the gallery' }).fill('masterpiece');
    await expect(app.getByText('2 items')).toBeVisible();
    await app.getByRole('searchbox', { name: 'Search the gallery' }).fill('zebra');
    await expect(app.getByText('Nothing matches')).toBeVisible();
    await app.getByRole('searchbox', { name: 'Search the gallery' }).fill('');
    await expect(app.getByRole('gridcell')).toHaveCount(2);
    await app.getByRole('button', { name: 'Video' }).click();
    await expect(app.getByText('Nothing matches')).toBeVisible();
    await app.getByRole('button', { name: 'Video' }).click();

    // The lightbox: open, next with the arrow key, favorite, close with Esc.
    await app.getByRole('gridcell').first().click();
    const viewer = app.getByRole('dialog', { name: /Viewer/ });
    await expect(viewer).toBeVisible();
    // The prompt, and the same text among the inputs the form shows.
    await expect(viewer.getByText('masterpiece best quality girl')).toHaveCount(2);
    await expect(viewer.getByText('masterpiece best quality girl').first()).toBeVisible();
    await expect(viewer.getByRole('cell', { name: 'seed', exact: true })).toBeVisible();
    await app.keyboard.press('ArrowRight');
    await viewer.getByRole('button', { name: 'Favorite' }).click();
    await expect(viewer.getByRole('button', { name: 'Favorited' })).toBeVisible();
    await app.screenshot({ path: test.info().outputPath('lightbox.png') });
    await app.keyboard.press('Escape');
    await expect(viewer).toBeHidden();
    await app.getByRole('button', { name: 'Favorites' }).click();
    await expect(app.getByRole('gridcell')).toHaveCount(1);
    await app.getByRole('button', { name: 'Favorites' }).click();
    await expect(app.getByRole('gridcell')).toHaveCount(2);
    await expect(app.getByText('2 items')).toBeVisible();

    // Multi-select with ctrl-click, then delete with undo.
    await app
      .getByRole('gridcell')
      .nth(0)
      .click({ modifiers: ['Control'] });
    await app
      .getByRole('gridcell')
      .nth(1)
      .click({ modifiers: ['Control'] });
    await expect(app.getByText('2 selected')).toBeVisible();
    await app.getByRole('toolbar', { name: 'Selection' }).getByRole('button', { name: 'Delete' }).click();
    await expect(app.getByText('Your gallery is empty')).toBeVisible();
    await app.getByRole('button', { name: 'Undo' }).click();
    await expect(app.getByRole('gridcell')).toHaveCount(2);
  });
});

test.describe('with jobs slow enough to catch while they run', () => {
  test.use({ cloudOptions: { stepMs: 200, steps: 30 } });

  test('cancel a waiting job, interrupt the running one, retry it', async ({ app, cloud }) => {
    await signIn(app, cloud);
    cloud.holdQueue(true);
    await run(app, WORKFLOW, 2);
    const waiting = app.getByRole('region', { name: 'Waiting' });
    await expect(waiting.getByText('Queued')).toHaveCount(2);
    await waiting
      .getByRole('button', { name: /Cancel/ })
      .last()
      .click();
    await expect(app.getByText('Cancelled')).toBeVisible();
    cloud.holdQueue(false);
    const running = app.getByRole('article', { name: /Running job/ });
    await expect(running).toBeVisible();
    await running.getByRole('button', { name: 'Interrupt' }).click();
    await expect(app.getByText('Interrupted')).toBeVisible();
    await app.getByRole('button', { name: /Retry/ }).first().click();
    await expect(app.getByText('Completed')).toBeVisible({ timeout: 30_000 });
  });
});

test('a failed job shows the node and the input a person can fix', async ({ app, cloud }) => {
  await signIn(app, cloud);
  // Out-of-range values are caught before sending (see workflows.spec.ts); what only the server
  // knows — here, an input image it does not have — comes back as node_errors.
  await run(
    app,
    variant((wf) => {
      for (const key of Object.keys(wf)) delete wf[key];
      Object.assign(wf, {
        '1': { class_type: 'LoadImage', inputs: { image: 'no_such_file.png' }, _meta: { title: 'Load Image' } },
        '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'x' } },
      });
    }, 'missing-input-image'),
  );
  const error = app.getByRole('alert').filter({ hasText: 'The server refused this workflow' });
  await expect(error).toBeVisible();
  await expect(error).toContainText('Load Image');
  await expect(error).toContainText('image');
  await expect(error).toContainText('Invalid image file: no_such_file.png');
  await run(
    app,
    variant((wf) => (wf['9']!.inputs.filename_prefix = 'FAIL'), 'fails'),
  );
  const failure = app.getByRole('alert').filter({ hasText: 'A node failed while running' });
  await expect(failure).toBeVisible({ timeout: 30_000 });
  await expect(failure).toContainText('#9');
  await expect(failure).toContainText('RuntimeError');
  await app.screenshot({ path: test.info().outputPath('queue-errors.png') });
});

test('offline: the gallery and the lightbox still work, a new run waits in the outbox', async ({ app, cloud }) => {
  await signIn(app, cloud);
  await run(app, WORKFLOW);
  await expect(app.getByText('Completed')).toBeVisible({ timeout: 30_000 });
  await app.getByRole('button', { name: 'Gallery', exact: true }).click();
  await expect(app.getByRole('gridcell')).toHaveCount(1);
  await expect(app.getByRole('gridcell').locator('img')).toBeVisible();

  await cloud.close();
  await expect(app.getByRole('alert').filter({ hasText: "You're offline" })).toBeVisible({ timeout: 20_000 });
  await app.getByRole('gridcell').first().click();
  await expect(app.getByRole('dialog', { name: /Viewer/ }).locator('img')).toBeVisible();
  await app.keyboard.press('Escape');
  await run(app, WORKFLOW);
  await expect(app.getByRole('region', { name: 'Held here' }).getByText(/^Not sent yet/)).toBeVisible();
  await expect(app.getByRole('alert').filter({ hasText: 'waits in the outbox' })).toBeVisible();
  await app.screenshot({ path: test.info().outputPath('offline.png') });
});

test('filter by workflow; a gallery image becomes the input of another workflow; show in folder explains itself', async ({
  app,
  cloud,
}) => {
  await signIn(app, cloud);
  await run(app, WORKFLOW);
  await expect(app.getByText('Completed')).toBeVisible({ timeout: 30_000 });
  await app.getByRole('button', { name: 'Gallery', exact: true }).click();
  await app.getByRole('combobox', { name: 'Workflow' }).focus();
  await app.getByRole('combobox', { name: 'Workflow' }).selectOption({ label: 'comfyui-basic_api_example (1)' });
  await expect(app.getByText('1 item')).toBeVisible();

  await app.getByRole('gridcell').first().click();
  const viewer = app.getByRole('dialog', { name: /Viewer/ });
  await viewer.getByRole('button', { name: 'Show in folder' }).click();
  await expect(viewer.getByText(/available in the desktop app/)).toBeVisible();
  await viewer.getByRole('button', { name: 'Use as input' }).click();
  await expect(app.getByRole('heading', { name: 'Workflows' })).toBeVisible();
  await expect(app.getByText(/is ready to use as an input/)).toBeVisible();

  await app
    .getByLabel('Workflow file', { exact: true })
    .setInputFiles(join(import.meta.dirname, '../../../shared/fixtures/workflows/fofr-sd15_img2img.json'));
  await app.getByRole('button', { name: /^Use ComfyUI_\d+_\.png$/ }).click();
  await expect(app.getByText('Uploaded.')).toBeVisible();
  expect(cloud.requests.filter((r) => r.url.endsWith('/upload/image'))).toHaveLength(1);
  await runToQueue(app);
  await expect(app.getByText('Completed')).toHaveCount(2, { timeout: 30_000 });
});
