// A workflow saved from ComfyUI's editor (UI format) through the engine, against the fake server in
// local mode: converted with the server's object_info to the prompt ComfyUI's frontend makes, run,
// kept with the job, sent as extra_pnginfo (so the output's PNG carries the graph with the values
// that ran), and kept by the library and the open workflows.
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../../electron/engine/engine';
import { readImageMetadata } from '../../../electron/engine/workflows/metadata';
import { convertUiWorkflow } from '../../../electron/engine/workflows/ui';
import { makePng } from '../../fake-cloud/png';
import { startFakeCloud, type FakeCloud } from '../../fake-cloud/index';
import { useTempDirs } from '../engine/tmp';
import { openEngine, waitFor } from '../jobs/cloud-harness';
import { FIXTURES } from '../jobs/journal-helpers';

const SUBGRAPHS = join(FIXTURES, 'ui-to-api-subgraphs');
const read = (name: string) => JSON.parse(readFileSync(join(SUBGRAPHS, name), 'utf8')) as Record<string, unknown>;
const tempDir = useTempDirs();
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function setup(): Promise<{ cloud: FakeCloud; engine: Engine }> {
  const cloud = await startFakeCloud({ mode: 'local', stepMs: 2, steps: 2 });
  cleanup.push(() => cloud.close());
  const engine = await openEngine(tempDir(), cloud);
  cleanup.push(() => engine.close());
  await engine.jobs.refreshObjectInfo('local');
  return { cloud, engine };
}

const finished = (engine: Engine, id: string) => {
  const job = engine.jobs.journal.get(id);
  const outputs = engine.jobs.journal.outputs(id);
  return job?.state === 'completed' && outputs.length > 0 && outputs.every((o) => o.state === 'stored')
    ? outputs
    : null;
};

describe('a UI-format workflow through the engine', () => {
  it('is converted as the frontend does, runs, and its output PNG carries the graph with the values that ran', async () => {
    const { cloud, engine } = await setup();
    const ui = read('peer_empty_blur_scale_save_subgraph.workflow.json');
    const report = await engine.handlers['workflows.inspect']({ workflow: ui });
    expect(report.format).toBe('ui');
    expect(report.checkedAgainstServer).toBe(true);
    expect(report.problems).toEqual([]);
    expect(report.prompt).toEqual(read('peer_empty_blur_scale_save_subgraph.prompt.json'));
    // The person's edit: a stronger blur (node 2 is ImageBlur, outside the subgraph).
    const edited = structuredClone(report.prompt!) as Record<string, { inputs: Record<string, unknown> }>;
    edited['2']!.inputs.blur_radius = 9;

    const [job] = await engine.handlers['jobs.submit']({ workflow: edited, uiWorkflow: ui, name: 'blur' });
    const outputs = await waitFor(() => finished(engine, job!.id), 'the run and its outputs', 20_000);
    // The server was sent the API prompt, exactly: the UI workflow only rides along.
    expect(cloud.accepted().at(-1)!.prompt).toEqual(edited);

    const saved = outputs.find((o) => o.mime === 'image/png' && o.filename.startsWith('peer_blur'));
    expect(saved).toBeDefined();
    const meta = readImageMetadata(readFileSync(engine.jobs.store.pathOf(saved!.hash!)));
    expect(meta.workflow).not.toBeNull();
    // The graph kept its ids, links and subgraph, with the value that ran written into it.
    const graph = meta.workflow as { nodes: { id: number; widgets_values: unknown[] }[]; links: unknown[] };
    expect(graph.links).toEqual(ui.links);
    expect(graph.nodes.find((n) => n.id === 2)!.widgets_values[0]).toBe(9);
    const info = engine.jobs.objectInfo('local')!;
    expect(convertUiWorkflow(meta.workflow, info).prompt).toEqual(edited);

    // The job keeps the graph it came from; its detail gives it to "open workflow".
    const detail = await engine.handlers['jobs.get']({ id: job!.id });
    expect(detail.uiWorkflow).toEqual(ui);
    // A re-run keeps it too.
    const again = await engine.handlers['jobs.rerun']({ id: job!.id });
    expect(engine.jobs.journal.get(again.id)!.uiWorkflowId).toBe(engine.jobs.journal.get(job!.id)!.uiWorkflowId);
  });

  it('a node the person bypasses is converted out of the prompt; muting the save leaves the rest', async () => {
    const { engine } = await setup();
    const ui = read('peer_empty_blur_scale_save_subgraph.workflow.json');
    const bypassed = await engine.handlers['workflows.setNodeMode']({ workflow: ui, uiId: '2', mode: 'bypass' });
    const prompt = bypassed.report.prompt as Record<string, { inputs: Record<string, unknown> }>;
    expect(prompt['2']).toBeUndefined();
    // What the blur fed now takes the empty image directly.
    expect(prompt['7']!.inputs.images).toEqual(['1', 0]);
    const node = bypassed.report.layout!.sections.flatMap((s) => s.nodes).find((n) => n.uiId === '2');
    expect(node).toMatchObject({ mode: 'bypass', apiId: null });
    // Back on: the prompt is the original again.
    const back = await engine.handlers['workflows.setNodeMode']({
      workflow: bypassed.workflow,
      uiId: '2',
      mode: 'always',
    });
    expect(back.report.prompt).toEqual(read('peer_empty_blur_scale_save_subgraph.prompt.json'));
  });

  it('node types the server lacks: nothing is converted, and each is named with its node', async () => {
    const { engine } = await setup();
    const ui = read('peer_empty_blur_scale_save_subgraph.workflow.json') as { nodes: { id: number; type: string }[] };
    ui.nodes.find((n) => n.id === 1)!.type = 'ImpactWildcardProcessor';
    const report = await engine.handlers['workflows.inspect']({ workflow: ui });
    expect(report.format).toBe('ui');
    expect(report.prompt).toBeUndefined();
    expect(report.message).toMatch(/ImpactWildcardProcessor/);
    expect(report.message).toMatch(/node 1\b/);
    expect(report.message).toMatch(/custom node/i);
  });

  it('the library keeps the graph with the form values written in; an open workflow keeps its graph', async () => {
    const { engine } = await setup();
    const ui = read('peer_empty_blur_scale_save_subgraph.workflow.json');
    const report = await engine.handlers['workflows.inspect']({ workflow: ui });
    const edited = structuredClone(report.prompt!) as Record<string, { inputs: Record<string, unknown> }>;
    edited['1']!.inputs.width = 320;
    const entry = await engine.handlers['library.save']({ name: 'blur', workflow: edited, uiWorkflow: ui });
    expect(entry.nodeCount).toBe((ui.nodes as unknown[]).length);
    const { workflow } = await engine.handlers['library.get']({ id: entry.id });
    expect(Array.isArray(workflow.nodes)).toBe(true);
    const reopened = await engine.handlers['workflows.inspect']({ workflow });
    expect(reopened.prompt).toEqual(edited);

    const draft = await engine.handlers['drafts.save']({ name: 'blur', workflow: edited, state: {}, uiWorkflow: ui });
    const [listed] = await engine.handlers['drafts.list']();
    expect(listed!.id).toBe(draft.id);
    expect(listed!.uiWorkflow).toEqual(ui);
    expect(listed!.workflow).toEqual(edited);
  });

  it('a folder of outputs that carry only the graph: kept, and it opens as the graph', async () => {
    const { engine } = await setup();
    const folder = join(tempDir(), 'outputs');
    mkdirSync(folder);
    const ui = read('peer_empty_blur_scale_save_subgraph.workflow.json');
    writeFileSync(join(folder, 'only-graph.png'), makePng(64, 48, 7, { workflow: JSON.stringify(ui) }));
    const summary = await engine.handlers['import.folder']({ path: folder });
    expect(summary.added).toBe(1);
    const { items } = await engine.handlers['gallery.page']({ limit: 10 });
    const detail = await engine.handlers['jobs.get']({ id: items[0]!.jobId });
    expect(detail.prompt).toEqual({});
    expect(detail.uiWorkflow).toEqual(ui);
  });

  it('a PNG that carries only the graph is read as one (workflows.fromImage)', async () => {
    const { engine } = await setup();
    const ui = read('peer_slow_blur_subgraph.workflow.json');
    const png = makePng(32, 32, 3, { workflow: JSON.stringify(ui) });
    const embedded = await engine.handlers['workflows.fromImage']({ data: png.toString('base64') });
    expect(embedded.prompt).toBeNull();
    const report = await engine.handlers['workflows.inspect']({ workflow: embedded.workflow });
    expect(report.prompt).toEqual(read('peer_slow_blur_subgraph.prompt.json'));
  });
});
