// Bugs found in a day of real use, each pinned by what a person sees: in Debian's Chromium through
// the headless host, against the fake cloud.
import { join } from 'node:path';
import type { Locator } from '@playwright/test';
import { test, expect, signIn } from './fixtures';
import {
  addLocalServer,
  BASIC,
  basicWith,
  FIXTURES,
  gallery,
  loadInvertSave,
  openWorkflow,
  run,
  runToQueue,
  shots,
  workflowFile,
} from './helpers';

/** The image's scale on screen as a person sees it: displayed pixels over natural pixels (object-fit: contain). */
async function shownScale(image: Locator, natural: { width: number; height: number }): Promise<number> {
  const box = (await image.boundingBox())!;
  return Math.min(box.width / natural.width, box.height / natural.height);
}

test('the open viewer keeps showing its output when a re-run lands a new one', async ({ app, cloud }) => {
  await signIn(app, cloud);
  await run(app, BASIC);
  await expect(app.getByText('Completed')).toBeVisible({ timeout: 30_000 });
  await gallery(app);
  await expect(app.getByRole('gridcell')).toHaveCount(1);
  await app.getByRole('gridcell').first().click();
  const viewer = app.getByRole('dialog', { name: /Viewer/ });
  await expect(viewer).toHaveAccessibleName('Viewer: ComfyUI_00001_.png');

  await viewer.getByRole('button', { name: 'Re-run', exact: true }).click();
  await expect(viewer.getByText('Queued again.')).toBeVisible();
  // The new output lands in the gallery (on top) while the viewer is open...
  await expect(app.getByText('2 items')).toBeVisible({ timeout: 30_000 });
  await expect(app.getByRole('gridcell')).toHaveCount(2);
  // ...and the viewer still shows the output it was opened on, which is now second.
  await expect(viewer).toHaveAccessibleName('Viewer: ComfyUI_00001_.png');
  await expect(viewer.getByText('ComfyUI_00001_.png', { exact: true })).toBeVisible();
  await expect(viewer.getByRole('button', { name: 'Previous' })).toBeEnabled();
  await expect(viewer.getByRole('button', { name: 'Next' })).toBeDisabled();
  await app.keyboard.press('ArrowLeft');
  await expect(viewer).toHaveAccessibleName('Viewer: ComfyUI_00002_.png');
});

test('the mask painter opens at the size of its image', async ({ app, cloud }) => {
  await signIn(app, cloud);
  const { default: sharp } = await import('sharp');
  const png = test.info().outputPath('photo-320x240.png');
  await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 40, g: 120, b: 200 } } })
    .png()
    .toFile(png);
  await openWorkflow(app, join(FIXTURES, 'workflows', 'fofr-sd15_inpainting.json'));
  await app
    .getByRole('region', { name: /Image for image \(node \d+\)/ })
    .locator('input[type=file]')
    .first()
    .setInputFiles(png);
  await expect(app.getByText('Uploaded.')).toBeVisible();
  await app.getByRole('button', { name: 'Paint mask…' }).click();
  const canvas = app.getByRole('dialog', { name: 'Mask painter' }).getByLabel('Image to paint the mask on');
  await expect(canvas).toBeVisible();
  // Before any stroke: the image's 320×240 pixels, not the 300×150 of a blank canvas; on screen in
  // its proportions, scaled up to fill the painter (workflows-everyday.spec.ts pins the zoom).
  await expect(canvas).toHaveJSProperty('width', 320);
  await expect(canvas).toHaveJSProperty('height', 240);
  await expect.poll(async () => (await canvas.boundingBox())?.width ?? 0).toBeGreaterThan(320);
  const box = (await canvas.boundingBox())!;
  expect(box.width / box.height).toBeCloseTo(320 / 240, 2);
  await shots(app, 'mask-painter');
});

test.describe('on a server the person added', () => {
  test.use({ cloudOptions: { mode: 'local', stepMs: 40, steps: 6 } });

  test('job detail is titled by the workflow and names the server, not their ids', async ({ app, cloud }) => {
    await addLocalServer(app, cloud);
    await run(app, workflowFile('portrait', loadInvertSave(512, 512)));
    await expect(app.getByText('Completed')).toBeVisible({ timeout: 30_000 });
    await app.getByRole('button', { name: 'Open job portrait' }).click();
    const drawer = app.getByRole('dialog', { name: /Job details/ });
    await expect(drawer.getByRole('heading', { level: 2 })).toHaveText('portrait');
    await expect(drawer).toHaveAccessibleName('Job details: portrait');
    await expect(drawer.getByRole('definition').filter({ hasText: 'Studio PC' })).toBeVisible();
    // No server profile id (a UUID) where a person reads the facts, except the prompt id, named as such.
    const facts = await drawer.locator('dl').innerText();
    expect(facts.replace(/Prompt id\s+\S+/, '')).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
    await shots(app, 'job-detail');
  });
});

test('the workflow filter lists each workflow once, with its outputs, and only workflows that made some', async ({
  app,
  cloud,
}) => {
  await signIn(app, cloud);
  // The same workflow, edited between runs: two versions of it, two outputs per run.
  await run(app, workflowFile('load_invert_save', loadInvertSave(512, 512, true)));
  await expect(app.getByText('Completed')).toHaveCount(1, { timeout: 30_000 });
  await run(app, workflowFile('load_invert_save', loadInvertSave(640, 480, true)));
  await expect(app.getByText('Completed')).toHaveCount(2, { timeout: 30_000 });
  // A workflow whose only job failed: nothing of it is in the gallery.
  await run(
    app,
    workflowFile(
      'always_fails',
      basicWith((wf) => (wf['9']!.inputs.filename_prefix = 'FAIL')),
    ),
  );
  await expect(app.getByRole('alert').filter({ hasText: 'A node failed while running' })).toBeVisible({
    timeout: 30_000,
  });

  await gallery(app);
  await expect(app.getByText('4 items')).toBeVisible();
  const filter = app.getByRole('combobox', { name: 'Workflow' });
  await filter.focus();
  await expect(filter.getByRole('option')).toHaveText(['All workflows', 'load_invert_save (4)']);
  await filter.selectOption({ label: 'load_invert_save (4)' });
  await expect(app.getByText('4 items')).toBeVisible();
  await expect(app.getByRole('gridcell')).toHaveCount(4);
  await shots(app, 'gallery-workflow-filter');
});

test('removing a server asks first, and takes its error with it', async ({ app }) => {
  await app.getByRole('button', { name: 'Settings', exact: true }).click();
  await app.getByRole('button', { name: 'Add server' }).click();
  await app.getByLabel('Name').fill('Studio PC');
  await app.getByLabel('Address').fill('http://127.0.0.1:9');
  await app.getByRole('button', { name: 'Save server' }).click();
  await app.getByRole('radio', { name: /Studio PC/ }).click();
  await app.getByRole('button', { name: 'Test connection' }).click();
  await expect(app.getByTestId('server-check')).toBeVisible({ timeout: 20_000 });

  const servers = app.getByRole('radiogroup', { name: 'Active server' });
  await app.getByRole('button', { name: 'Remove Studio PC' }).click();
  await expect(servers.getByText('Remove Studio PC? Its outputs stay in the gallery.')).toBeVisible();
  await shots(app, 'settings-remove-confirm');
  await servers.getByRole('button', { name: 'Keep it' }).click();
  await expect(app.getByRole('radio', { name: /Studio PC/ })).toBeVisible();

  await app.getByRole('button', { name: 'Remove Studio PC' }).click();
  await servers.getByRole('button', { name: 'Yes, remove it' }).click();
  await expect(app.getByRole('radio', { name: /Studio PC/ })).toHaveCount(0);
  await expect(app.getByRole('heading', { name: 'API key · Comfy Cloud' })).toBeVisible();
  await expect(app.getByTestId('server-check')).toHaveCount(0);
  await expect(app.getByRole('alert')).toHaveCount(0);
  await shots(app, 'settings-after-remove');
});

test('the viewer says the real scale of the image on screen', async ({ app, cloud }) => {
  await signIn(app, cloud);
  // 1600×1200 latent pixels: the fake cloud makes a 200×150 image of it.
  await run(app, workflowFile('small_image', loadInvertSave(1600, 1200)));
  await expect(app.getByText('Completed')).toBeVisible({ timeout: 30_000 });
  await gallery(app);
  await app.getByRole('gridcell').first().click();
  const viewer = app.getByRole('dialog', { name: /Viewer/ });
  const image = viewer.getByRole('img');
  await expect(image).toHaveJSProperty('naturalWidth', 200);
  const scale = await shownScale(image, { width: 200, height: 150 });
  expect(scale).toBeGreaterThan(3);
  const zoom = viewer.getByRole('status', { name: 'Zoom' });
  await expect(zoom).toHaveText(`${Math.round(scale * 100)}%`);
  await app.keyboard.press('+');
  await expect(zoom).toHaveText(`${Math.round(scale * 1.25 * 100)}%`);
  await shots(app, 'viewer-zoom');
  await app.keyboard.press('0');
  await expect(zoom).toHaveText(`${Math.round(scale * 100)}%`);
});

test('numbers in the form have the precision of their step', async ({ app, cloud }) => {
  await signIn(app, cloud);
  await openWorkflow(
    app,
    workflowFile(
      'img2img_tuned',
      basicWith((wf) => {
        // As arithmetic in another tool leaves them.
        wf['3']!.inputs.denoise = 0.8700000000000001;
        wf['3']!.inputs.cfg = 7.500000000000001;
      }),
    ),
  );
  const sampler = app.getByRole('region', { name: 'KSampler (node 3)' });
  await expect(sampler.getByLabel('denoise')).toHaveValue('0.87');
  await expect(sampler.getByLabel('cfg')).toHaveValue('7.5');
  await expect(sampler.getByLabel('steps')).toHaveValue('20');
  await shots(app, 'form-numbers');
  // What is typed is left as typed ("0.50" is not redrawn), and it is what runs.
  await sampler.getByLabel('denoise').fill('0.50');
  await expect(sampler.getByLabel('denoise')).toHaveValue('0.50');
  await runToQueue(app);
  await expect(app.getByText('Completed')).toBeVisible({ timeout: 30_000 });
  await app.getByRole('button', { name: 'Open job img2img_tuned' }).click();
  const inputs = app.getByRole('dialog', { name: /Job details/ }).getByRole('tabpanel');
  await expect(
    inputs
      .getByRole('row', { name: /KSampler denoise/ })
      .getByRole('cell')
      .last(),
  ).toHaveText('0.5');
  await expect(
    inputs
      .getByRole('row', { name: /KSampler cfg/ })
      .getByRole('cell')
      .last(),
  ).toHaveText('7.5');
});

test('the queue header reads "0 on the server (0 running, 0 waiting) · 1 held here"', async ({ app, cloud }) => {
  await signIn(app, cloud);
  await cloud.close();
  await expect(app.getByRole('alert').filter({ hasText: "You're offline" })).toBeVisible({ timeout: 20_000 });
  await run(app, BASIC);
  await expect(app.getByRole('region', { name: 'Held here' }).getByText(/^Not sent yet/)).toBeVisible();
  await expect(app.getByText('0 on the server (0 running, 0 waiting) · 1 held here', { exact: true })).toBeVisible();
  await shots(app, 'queue-outbox');
});

test('the Delete key deletes the selected outputs, with undo', async ({ app, cloud }) => {
  await signIn(app, cloud);
  await run(app, BASIC, 3);
  await expect(app.getByText('Completed')).toHaveCount(3, { timeout: 30_000 });
  await gallery(app);
  await expect(app.getByRole('gridcell')).toHaveCount(3);
  await app
    .getByRole('gridcell')
    .nth(0)
    .click({ modifiers: ['Control'] });
  await app
    .getByRole('gridcell')
    .nth(1)
    .click({ modifiers: ['Control'] });
  await expect(app.getByText('2 selected')).toBeVisible();
  await app.keyboard.press('Delete');
  await expect(app.getByText('2 outputs removed from the gallery.')).toBeVisible();
  await expect(app.getByRole('gridcell')).toHaveCount(1);
  await expect(app.getByText('1 item', { exact: true })).toBeVisible();
  await shots(app, 'gallery-deleted');
  await app.getByRole('button', { name: 'Undo' }).click();
  await expect(app.getByRole('gridcell')).toHaveCount(3);
  // Typing in the search box is not a deletion.
  await app
    .getByRole('gridcell')
    .nth(0)
    .click({ modifiers: ['Control'] });
  await app.getByRole('searchbox', { name: 'Search the gallery' }).fill('x');
  await app.getByRole('searchbox', { name: 'Search the gallery' }).press('Delete');
  await app.getByRole('searchbox', { name: 'Search the gallery' }).press('Backspace');
  await expect(app.getByRole('gridcell')).toHaveCount(3);
});

test('seed choices appear only for workflows that have a seed', async ({ app, cloud }) => {
  await signIn(app, cloud);
  await openWorkflow(app, workflowFile('load_invert_save', loadInvertSave(512, 512)));
  const runBar = app.getByRole('region', { name: 'Run load_invert_save' });
  await expect(runBar.getByLabel('Runs')).toBeVisible();
  await expect(runBar.getByLabel('Seed')).toHaveCount(0);
  await shots(app, 'workflow-no-seed');
  await runToQueue(app);
  await expect(app.getByText('Completed')).toBeVisible({ timeout: 30_000 });

  await openWorkflow(app, BASIC);
  await expect(app.getByRole('region', { name: /^Run comfyui-basic/ }).getByLabel('Seed')).toHaveValue('random');
  await runToQueue(app);
  await expect(app.getByText('Completed')).toHaveCount(2, { timeout: 30_000 });

  await gallery(app);
  await expect(app.getByRole('gridcell')).toHaveCount(2);
  const viewer = app.getByRole('dialog', { name: /Viewer/ });
  // Newest first: the seeded workflow's output, then the one without a seed.
  await app.getByRole('gridcell').nth(0).click();
  await expect(viewer.getByRole('heading', { name: /comfyui-basic/ })).toBeVisible();
  await expect(viewer.getByRole('button', { name: 'Re-run with a new seed' })).toBeVisible();
  await app.keyboard.press('ArrowRight');
  await expect(viewer.getByRole('heading', { name: 'load_invert_save' })).toBeVisible();
  await expect(viewer.getByRole('button', { name: 'Re-run', exact: true })).toBeVisible();
  await expect(viewer.getByRole('button', { name: 'Re-run with a new seed' })).toHaveCount(0);
  await shots(app, 'viewer-no-seed');
  await viewer.getByRole('button', { name: 'Open job' }).click();
  const drawer = app.getByRole('dialog', { name: /Job details/ });
  await expect(drawer.getByRole('button', { name: 'Re-run', exact: true })).toBeVisible();
  await expect(drawer.getByRole('button', { name: 'Re-run with a new seed' })).toHaveCount(0);
  await shots(app, 'job-detail-no-seed');
});
