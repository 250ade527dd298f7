// The Workflows view in everyday use, pinned by what a person sees: open workflows kept like tabs
// through leaving, reloading and restarting; image inputs with a preview, their full name and the
// server's images; the mask painter; a failed job's details; colours and empty choices in the form.
// In Debian's Chromium through the headless host, against the fake cloud.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { test, expect, signIn, startHostProcess } from './fixtures';
import {
  addLocalServer,
  BASIC,
  basicWith,
  FIXTURES,
  gallery,
  loadInvertSave,
  openWorkflow,
  runToQueue,
  shots,
  workflowFile,
  type ApiWorkflow,
} from './helpers';

const TRACES = join(import.meta.dirname, '../../../shared/traces');
const INPAINT = join(FIXTURES, 'workflows', 'fofr-sd15_inpainting.json');
const IMG2IMG = join(FIXTURES, 'workflows', 'fofr-sd15_img2img.json');
const IMAGE_INPUT = /Image for image \(node \d+\)/;

/** An empty image of a colour, inverted and saved: no model needed, so it runs on a fresh local server. */
function colourImage(color: number): ApiWorkflow {
  const workflow = loadInvertSave(512, 512);
  workflow['1']!.inputs.color = color;
  return workflow;
}

/** A plain image of this size and colour, as a file to upload. */
async function imageFile(name: string, width: number, height: number): Promise<string> {
  const { default: sharp } = await import('sharp');
  const path = test.info().outputPath(name);
  await sharp({ create: { width, height, channels: 3, background: { r: 40, g: 120, b: 200 } } })
    .png()
    .toFile(path);
  return path;
}

async function workflows(app: Page): Promise<void> {
  await app.getByRole('button', { name: 'Workflows', exact: true }).click();
}

/** Opens a workflow the server may find problems in (a fresh local server has no models). */
async function importWorkflow(app: Page, file: string): Promise<void> {
  await workflows(app);
  await app.getByLabel('Workflow file', { exact: true }).setInputFiles(file);
  await expect(app.getByText(/^\d+ nodes · /)).toBeVisible({ timeout: 15_000 });
}

/** One stroke with the mouse across the canvas, between two fractions of its box. */
async function strokeAcross(app: Page, canvas: Locator, from: [number, number], to: [number, number]): Promise<void> {
  const box = (await canvas.boundingBox())!;
  await app.mouse.move(box.x + box.width * from[0], box.y + box.height * from[1]);
  await app.mouse.down();
  await app.mouse.move(box.x + box.width * to[0], box.y + box.height * to[1], { steps: 10 });
  await app.mouse.up();
}

/** The colour on screen at a fraction of the canvas (the image with the mask overlay drawn on it). */
function pixelAt(canvas: Locator, fx: number, fy: number): Promise<[number, number, number]> {
  return canvas.evaluate(
    (el: HTMLCanvasElement, { fx, fy }) => {
      const d = el.getContext('2d')!.getImageData(Math.floor(el.width * fx), Math.floor(el.height * fy), 1, 1).data;
      return [d[0]!, d[1]!, d[2]!] as [number, number, number];
    },
    { fx, fy },
  );
}

/** The alpha channel of a mask the fake cloud received, and its size. */
async function maskAlpha(bytes: Buffer) {
  const { default: sharp } = await import('sharp');
  const { data, info } = await sharp(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, at: (x: number, y: number) => data[(y * info.width + x) * 4 + 3]! };
}

test('an open workflow keeps its values, image and mask through leaving, reloading and restarting; a closed tab is gone', async ({
  app,
  cloud,
  host,
}) => {
  await signIn(app, cloud);
  // Larger than the copy kept with the workflow (1024 px): the mask must still come out at this size.
  const photo = await imageFile('photo-1600x1200.png', 1600, 1200);
  await openWorkflow(app, INPAINT);
  const tabs = app.getByRole('tablist', { name: 'Open workflows' });
  const inpaint = tabs.getByRole('tab', { name: 'fofr-sd15_inpainting' });
  await expect(inpaint).toHaveAttribute('aria-selected', 'true');
  const sampler = app.getByRole('region', { name: 'KSampler (node 3)' });
  await sampler.getByLabel('steps').fill('33');
  const input = app.getByRole('region', { name: IMAGE_INPUT });
  await input.locator('input[type=file]').first().setInputFiles(photo);
  await expect(app.getByText('Uploaded.')).toBeVisible();
  const preview = input.getByRole('img', { name: /^Preview of [a-f0-9]{64}\.png$/ });
  await expect(preview).toBeVisible();
  await expect(input.getByText('1600 × 1200 · uploaded from this computer')).toBeVisible();

  // A second workflow opens in a tab of its own; the first is shown again.
  await openWorkflow(app, BASIC);
  await expect(tabs.getByRole('tab')).toHaveText(['fofr-sd15_inpainting', 'comfyui-basic_api_example']);
  await expect(tabs.getByRole('tab', { name: 'comfyui-basic_api_example' })).toHaveAttribute('aria-selected', 'true');
  await inpaint.click();
  await expect(sampler.getByLabel('steps')).toHaveValue('33');

  // Leaving for the gallery and coming back: all still there.
  await gallery(app);
  await workflows(app);
  await expect(inpaint).toHaveAttribute('aria-selected', 'true');
  await expect(sampler.getByLabel('steps')).toHaveValue('33');
  await expect(preview).toBeVisible();
  await shots(app, 'workflow-tabs');

  // A reload (everything in the window forgotten): the tabs, the values and the image come back.
  await expect(tabs.locator('[aria-busy="true"]')).toHaveCount(0);
  await app.reload();
  await expect(app.getByRole('navigation')).toBeVisible();
  await workflows(app);
  await expect(tabs.getByRole('tab')).toHaveCount(2);
  await expect(inpaint).toHaveAttribute('aria-selected', 'true');
  await expect(sampler.getByLabel('steps')).toHaveValue('33');
  await expect(preview).toHaveJSProperty('naturalWidth', 1024);
  // A mask painted on the image chosen before the reload: on the copy kept with the workflow, sent at
  // the original's size.
  await input.getByRole('button', { name: 'Paint mask…' }).click();
  const painter = app.getByRole('dialog', { name: 'Mask painter' });
  const canvas = painter.getByLabel('Image to paint the mask on');
  await expect(canvas).toHaveJSProperty('width', 1024);
  await painter.getByLabel('Brush hardness').fill('1');
  await strokeAcross(app, canvas, [0.3, 0.5], [0.7, 0.5]);
  await painter.getByRole('button', { name: 'Use mask' }).click();
  await expect(app.getByText('Mask uploaded: the painted area will change.')).toBeVisible();
  await expect(input.getByText('Masked')).toBeVisible();
  expect(cloud.masks).toHaveLength(1);
  expect(String(cloud.masks[0]!.originalRef.filename)).toMatch(/^[a-f0-9]{64}\.png$/);
  const mask = await maskAlpha(cloud.masks[0]!.bytes);
  expect([mask.width, mask.height]).toEqual([1600, 1200]);
  expect(mask.at(800, 600)).toBe(0);
  expect(mask.at(800, 200)).toBe(255);
  expect(mask.at(20, 20)).toBe(255);
  await expect(tabs.locator('[aria-busy="true"]')).toHaveCount(0);

  // The app restarted (a new host on the same data folder): still there, the mask's strokes too.
  await app.goto('about:blank');
  await host.stop();
  const again = await startHostProcess(
    { COMFY_DESK_CLOUD_URL: cloud.url, COMFY_DESK_KEYCHAIN_SERVICE: `Comfy Desk e2e restart ${Date.now()}` },
    host.dataDir,
  );
  try {
    await app.goto(again.url);
    await expect(app.getByRole('navigation')).toBeVisible();
    await workflows(app);
    await expect(tabs.getByRole('tab')).toHaveCount(2);
    await expect(inpaint).toHaveAttribute('aria-selected', 'true');
    await expect(sampler.getByLabel('steps')).toHaveValue('33');
    await expect(preview).toHaveJSProperty('naturalWidth', 1024);
    await expect(input.getByText('Masked')).toBeVisible();
    await input.scrollIntoViewIfNeeded();
    await shots(app, 'image-input-restored');
    await input.getByRole('button', { name: 'Paint mask…' }).click();
    // The strokes painted before the restart, in the overlay's red, over the blue image.
    await expect.poll(async () => (await pixelAt(canvas, 0.5, 0.5))[0]).toBeGreaterThan(120);
    expect((await pixelAt(canvas, 0.5, 0.1))[0]).toBeLessThan(60);
    await painter.getByRole('button', { name: 'Cancel' }).click();

    // Closing a tab: the next one is shown, and it stays closed after a reload.
    await tabs.getByRole('button', { name: 'Close fofr-sd15_inpainting' }).click();
    await expect(tabs.getByRole('tab')).toHaveText(['comfyui-basic_api_example']);
    await expect(app.getByRole('heading', { name: 'comfyui-basic_api_example' })).toBeVisible();
    await app.reload();
    await expect(app.getByRole('navigation')).toBeVisible();
    await workflows(app);
    await expect(tabs.getByRole('tab')).toHaveText(['comfyui-basic_api_example']);
    await expect(app.getByRole('region', { name: 'KSampler (node 3)' }).getByLabel('steps')).toHaveValue('20');
  } finally {
    await app.goto('about:blank');
    await again.stop();
  }
});

test('the mask painter fills its space, zooms at the pointer, pans, and shows the brush and the mask', async ({
  app,
  cloud,
}) => {
  await signIn(app, cloud);
  const small = await imageFile('small-320x240.png', 320, 240);
  await openWorkflow(app, INPAINT);
  const input = app.getByRole('region', { name: IMAGE_INPUT });
  await input.locator('input[type=file]').first().setInputFiles(small);
  await expect(app.getByText('Uploaded.')).toBeVisible();
  await input.getByRole('button', { name: 'Paint mask…' }).click();
  const painter = app.getByRole('dialog', { name: 'Mask painter' });
  await expect(painter.getByRole('heading', { name: /^Paint a mask on [a-f0-9]{64}\.png$/ })).toBeVisible();
  const canvas = painter.getByLabel('Image to paint the mask on');
  const zoom = painter.getByRole('status', { name: 'Zoom' });

  // A small image is scaled up to fill the stage, in its own proportions; the zoom says by how much.
  await expect.poll(async () => (await canvas.boundingBox())?.width ?? 0).toBeGreaterThan(640);
  let box = (await canvas.boundingBox())!;
  expect(box.width / box.height).toBeCloseTo(320 / 240, 2);
  await expect(zoom).toHaveText(`${Math.round((box.width / 320) * 100)}%`);

  // The brush is the cursor: a circle of its size on screen.
  await app.mouse.move(box.x + box.width * 0.25, box.y + box.height * 0.25);
  const brush = painter.locator('.brush');
  await expect(brush).toBeVisible();
  const brushSize = Number(await painter.getByLabel('Brush size').inputValue());
  expect((await brush.boundingBox())!.width).toBeCloseTo(brushSize * (box.width / 320), 0);

  // The wheel zooms in at the pointer: the point under it stays under it.
  const at = { x: box.x + box.width * 0.25, y: box.y + box.height * 0.25 };
  await app.mouse.wheel(0, -300);
  await expect.poll(async () => (await canvas.boundingBox())!.width).toBeGreaterThan(box.width * 1.3);
  box = (await canvas.boundingBox())!;
  expect((at.x - box.x) / box.width).toBeCloseTo(0.25, 2);
  expect((at.y - box.y) / box.height).toBeCloseTo(0.25, 2);
  await expect(zoom).toHaveText(`${Math.round((box.width / 320) * 100)}%`);
  // A pinch (ctrl + wheel) zooms out again.
  await app.keyboard.down('Control');
  await app.mouse.wheel(0, 40);
  await app.keyboard.up('Control');
  await expect.poll(async () => (await canvas.boundingBox())!.width).toBeLessThan(box.width * 0.9);

  // Space + drag moves the image, and so does a middle-button drag.
  box = (await canvas.boundingBox())!;
  await app.keyboard.down('Space');
  await app.mouse.down();
  await app.mouse.move(at.x - 120, at.y - 60, { steps: 5 });
  await app.mouse.up();
  await app.keyboard.up('Space');
  let moved = (await canvas.boundingBox())!;
  expect(moved.x - box.x).toBeCloseTo(-120, 0);
  expect(moved.y - box.y).toBeCloseTo(-60, 0);
  await app.mouse.down({ button: 'middle' });
  await app.mouse.move(at.x, at.y, { steps: 5 });
  await app.mouse.up({ button: 'middle' });
  moved = (await canvas.boundingBox())!;
  expect(moved.x - box.x).toBeCloseTo(0, 0);
  // Neither painted anything.
  await expect(painter.getByRole('button', { name: 'Undo' })).toBeDisabled();

  // Fit, then paint: the mask shows in red, or in cyan where red would not show.
  await painter.getByRole('button', { name: 'Fit' }).click();
  await painter.getByLabel('Brush hardness').fill('1');
  await strokeAcross(app, canvas, [0.2, 0.5], [0.8, 0.5]);
  const red = await pixelAt(canvas, 0.5, 0.5);
  expect(red[0]).toBeGreaterThan(red[2]);
  const colours = painter.getByRole('radiogroup', { name: 'Mask colour' });
  await colours.getByRole('radio', { name: 'Cyan' }).click();
  await expect(colours.getByRole('radio', { name: 'Cyan' })).toHaveAttribute('aria-checked', 'true');
  const cyan = await pixelAt(canvas, 0.5, 0.5);
  expect(cyan[1]).toBeGreaterThan(cyan[0] + 60);
  box = (await canvas.boundingBox())!;
  await app.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.3);
  await shots(app, 'mask-painter');

  await painter.getByRole('button', { name: 'Use mask' }).click();
  await expect(app.getByText('Mask uploaded: the painted area will change.')).toBeVisible();
  const mask = await maskAlpha(cloud.masks[0]!.bytes);
  expect([mask.width, mask.height]).toEqual([320, 240]);
  expect(mask.at(160, 120)).toBe(0);
  expect(mask.at(160, 20)).toBe(255);
});

test('a failed job folds its traceback, copies its details, and names the node as the form does', async ({
  app,
  cloud,
  host,
}) => {
  await app.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: host.origin });
  await signIn(app, cloud);
  // The basic workflow's nodes have no titles of their own: the save node is "Save Image" in the form.
  const failing = basicWith((wf) => (wf['9']!.inputs.filename_prefix = 'FAIL'));
  await openWorkflow(app, workflowFile('always_fails', failing));
  await expect(app.getByRole('region', { name: 'Save Image (node 9)' })).toBeVisible();
  await runToQueue(app);
  const error = app.getByRole('alert').filter({ hasText: 'A node failed while running' });
  await expect(error).toBeVisible({ timeout: 30_000 });
  await expect(error.getByText('Save Image', { exact: true })).toBeVisible();
  await expect(error.getByText('(SaveImage)')).toBeVisible();

  // The traceback is folded away until asked for.
  const trace = error.getByText(/execution\.py", line 277/);
  await expect(error.getByText('Traceback (1 line)')).toBeVisible();
  await expect(trace).toBeHidden();
  await error.getByText('Traceback (1 line)').click();
  await expect(trace).toBeVisible();
  await shots(app, 'job-error');

  await error.getByRole('button', { name: 'Copy details' }).click();
  await expect(error.getByRole('button', { name: 'Copied' })).toBeVisible();
  const copied = await app.evaluate(() => navigator.clipboard.readText());
  expect(copied).toContain('A node failed while running');
  expect(copied).toContain('Node #9 Save Image (SaveImage)');
  expect(copied).toContain('RuntimeError: Simulated failure: the filename prefix asked for it (FAIL).');
  expect(copied).toMatch(/Traceback:\n\s+File "\/srv\/comfyui\/ComfyUI\/execution\.py", line 277/);
});

test('a colour is chosen with a colour picker and runs as the integer ComfyUI keeps', async ({ app, cloud }) => {
  await signIn(app, cloud);
  await openWorkflow(app, workflowFile('orange', colourImage(0xff8800)));
  const colour = app.getByRole('region', { name: /\(node 1\)$/ }).getByLabel('color');
  await expect(colour).toHaveAttribute('type', 'color');
  await expect(colour).toHaveValue('#ff8800');
  await expect(app.getByText('#FF8800')).toBeVisible();
  await expect(app.getByText('16746496')).toHaveCount(0);
  await shots(app, 'form-colour');
  await colour.fill('#00ff00');
  await expect(app.getByText('#00FF00')).toBeVisible();
  await runToQueue(app);
  await expect(app.getByText('Completed')).toBeVisible({ timeout: 30_000 });
  await app.getByRole('button', { name: 'Open job orange' }).click();
  const inputs = app.getByRole('dialog', { name: /Job details/ }).getByRole('tabpanel');
  await expect(inputs.getByRole('row', { name: /color/ }).getByRole('cell').last()).toHaveText('65280');
});

test.describe('on a local server', () => {
  test.use({ cloudOptions: { mode: 'local', stepMs: 40, steps: 6 } });

  test('an image input offers the images the server lists, names them in full, and a gallery image can be masked', async ({
    app,
    cloud,
  }) => {
    // A local ComfyUI lists its input files as LoadImage's choices (the recorded one had none).
    const info = JSON.parse(readFileSync(join(TRACES, 'comfyui-0.8.0', 'object_info.full.json'), 'utf8')) as Record<
      string,
      { input: { required: Record<string, [unknown, unknown?]> } }
    >;
    info.LoadImage!.input.required.image![0] = ['portrait.png', 'holidays/beach at dusk, 2019.png'];
    cloud.fault({ method: 'GET', path: '/object_info', body: JSON.stringify(info), times: 100 });
    await addLocalServer(app, cloud);

    // An output in the gallery, handed to the workflows view with "Use as input".
    await openWorkflow(app, workflowFile('inverted', colourImage(0)));
    await runToQueue(app);
    await expect(app.getByText('Completed')).toBeVisible({ timeout: 30_000 });
    await gallery(app);
    await app.getByRole('gridcell').first().click();
    await app
      .getByRole('dialog', { name: /Viewer/ })
      .getByRole('button', { name: 'Use as input' })
      .click();

    await importWorkflow(app, IMG2IMG);
    const input = app.getByRole('region', { name: IMAGE_INPUT });
    // The workflow names an image by URL: shown by its last part, in full on hover.
    await expect(input.getByText('1.jpeg', { exact: true })).toHaveAttribute(
      'title',
      /^https:\/\/replicate\.delivery\//,
    );
    await expect(input.getByText('Named in the workflow')).toBeVisible();

    // The server's images, to choose from.
    const onServer = input.getByLabel('Images on the server');
    await expect(onServer.locator('option:not([disabled])')).toHaveText([
      'portrait.png',
      'holidays/beach at dusk, 2019.png',
    ]);
    await onServer.selectOption('holidays/beach at dusk, 2019.png');
    const name = input.getByText('beach at dusk, 2019.png', { exact: true });
    await expect(name).toHaveAttribute('title', 'holidays/beach at dusk, 2019.png');
    await expect(input.getByText('on the server', { exact: true })).toBeVisible();
    // The server lists it, but this fake listing has no file behind it: the engine's attempt to
    // bring it here fails, so a mask can be given as a file, not painted (and it says why). An image
    // the server really has is brought here and painted on: checks.spec.ts.
    await expect(input.getByRole('button', { name: 'Mask file…' })).toBeEnabled();
    await expect(input.getByRole('button', { name: 'Paint mask…' })).toBeDisabled();
    await expect(input.getByRole('button', { name: 'Paint mask…' })).toHaveAttribute(
      'title',
      /could not be read from the server \(Not found on the server \(404\)/,
    );
    await input.scrollIntoViewIfNeeded();
    await shots(app, 'image-input-server');

    // The gallery's output: a preview from the gallery, and a mask painted on it.
    await input.getByRole('button', { name: /^Use inverted_\d+_\.png$/ }).click();
    await expect(input.getByText('Uploaded.')).toBeVisible();
    const preview = input.getByRole('img', { name: /^Preview of inverted_\d+_\.png$/ });
    await expect.poll(() => preview.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
    await expect(input.getByText(/from the gallery$/)).toBeVisible();
    await input.getByRole('button', { name: 'Paint mask…' }).click();
    const painter = app.getByRole('dialog', { name: /^Mask painter: inverted_\d+_\.png$/ });
    const canvas = painter.getByLabel('Image to paint the mask on');
    await expect(canvas).toBeVisible();
    await painter.getByLabel('Brush hardness').fill('1');
    await strokeAcross(app, canvas, [0.1, 0.5], [0.9, 0.5]);
    const size = await canvas.evaluate((el: HTMLCanvasElement) => [el.width, el.height]);
    await painter.getByRole('button', { name: 'Use mask' }).click();
    await expect(input.getByText('Mask uploaded: the painted area will change.')).toBeVisible();
    expect(cloud.masks).toHaveLength(1);
    expect(String(cloud.masks[0]!.originalRef.filename)).toMatch(/^inverted_\d+_\.png$/);
    const mask = await maskAlpha(cloud.masks[0]!.bytes);
    expect([mask.width, mask.height]).toEqual(size);
    expect(mask.at(Math.floor(mask.width / 2), Math.floor(mask.height / 2))).toBe(0);
    expect(mask.at(Math.floor(mask.width / 2), 0)).toBe(255);
    await shots(app, 'image-input-gallery');
  });

  test('a choice the server offers nothing for is flagged where it is', async ({ app, cloud }) => {
    await addLocalServer(app, cloud);
    // A fresh local install has no checkpoints: the loader's choice is empty.
    await importWorkflow(app, BASIC);
    const loader = app.getByRole('region', { name: 'Load Checkpoint (node 4)' });
    await expect(loader.getByLabel('ckpt_name')).toHaveValue('v1-5-pruned-emaonly.safetensors');
    await expect(loader.getByText('The server offers no choices: install a model for ckpt_name on it')).toBeVisible();
    // Choices it does offer stay a plain choice.
    await expect(app.getByRole('region', { name: 'KSampler (node 3)' }).getByText(/offers no choices/)).toHaveCount(0);
    await shots(app, 'form-no-options');
  });
});
