// The workflows saved on a server, in Debian's Chromium through the headless host against the fake
// local server's userdata routes: listed by folder, opened as a form, run, edited and saved back
// (only the values change), a conflict keeps both, renamed into another folder, deleted (asked
// first), and opened and run offline from the copy kept here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect } from './fixtures';
import { addLocalServer, FIXTURES, invoke, shots } from './helpers';

test.use({ cloudOptions: { mode: 'local', stepMs: 10, steps: 2 } });

type UiNode = { id: number; title?: string; widgets_values?: unknown[] };
type Ui = { nodes: UiNode[]; groups?: unknown[]; links: unknown[] };

function namedWorkflow(): Ui {
  const ui = JSON.parse(
    readFileSync(join(FIXTURES, 'ui-to-api-subgraphs', 'peer_empty_blur_scale_save_subgraph.workflow.json'), 'utf8'),
  ) as Ui;
  ui.nodes.find((n) => n.id === 2)!.title = 'Soften';
  ui.groups = [{ id: 1, title: 'Make it', bounding: [80, 60, 700, 260], color: '#3f789e', flags: {} }];
  return ui;
}

const onServer = (cloud: { userdata: Map<string, { bytes: Buffer }> }, path: string): Ui =>
  JSON.parse(cloud.userdata.get(`workflows/${path}`)!.bytes.toString()) as Ui;

test('saved workflows: list, open, run, save back, conflict, rename, delete, offline open and run', async ({
  app,
  cloud,
  host,
}) => {
  const original = namedWorkflow();
  cloud.putUserdata('workflows/Blur and scale.json', JSON.stringify(original));
  cloud.putUserdata('workflows/portraits/Fox.json', JSON.stringify(namedWorkflow()));
  cloud.putUserdata('workflows/portraits/Soft light.json', JSON.stringify(namedWorkflow()));
  await addLocalServer(app, cloud);
  await app.getByRole('button', { name: 'Workflows', exact: true }).click();

  const saved = app.getByRole('region', { name: 'Saved on your servers' });
  await expect(saved.getByRole('tab', { name: 'Studio PC', selected: true })).toBeVisible();
  await expect(saved.getByRole('group', { name: 'Folder portraits' }).getByRole('listitem')).toHaveCount(2);
  await expect(saved.getByRole('listitem', { name: 'Saved workflow Blur and scale.json' })).toContainText(/KB|B/);
  await shots(app, 'saved-workflows-library');

  // Open: the form keeps the person's titles and groups.
  await saved.getByRole('button', { name: 'Blur and scale', exact: true }).click();
  const soften = app.getByRole('region', { name: 'Soften (node 2)' });
  await expect(soften).toBeVisible({ timeout: 15_000 });
  await expect(app.getByRole('region', { name: 'Make it', exact: true })).toBeVisible();

  // Edit and save back: only the value changes on the server.
  await soften.getByLabel('blur_radius').fill('7');
  await app.getByRole('button', { name: 'Save to Studio PC' }).click();
  await expect(app.getByRole('status').filter({ hasText: 'Saved “Blur and scale.json” to Studio PC.' })).toBeVisible();
  const back = onServer(cloud, 'Blur and scale.json');
  expect(back.nodes.find((n) => n.id === 2)!.widgets_values).toEqual([7, 2]);
  const strip = (u: Ui) => ({ ...u, nodes: u.nodes.map(({ widgets_values: _w, ...n }) => n) });
  expect(strip(back)).toEqual(strip(original));
  expect(back.nodes.filter((n) => n.id !== 2)).toEqual(original.nodes.filter((n) => n.id !== 2));

  // Run it.
  const before = cloud.acceptedCount();
  await app.getByRole('button', { name: 'Run', exact: true }).click();
  await expect.poll(() => cloud.acceptedCount(), { timeout: 20_000 }).toBe(before + 1);
  expect(cloud.accepted().at(-1)!.prompt['2']!.inputs.blur_radius).toBe(7);
  await app.getByRole('button', { name: 'Workflows', exact: true }).click();

  // Changed in the web UI meanwhile: saving keeps both, and says so.
  const elsewhere = { ...namedWorkflow(), extra: { from: 'web UI' } };
  cloud.putUserdata('workflows/Blur and scale.json', JSON.stringify(elsewhere));
  await app.getByRole('region', { name: 'Soften (node 2)' }).getByLabel('blur_radius').fill('9');
  await app.getByRole('button', { name: 'Save to Studio PC' }).click();
  await expect(app.getByRole('alert').filter({ hasText: /since you opened it.*Both are kept/ })).toBeVisible();
  expect(onServer(cloud, 'Blur and scale.json')).toEqual(elsewhere);
  const conflict = [...cloud.userdata.keys()].find((k) => k.includes('(conflict '))!;
  expect(conflict).toMatch(/^workflows\/Blur and scale \(conflict .*\)\.json$/);
  expect(onServer(cloud, conflict.slice('workflows/'.length)).nodes.find((n) => n.id === 2)!.widgets_values).toEqual([
    9, 2,
  ]);

  // Rename into another folder.
  const fox = saved.getByRole('listitem', { name: 'Saved workflow portraits/Fox.json' });
  await fox.getByRole('button', { name: 'Rename' }).click();
  await fox.getByLabel('New name or folder/name').fill('archive/Fox');
  await fox.getByLabel('New name or folder/name').press('Enter');
  await expect(saved.getByRole('group', { name: 'Folder archive' })).toBeVisible();
  expect(cloud.userdata.has('workflows/archive/Fox.json')).toBe(true);
  expect(cloud.userdata.has('workflows/portraits/Fox.json')).toBe(false);

  // Delete, asked first.
  const moved = saved.getByRole('listitem', { name: 'Saved workflow archive/Fox.json' });
  await moved.getByRole('button', { name: 'Delete archive/Fox.json' }).click();
  const ask = moved.getByRole('alertdialog', { name: 'Delete archive/Fox.json?' });
  await expect(ask).toBeVisible();
  expect(cloud.userdata.has('workflows/archive/Fox.json')).toBe(true);
  await ask.getByRole('button', { name: 'Delete' }).click();
  await expect(saved.getByRole('group', { name: 'Folder archive' })).toHaveCount(0);
  expect(cloud.userdata.has('workflows/archive/Fox.json')).toBe(false);

  // Offline: the list and the files kept here open, and a run waits in the queue.
  cloud.fault({ path: '/userdata', dropConnection: true, times: 100_000 });
  cloud.fault({ path: '/prompt', status: 503, times: 100_000 });
  await saved.getByRole('button', { name: 'Refresh the saved workflows' }).click();
  await expect(saved.getByRole('alert').filter({ hasText: /Could not list the saved workflows/ })).toBeVisible();
  await shots(app, 'saved-workflows-offline');
  await saved.getByRole('button', { name: 'Soft light', exact: true }).click();
  await expect(app.getByRole('status').filter({ hasText: /copy kept on this computer/ })).toBeVisible({
    timeout: 15_000,
  });
  await expect(app.getByRole('heading', { name: 'Soft light' })).toBeVisible();
  const accepted = cloud.acceptedCount();
  await app.getByRole('button', { name: 'Run', exact: true }).click();
  await expect
    .poll(async () => (await invoke(host, 'jobs.list', { states: ['outbox'] })).items.length, { timeout: 20_000 })
    .toBe(1);
  expect(cloud.acceptedCount()).toBe(accepted);
  cloud.clearFaults();
  await expect.poll(() => cloud.acceptedCount(), { timeout: 60_000 }).toBe(accepted + 1);
});
