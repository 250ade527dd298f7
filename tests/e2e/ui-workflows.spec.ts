// Workflows as people save them in ComfyUI's editor (UI format, with a subgraph), in Debian's
// Chromium through the headless host against the fake local server: a dropped .json and a PNG that
// carries only the graph each open as a form with the person's titles and groups, a node can be
// bypassed, the run completes, and the output's PNG carries the graph with the values that ran.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readImageMetadata } from '../../electron/engine/workflows/metadata';
import { makePng } from '../fake-cloud/png';
import { test, expect } from './fixtures';
import type { CommandOutput } from '../../shared/contract';
import { addLocalServer, dropFile, FIXTURES, invoke, runToQueue, showInQueue, shots } from './helpers';

test.use({ cloudOptions: { mode: 'local', stepMs: 10, steps: 2 } });

type UiNode = { id: number; title?: string; pos: [number, number]; widgets_values?: unknown[] };
type Ui = { nodes: UiNode[]; groups?: unknown[]; links: unknown[] };

/** The model-free peer workflow with a subgraph, as a person would have named and grouped it. */
function namedWorkflow(): Ui {
  const ui = JSON.parse(
    readFileSync(join(FIXTURES, 'ui-to-api-subgraphs', 'peer_empty_blur_scale_save_subgraph.workflow.json'), 'utf8'),
  ) as Ui;
  ui.nodes.find((n) => n.id === 1)!.title = 'Canvas';
  ui.nodes.find((n) => n.id === 2)!.title = 'Soften';
  ui.groups = [
    { id: 1, title: 'Make it', bounding: [80, 60, 700, 260], color: '#3f789e', flags: {} },
    { id: 2, title: 'Keep it', bounding: [820, 100, 850, 300], color: '#8A8', flags: {} },
  ];
  return ui;
}

test('a workflow saved from ComfyUI opens with its titles and groups, runs, and its output carries the graph', async ({
  app,
  cloud,
  host,
}) => {
  await addLocalServer(app, cloud);
  await app.getByRole('button', { name: 'Workflows', exact: true }).click();
  const file = test.info().outputPath('blur-and-scale.json');
  writeFileSync(file, JSON.stringify(namedWorkflow()));
  await app.getByLabel('Workflow file', { exact: true }).setInputFiles(file);
  await expect(app.getByText(/\d+ nodes · checked against the server/)).toBeVisible({ timeout: 15_000 });

  // The canvas's groups are the form's sections, in order, with the nodes the person named.
  const make = app.getByRole('region', { name: 'Make it', exact: true });
  const keep = app.getByRole('region', { name: 'Keep it', exact: true });
  await expect(make.getByRole('heading', { name: 'Make it' })).toBeVisible();
  const canvas = make.getByRole('region', { name: 'Canvas (node 1)' });
  await expect(canvas.getByLabel('width')).toHaveValue('256');
  // A colour is a colour, as the form shows it.
  await expect(canvas.getByLabel('color')).toHaveValue('#ff8800');
  const soften = make.getByRole('region', { name: 'Soften (node 2)' });
  await expect(soften.getByLabel('Mode of Soften')).toHaveValue('always');
  await expect(soften.getByLabel('Mode of Soften').locator('option:checked')).toHaveText('On');
  // Nothing is wrong with it: no alert is shown.
  await expect(app.getByRole('alert')).toHaveCount(0);
  // The subgraph shows as one node with its promoted widget, inside the group it sits in.
  const sub = keep.getByRole('region', { name: /New Subgraph \(node 8\)/ });
  await expect(sub.getByLabel('filename_prefix')).toHaveValue('peer_blur');
  const order = await app.locator('.section-heading').allTextContents();
  expect(order.slice(0, 2)).toEqual(['Make it', 'Keep it']);
  await shots(app, 'ui-workflow-form');
  await keep.scrollIntoViewIfNeeded();
  await shots(app, 'ui-workflow-form-lower');

  await soften.getByLabel('blur_radius').fill('7');
  await runToQueue(app);
  await expect(app.getByText('Completed').first()).toBeVisible({ timeout: 30_000 });

  // The server got the API prompt, and the saved output carries the graph with the value that ran.
  const sent = cloud.accepted().at(-1)!.prompt;
  expect(sent['2']!.inputs.blur_radius).toBe(7);
  expect(sent['8:5']!.class_type).toBe('SaveImage');
  let saved: CommandOutput<'gallery.page'>['items'][number] | undefined;
  await expect
    .poll(
      async () => {
        const { items } = await invoke(host, 'gallery.page', { saved: true, limit: 100 });
        saved = items.find((i) => i.filename.startsWith('peer_blur') && i.state === 'stored');
        return saved !== undefined;
      },
      { timeout: 30_000 },
    )
    .toBe(true);
  if (!saved) throw new Error('no saved output');
  const bytes = cloud.fileBytes({ filename: saved.filename, subfolder: saved.subfolder, type: 'output' });
  const graph = readImageMetadata(bytes!).workflow as unknown as Ui;
  expect(graph.nodes.find((n) => n.id === 2)).toMatchObject({ title: 'Soften', widgets_values: [7, 2] });
  expect(graph.groups).toHaveLength(2);
  const detail = await invoke(host, 'jobs.get', { id: saved.jobId });
  expect((detail.uiWorkflow as unknown as Ui).nodes).toHaveLength(5);
});

test('a PNG that carries only the graph opens as its form; a bypassed node is left out of the run', async ({
  app,
  cloud,
}) => {
  await addLocalServer(app, cloud);
  await app.getByRole('button', { name: 'Workflows', exact: true }).click();
  const png = test.info().outputPath('graph-only.png');
  writeFileSync(png, makePng(48, 32, 5, { workflow: JSON.stringify(namedWorkflow()) }));
  await dropFile(app, 'Drop a workflow file', png, 'graph-only.png', 'image/png');
  await expect(app.getByRole('heading', { name: 'graph-only' })).toBeVisible({ timeout: 15_000 });
  const soften = app.getByRole('region', { name: 'Soften (node 2)' });
  await expect(soften).toBeVisible();

  await soften.getByLabel('Mode of Soften').selectOption('bypass');
  await expect(soften.getByText(/Bypassed: what it is given goes straight on/)).toBeVisible();
  await expect(soften.getByLabel('blur_radius')).toHaveCount(0);
  await shots(app, 'ui-workflow-bypassed');
  const before = cloud.acceptedCount();
  await app.getByRole('button', { name: 'Run', exact: true }).click();
  await expect.poll(() => cloud.acceptedCount(), { timeout: 20_000 }).toBe(before + 1);
  const sent = cloud.accepted().at(-1)!.prompt;
  expect(sent['2']).toBeUndefined();
  // What the blur fed takes the canvas straight away.
  expect(sent['7']!.inputs.images).toEqual(['1', 0]);
  await showInQueue(app);
  await expect(app.getByText('Completed').first()).toBeVisible({ timeout: 30_000 });
});
