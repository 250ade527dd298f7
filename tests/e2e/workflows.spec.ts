// Workflows in Debian's Chromium through the host: import (API, UI format, a ComfyUI image),
// the generated form with checks before sending, and an image input uploaded by drag and drop.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect, signIn } from './fixtures';
import { dropFile, runToQueue } from './helpers';
import type { FakeCloud } from '../fake-cloud/index';

const FIXTURES = join(import.meta.dirname, '../../../shared/fixtures');

async function online(app: Page, cloud: FakeCloud): Promise<void> {
  await signIn(app, cloud);
  await app.getByRole('button', { name: 'Workflows', exact: true }).click();
}

test('an API workflow becomes a form; bad values are caught before sending; it runs', async ({ app, cloud }) => {
  await online(app, cloud);
  await app
    .getByLabel('Workflow file', { exact: true })
    .setInputFiles(join(FIXTURES, 'workflows', 'comfyui-basic_api_example.api.json'));
  await expect(app.getByText(/\d+ nodes · checked against the server/)).toBeVisible({ timeout: 15_000 });
  const sampler = app.getByRole('region', { name: 'KSampler (node 3)' });
  await expect(sampler.getByLabel('sampler_name')).toHaveValue('euler');
  await sampler.getByLabel('steps').fill('0');
  await expect(sampler.getByText('At least 1.')).toBeVisible();
  await expect(app.getByRole('button', { name: 'Run', exact: true })).toBeDisabled();
  await sampler.getByLabel('steps').fill('7');
  await app
    .getByRole('region', { name: /CLIP Text Encode|CLIPTextEncode/ })
    .first()
    .getByLabel('text')
    .fill('a lighthouse at dusk');
  await app.screenshot({ path: test.info().outputPath('workflow-form.png') });
  await runToQueue(app);
  await expect(app.getByText('Completed')).toBeVisible({ timeout: 30_000 });
  await app.getByRole('button', { name: 'Gallery', exact: true }).click();
  await app.getByRole('searchbox', { name: 'Search the gallery' }).fill('lighthouse');
  await expect(app.getByText('1 item')).toBeVisible();
});

test('a workflow saved from ComfyUI (UI format) opens as its form; a broken file is refused', async ({
  app,
  cloud,
}) => {
  await online(app, cloud);
  await app
    .getByLabel('Workflow file', { exact: true })
    .setInputFiles(join(FIXTURES, 'workflows', 'fofr-sd15_text2img_not_api_version.json'));
  await expect(app.getByText('7 nodes · checked against the server')).toBeVisible({ timeout: 15_000 });
  await expect(app.getByRole('region', { name: 'KSampler (node 3)' }).getByLabel('steps')).toHaveValue('20');
  await app
    .getByLabel('Workflow file', { exact: true })
    .setInputFiles({ name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{"3": {') });
  await expect(app.getByRole('alert').filter({ hasText: 'not valid JSON' })).toBeVisible();
});

test('dropping a ComfyUI image loads its workflow; an image input is uploaded by drag and drop, once', async ({
  app,
  cloud,
}) => {
  await online(app, cloud);
  await dropFile(
    app,
    'Drop a workflow file',
    join(FIXTURES, 'comfyui-png', 'comfy-cli__ComfyUI_00001_.png'),
    'ComfyUI_00001_.png',
    'image/png',
  );
  await expect(app.getByRole('heading', { name: 'ComfyUI_00001_' })).toBeVisible();
  await expect(app.getByRole('region', { name: /KSampler/ })).toBeVisible();

  await app
    .getByLabel('Workflow file', { exact: true })
    .setInputFiles(join(FIXTURES, 'workflows', 'fofr-sd15_img2img.json'));
  const target = /Image for image \(node \d+\)/;
  await expect(app.getByRole('region', { name: target })).toBeVisible();
  const regionName = (await app.getByRole('region', { name: target }).getAttribute('aria-label'))!;
  const scribble = join(FIXTURES, 'comfyui-png', 'controlnet__input_scribble_example.png');
  await dropFile(app, regionName, scribble, 'scribble.png', 'image/png');
  await expect(app.getByText('Uploaded.')).toBeVisible();
  await dropFile(app, regionName, scribble, 'scribble-again.png', 'image/png');
  await expect(app.getByText('Already on the server: reused.')).toBeVisible();
  expect(cloud.requests.filter((r) => r.url.endsWith('/upload/image'))).toHaveLength(1);
  await dropFile(app, regionName, join(FIXTURES, 'workflows', 'MANIFEST.tsv'), 'notes.txt', 'text/plain');
  await expect(app.getByText('notes.txt is not a PNG, JPEG or WebP image.')).toBeVisible();
});

test('the mask painter makes a correct alpha mask and uploads it with the original_ref', async ({ app, cloud }) => {
  await online(app, cloud);
  await app
    .getByLabel('Workflow file', { exact: true })
    .setInputFiles(join(FIXTURES, 'workflows', 'fofr-sd15_inpainting.json'));
  const target = /Image for image \(node \d+\)/;
  const regionName = (await app.getByRole('region', { name: target }).getAttribute('aria-label'))!;
  await dropFile(
    app,
    regionName,
    join(FIXTURES, 'comfyui-png', 'controlnet__input_scribble_example.png'),
    'scribble.png',
    'image/png',
  );
  await expect(app.getByText('Uploaded.')).toBeVisible();
  await app.getByRole('button', { name: 'Paint mask…' }).click();
  const painter = app.getByRole('dialog', { name: 'Mask painter' });
  const canvas = painter.getByLabel('Image to paint the mask on');
  await expect(canvas).toBeVisible();
  await painter.getByLabel('Brush hardness').fill('1');
  // One stroke across the middle of the image.
  const box = (await canvas.boundingBox())!;
  await app.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.5);
  await app.mouse.down();
  await app.mouse.move(box.x + box.width * 0.7, box.y + box.height * 0.5, { steps: 10 });
  await app.mouse.up();
  // Undo and redo bring the same stroke back.
  await painter.getByRole('button', { name: 'Undo' }).click();
  await painter.getByRole('button', { name: 'Redo' }).click();
  await app.screenshot({ path: test.info().outputPath('mask-painter.png') });
  await painter.getByRole('button', { name: 'Use mask' }).click();
  await expect(app.getByText('Mask uploaded: the painted area will change.')).toBeVisible();

  expect(cloud.masks).toHaveLength(1);
  const [mask] = cloud.masks;
  const image = cloud.requests.find((r) => r.url.endsWith('/upload/image'));
  expect(image).toBeTruthy();
  expect(mask!.originalRef).toMatchObject({ type: 'input' });
  expect(String(mask!.originalRef.filename)).toMatch(/^[a-f0-9]{64}\.png$/);
  // The mask: the original's size, opaque in the corners, transparent along the stroke.
  const { default: sharp } = await import('sharp');
  const { data, info } = await sharp(mask!.bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  expect([info.width, info.height]).toEqual([512, 512]);
  const alpha = (x: number, y: number) => data[(y * info.width + x) * 4 + 3]!;
  expect(alpha(5, 5)).toBe(255);
  expect(alpha(506, 506)).toBe(255);
  expect(alpha(256, 256)).toBe(0);
  expect(alpha(200, 256)).toBe(0);
  expect(alpha(256, 100)).toBe(255);
});

test('the library keeps workflows: save, rename, duplicate, delete, open and run', async ({ app, cloud }) => {
  await online(app, cloud);
  await app
    .getByLabel('Workflow file', { exact: true })
    .setInputFiles(join(FIXTURES, 'workflows', 'comfyui-basic_api_example.api.json'));
  await app.getByRole('button', { name: 'Save to library' }).click();
  await expect(app.getByText('Added to the library.')).toBeVisible();
  const library = app.getByRole('region', { name: 'Library' });
  const card = library.getByRole('listitem', { name: 'Saved workflow comfyui-basic_api_example' });
  await expect(card).toContainText('not run yet');

  await card.getByRole('button', { name: 'Rename' }).click();
  await library.getByLabel('New name').fill('Portrait');
  await library.getByLabel('New name').press('Enter');
  const portrait = library.getByRole('listitem', { name: 'Saved workflow Portrait' });
  await expect(portrait).toBeVisible();
  await portrait.getByRole('button', { name: 'Duplicate' }).click();
  await expect(library.getByRole('listitem')).toHaveCount(2);
  await library.getByRole('button', { name: 'Delete Portrait copy' }).click();
  await expect(library.getByRole('listitem')).toHaveCount(1);

  await portrait.getByRole('button', { name: 'Open Portrait' }).click();
  await expect(app.getByRole('heading', { name: 'Portrait', exact: true })).toBeVisible();
  await expect(app.getByRole('button', { name: 'Save changes' })).toBeVisible();
  await runToQueue(app);
  await expect(app.getByText('Completed')).toBeVisible({ timeout: 30_000 });
  await app.getByRole('button', { name: 'Workflows', exact: true }).click();
  await expect(portrait).toContainText('ran just now');
  await expect(portrait.getByRole('button', { name: 'Open Portrait' }).locator('img')).toBeVisible();
  await app.screenshot({ path: test.info().outputPath('library.png') });
});

test('an image pasted into an image input is uploaded', async ({ app, cloud }) => {
  await online(app, cloud);
  await app
    .getByLabel('Workflow file', { exact: true })
    .setInputFiles(join(FIXTURES, 'workflows', 'fofr-sd15_img2img.json'));
  const box = app
    .getByRole('region', { name: /Image for image \(node \d+\)/ })
    .getByRole('button', { name: 'Choose image…' });
  const data = readFileSync(join(FIXTURES, 'comfyui-png', 'controlnet__input_scribble_example.png')).toString('base64');
  await box.evaluate((el, data) => {
    const dt = new DataTransfer();
    dt.items.add(new File([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], 'pasted.png', { type: 'image/png' }));
    el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  }, data);
  await expect(app.getByText('Uploaded.')).toBeVisible();
  expect(cloud.requests.filter((r) => r.url.endsWith('/upload/image'))).toHaveLength(1);
});

test('a folder of outputs is imported from Settings, with a summary', async ({ app }) => {
  const folder = test.info().outputPath('outputs');
  mkdirSync(folder, { recursive: true });
  copyFileSync(join(FIXTURES, 'comfyui-png', 'sdxl__sdxl_simple_example.png'), join(folder, 'a.png'));
  writeFileSync(join(folder, 'broken.png'), 'not an image');
  await app.getByRole('button', { name: 'Settings', exact: true }).click();
  await app.getByLabel('Import a folder of ComfyUI outputs into the gallery').fill(folder);
  await app.getByLabel('Copy or leave in place').selectOption('reference');
  await app.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(app.getByText('Added 1, skipped 0 already in the gallery, 1 unreadable: broken.png.')).toBeVisible();
  await app.getByRole('button', { name: 'Gallery', exact: true }).click();
  await expect(app.getByRole('gridcell')).toHaveCount(1);
  // Left in place, and still shown: the thumbnail and the full image come from the folder.
  await expect(app.getByRole('gridcell').locator('img')).toBeVisible();
  await app.getByRole('gridcell').click();
  await expect(app.getByRole('dialog', { name: /Viewer/ }).locator('img')).toHaveJSProperty('naturalWidth', 1024);
  await app.keyboard.press('Escape');
  await app.getByRole('searchbox', { name: 'Search the gallery' }).fill('KSamplerAdvanced');
  await expect(app.getByText('1 item')).toBeVisible();
});

test('the workflow behind a gallery image opens in the form; a mask file can be given instead of painted', async ({
  app,
  cloud,
}) => {
  await online(app, cloud);
  await app
    .getByLabel('Workflow file', { exact: true })
    .setInputFiles(join(FIXTURES, 'workflows', 'comfyui-basic_api_example.api.json'));
  await app.getByRole('region', { name: 'KSampler (node 3)' }).getByLabel('steps').fill('9');
  await runToQueue(app);
  await expect(app.getByText('Completed')).toBeVisible({ timeout: 30_000 });
  await app.getByRole('button', { name: 'Gallery', exact: true }).click();
  await app.getByRole('gridcell').first().click();
  await app
    .getByRole('dialog', { name: /Viewer/ })
    .getByRole('button', { name: 'Open workflow' })
    .click();
  await expect(app.getByRole('region', { name: 'KSampler (node 3)' }).getByLabel('steps')).toHaveValue('9');

  await app
    .getByLabel('Workflow file', { exact: true })
    .setInputFiles(join(FIXTURES, 'workflows', 'fofr-sd15_inpainting.json'));
  const region = app.getByRole('region', { name: /Image for image \(node \d+\)/ });
  await region
    .locator('input[type=file]')
    .first()
    .setInputFiles(join(FIXTURES, 'comfyui-png', 'controlnet__input_scribble_example.png'));
  await expect(app.getByText('Uploaded.')).toBeVisible();
  await app
    .getByLabel(/^Mask file for image/)
    .setInputFiles(join(FIXTURES, 'comfyui-png', 'controlnet__input_scribble_example.png'));
  await expect(app.getByText('Mask uploaded: the painted area will change.')).toBeVisible();
  expect(cloud.masks).toHaveLength(1);
  expect(String(cloud.masks[0]!.originalRef.filename)).toMatch(/^[a-f0-9]{64}\.png$/);
});

test('files dropped anywhere on the window: a workflow opens, a plain image goes to the image input', async ({
  app,
  cloud,
}) => {
  await signIn(app, cloud);
  await app.getByRole('button', { name: 'Gallery', exact: true }).click();
  const dropOn = async (selector: string, path: string, name: string, type: string) => {
    const data = readFileSync(path).toString('base64');
    const transfer = await app.evaluateHandle(
      ({ data, name, type }) => {
        const dt = new DataTransfer();
        dt.items.add(new File([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], name, { type }));
        return dt;
      },
      { data, name, type },
    );
    await app.locator(selector).first().dispatchEvent('drop', { dataTransfer: transfer });
  };
  await dropOn('main', join(FIXTURES, 'workflows', 'fofr-sd15_img2img.json'), 'img2img.json', 'application/json');
  await expect(app.getByRole('heading', { name: 'img2img' })).toBeVisible();
  await dropOn(
    'h1',
    join(FIXTURES, 'comfyui-png', 'controlnet__input_scribble_example.png'),
    'scribble.png',
    'image/png',
  );
  await expect(app.getByText('Uploaded.')).toBeVisible();
  expect(cloud.requests.filter((r) => r.url.endsWith('/upload/image'))).toHaveLength(1);
});
