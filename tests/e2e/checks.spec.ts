// "Checked against the server" means what the server would accept: against a local ComfyUI, a
// LoadImage naming a file the server does not have and a model list with nothing in it are
// flagged before anything is sent, with what to do.
import { writeFileSync } from 'node:fs';
import { test, expect } from './fixtures';

test.use({ cloudOptions: { mode: 'local', stepMs: 10, steps: 2 } });

test('the check flags an input image the server lacks and a model list with no choices', async ({ app, cloud }) => {
  await app.getByRole('button', { name: 'Settings', exact: true }).click();
  await app.getByRole('button', { name: 'Add server' }).click();
  await app.getByLabel('Name').fill('Studio PC');
  await app.getByLabel('Address').fill(cloud.url);
  await app.getByRole('button', { name: 'Save server' }).click();
  await app.getByRole('radio', { name: /Studio PC/ }).click();
  await expect(app.getByRole('status', { name: /Connection: Online to Studio PC/ })).toBeVisible({ timeout: 20_000 });

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
