// "Checked against the server" means what the server would accept: against a local ComfyUI, a
// LoadImage naming a file the server does not have and a model list with nothing in it are
// flagged before anything is sent, with what to do.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { test, expect } from './fixtures';
import { addLocalServer } from './helpers';

test.use({ cloudOptions: { mode: 'local', stepMs: 10, steps: 2 } });

test('the check flags an input image the server lacks and a model list with no choices', async ({ app, cloud }) => {
  await addLocalServer(app, cloud);

  const file = test.info().outputPath('checks_api.json');
  writeFileSync(
    file,
    JSON.stringify({
      '1': { class_type: 'LoadImage', inputs: { image: 'holiday.png' } },
      '2': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'v1-5-pruned-emaonly.ckpt' } },
      '3': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } },
    }),
  );
  await app.getByRole('button', { name: 'Workflows', exact: true }).click();
  await app.getByLabel('Workflow file', { exact: true }).setInputFiles(file);
  await expect(app.getByText(/checked against the server/)).toBeVisible({ timeout: 15_000 });
  const problems = app.getByRole('alert').filter({ hasText: 'The server will refuse this workflow' });
  await expect(problems).toContainText('The server has no input file "holiday.png"');
  await expect(problems).toContainText('choose the file again');
  await expect(problems).toContainText('The server offers no choices for ckpt_name');
  await app.screenshot({ path: test.info().outputPath('checks.png') });
});

test('an image named in the workflow that is only on the server: previewed, and a mask can be painted on it', async ({
  app,
  cloud,
}) => {
  // The image is on the server already (uploaded by someone else, earlier).
  const png = readFileSync(
    join(import.meta.dirname, '../../../shared/fixtures/comfyui-png/controlnet__input_scribble_example.png'),
  );
  const form = new FormData();
  form.set('image', new Blob([png], { type: 'image/png' }), 'scribble.png');
  const uploaded = await fetch(`${cloud.url}/api/upload/image`, { method: 'POST', body: form });
  expect(uploaded.status).toBe(200);

  await addLocalServer(app, cloud);

  const file = test.info().outputPath('server_image_api.json');
  writeFileSync(
    file,
    JSON.stringify({
      '1': { class_type: 'LoadImage', inputs: { image: 'scribble.png' } },
      '2': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } },
    }),
  );
  await app.getByRole('button', { name: 'Workflows', exact: true }).click();
  await app.getByLabel('Workflow file', { exact: true }).setInputFiles(file);
  const input = app.getByRole('region', { name: /Load Image/ });
  // Brought here by hash: a preview of it, and the painter opens on its pixels at their size.
  await expect(input.getByRole('img').first()).toHaveJSProperty('complete', true);
  const paint = input.getByRole('button', { name: 'Paint mask…' });
  await expect(paint).toBeEnabled({ timeout: 15_000 });
  await paint.click();
  const canvas = app.getByRole('dialog', { name: 'Mask painter' }).getByLabel('Image to paint the mask on');
  const { width, height } = await sharp(png).metadata();
  await expect(canvas).toHaveJSProperty('width', width);
  await expect(canvas).toHaveJSProperty('height', height);
});
