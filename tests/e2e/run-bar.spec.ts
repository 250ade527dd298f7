// The run bar says what a run will do before it goes: runs of a workflow with no seed would all be
// the same (ComfyUI answers repeats from its cache), and a workflow the server's check flags is
// sent only after "Run anyway", naming the problem. Through the host, against the fake local server.
import { test, expect } from './fixtures';
import { addLocalServer, invoke, loadInvertSave, openWorkflow, shots, workflowFile } from './helpers';

test.use({ cloudOptions: { mode: 'local', stepMs: 10, steps: 2 } });

test('several runs of a workflow with no seed: said before running that nothing varies', async ({ app, cloud }) => {
  await addLocalServer(app, cloud);
  await openWorkflow(app, workflowFile('no_seed', loadInvertSave(64, 48)));
  const note = app.getByRole('note').filter({ hasText: 'Nothing varies between these' });
  await expect(note).toHaveCount(0);
  await app.getByLabel('Runs').fill('4');
  await expect(note).toContainText('Nothing varies between these 4 runs');
  await expect(note).toContainText('no seed');
  await shots(app, 'run-bar-same-runs');
  // A sweep varies something: then there is nothing to warn about.
  await app.getByRole('button', { name: 'Sweep', exact: true }).click();
  await expect(note).toHaveCount(0);
});

test('a workflow the check flags: Run asks first, naming the problem; Cancel sends nothing, Run anyway sends it', async ({
  app,
  cloud,
  host,
}) => {
  await addLocalServer(app, cloud);
  await app.getByRole('button', { name: 'Workflows', exact: true }).click();
  const flagged = {
    '1': { class_type: 'LoadImage', inputs: { image: 'holiday.png' } },
    '2': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } },
  };
  await app.getByLabel('Workflow file', { exact: true }).setInputFiles(workflowFile('flagged', flagged));
  await expect(app.getByText('1 node(s) need attention')).toBeVisible({ timeout: 15_000 });
  await app.getByRole('button', { name: 'Run', exact: true }).click();
  const ask = app.getByRole('alertdialog', { name: 'Run anyway?' });
  await expect(ask).toContainText('The server will refuse this workflow as it is');
  await expect(ask).toContainText('holiday.png');
  await shots(app, 'run-bar-ask-first');
  await ask.getByRole('button', { name: 'Cancel' }).click();
  await expect(ask).toHaveCount(0);
  // Nothing was sent or queued.
  expect((await invoke(host, 'jobs.list', {})).items).toEqual([]);

  await app.getByRole('button', { name: 'Run', exact: true }).click();
  await app.getByRole('alertdialog', { name: 'Run anyway?' }).getByRole('button', { name: 'Run anyway' }).click();
  // It is sent, and the server refuses it as the check said.
  await expect
    .poll(async () => (await invoke(host, 'jobs.list', {})).items.map((j) => j.state), { timeout: 15_000 })
    .toEqual(['failed']);
});
