// The command line with workflows saved from ComfyUI's editor (UI format): `convert` prints the
// prompt ComfyUI's frontend makes (from a saved node list or a server's), `check` and `run` convert
// first, nodes are named by id (75:3) or title, and what cannot be converted is exit 2 with nothing sent.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSweeps } from '../../../electron/cli/args';
import { applyInputs, type ApiWorkflow } from '../../../electron/engine/workflows/api-format';
import { readImageMetadata } from '../../../electron/engine/workflows/metadata';
import { makePng } from '../../fake-cloud/png';
import { startFakeCloud } from '../../fake-cloud/index';
import { useTempDirs } from '../engine/tmp';
import { FIXTURES } from '../jobs/journal-helpers';

const SUBGRAPHS = join(FIXTURES, 'ui-to-api-subgraphs');
const OBJECT_INFO = join(FIXTURES, '..', 'traces', 'comfyui-0.8.0', 'object_info.full.json');
const fixture = (name: string) => join(SUBGRAPHS, name);
const read = (name: string) => JSON.parse(readFileSync(fixture(name), 'utf8')) as Record<string, unknown>;
const tempDir = useTempDirs();
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

// Asynchronous on purpose: the fake server lives in this process and must keep answering.
const cli = (args: string[]) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [
      '--import',
      'tsx',
      join(import.meta.dirname, '../../../electron/cli/bin.ts'),
      ...args,
    ]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });

describe('comfy-desk convert', () => {
  it('prints the prompt ComfyUI makes, from a saved node list, or writes it to --out', async () => {
    const printed = await cli([
      'convert',
      fixture('peer_load_invert_save_bypass_reroute.workflow.json'),
      '--object-info',
      OBJECT_INFO,
    ]);
    expect(printed.stderr).toBe('');
    expect(printed.status).toBe(0);
    expect(JSON.parse(printed.stdout)).toEqual(read('peer_load_invert_save_bypass_reroute.prompt.json'));

    const out = join(tempDir(), 'api.json');
    const written = await cli([
      'convert',
      fixture('tpl_01_qwen_t2i_subgraphed.workflow.json'),
      '--object-info',
      OBJECT_INFO,
      '--out',
      out,
    ]);
    expect(written.status).toBe(0);
    expect(written.stdout).toMatch(/Wrote .*api\.json: 11 nodes in API format/);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(read('tpl_01_qwen_t2i_subgraphed.prompt.json'));
  });

  it('converts the graph a PNG carries', async () => {
    const png = join(tempDir(), 'made-by-comfyui.png');
    writeFileSync(
      png,
      makePng(16, 16, 1, {
        prompt: JSON.stringify({ '9': { class_type: 'SaveImage', inputs: {} } }),
        workflow: readFileSync(fixture('peer_slow_blur_subgraph.workflow.json'), 'utf8'),
      }),
    );
    const result = await cli(['convert', png, '--object-info', OBJECT_INFO]);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(read('peer_slow_blur_subgraph.prompt.json'));
  });

  it('exit 2: node types the node list lacks (each named), an API file, a bad node list, both sources', async () => {
    const dir = tempDir();
    const graph = read('peer_empty_blur_scale_save_subgraph.workflow.json') as {
      nodes: { id: number; type: string }[];
      definitions: { subgraphs: { name: string; nodes: { id: number; type: string }[] }[] };
    };
    graph.nodes.find((n) => n.id === 2)!.type = 'BlurFromSomePack';
    graph.definitions.subgraphs[0]!.nodes.find((n) => n.id === 4)!.type = 'SizeFromAnotherPack';
    const custom = join(dir, 'custom.json');
    writeFileSync(custom, JSON.stringify(graph));
    const missing = await cli(['convert', custom, '--object-info', OBJECT_INFO]);
    expect(missing.status).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/BlurFromSomePack .*node 2\b/);
    expect(missing.stderr).toMatch(/SizeFromAnotherPack .*node 8:4 in subgraph “New Subgraph”/);
    expect(missing.stderr).toMatch(/custom node/i);

    const api = await cli([
      'convert',
      join(FIXTURES, 'workflows', 'comfyui-basic_api_example.api.json'),
      '--object-info',
      OBJECT_INFO,
    ]);
    expect(api.status).toBe(2);
    expect(api.stderr).toMatch(/already an API-format workflow/);

    const badInfo = join(dir, 'info.json');
    writeFileSync(badInfo, '[1, 2');
    const broken = await cli(['convert', custom, '--object-info', badInfo]);
    expect(broken.status).toBe(2);
    expect(broken.stderr).toMatch(/--object-info .* not valid JSON/);

    const both = await cli(['convert', custom, '--object-info', OBJECT_INFO, '--server', 'http://127.0.0.1:9']);
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/--server or --object-info, not both/);
  });
});

describe('check and run with a workflow saved from ComfyUI', () => {
  it('check converts and checks it; run sets inputs by id inside a subgraph and by title, and completes', async () => {
    const cloud = await startFakeCloud({ mode: 'local', stepMs: 2, steps: 2 });
    cleanup.push(() => cloud.close());
    const data = tempDir();
    const ui = fixture('peer_empty_blur_scale_save_subgraph.workflow.json');

    const checked = await cli(['check', ui, '--server', cloud.url, '--data', data]);
    expect(checked.stderr).toBe('');
    expect(checked.stdout).toContain('No problems found.');
    expect(checked.status).toBe(0);

    const converted = await cli(['convert', ui, '--server', cloud.url, '--data', data]);
    expect(converted.status).toBe(0);
    expect(JSON.parse(converted.stdout)).toEqual(read('peer_empty_blur_scale_save_subgraph.prompt.json'));

    const run = await cli([
      'run',
      ui,
      '--server',
      cloud.url,
      '--data',
      data,
      '--set',
      '8:5.filename_prefix=from_cli',
      '--set',
      'ImageBlur.blur_radius=3',
      '--wait',
      '--timeout',
      '30',
    ]);
    expect(run.stderr).not.toMatch(/Error|Usage/);
    expect(run.status).toBe(0);
    const sent = cloud.accepted().at(-1)!.prompt;
    const expected = read('peer_empty_blur_scale_save_subgraph.prompt.json') as typeof sent;
    expected['8:5']!.inputs.filename_prefix = 'from_cli';
    expected['2']!.inputs.blur_radius = 3;
    expect(sent).toEqual(expected);

    // The saved output reopens in ComfyUI as the graph, with the values that ran; search finds it.
    const found = await cli(['search', 'from_cli', '--json', '--data', data]);
    const rows = JSON.parse(found.stdout) as { path: string }[];
    const saved = rows.map((r) => readImageMetadata(readFileSync(r.path))).find((m) => m.format === 'png');
    expect(saved).toBeDefined();
    const graph = saved!.workflow as {
      nodes: { id: number; widgets_values: unknown[] }[];
    };
    expect(graph.nodes.find((n) => n.id === 2)!.widgets_values[0]).toBe(3);

    // A title two nodes share is refused, naming both; nothing more is sent.
    const sentBefore = cloud.acceptedCount();
    const twoTitles = read('peer_empty_blur_scale_save_subgraph.workflow.json') as {
      nodes: { id: number; title?: string }[];
    };
    twoTitles.nodes.find((n) => n.id === 1)!.title = 'Step';
    twoTitles.nodes.find((n) => n.id === 2)!.title = 'Step';
    const twoPath = join(data, 'two-titles.json');
    writeFileSync(twoPath, JSON.stringify(twoTitles));
    const ambiguous = await cli(['run', twoPath, '--server', cloud.url, '--data', data, '--set', 'Step.width=3']);
    expect(ambiguous.status).toBe(2);
    expect(ambiguous.stderr).toMatch(/"Step" is the title of 2 nodes \(1, 2\)/);
    expect(cloud.acceptedCount()).toBe(sentBefore);
  }, 90_000);
});

describe('nodes named by id inside a subgraph or by title', () => {
  const prompt = read('peer_empty_blur_scale_save_subgraph.prompt.json') as ApiWorkflow;
  const args = (sweep: string[]) => ({ count: 1, seed: 'fixed' as const, sweep });

  it('a sweep names a node by its id (8:3) or its title (ImageBlur); the axis is its id in the prompt', () => {
    const a = args(['8:3.width=64,96', 'ImageBlur.blur_radius=1..3']);
    const axes = parseSweeps(a.sweep, prompt, {}, a.count, a.seed);
    expect(axes).toEqual([
      { nodeId: '8:3', input: 'width', values: [64, 96] },
      { nodeId: '2', input: 'blur_radius', values: [1, 2, 3] },
    ]);
  });

  it('--set by title, and a title nobody has, are said as such', () => {
    expect(applyInputs(prompt, { 'Upscale Image.crop': 'center' })['8:3']!.inputs.crop).toBe('center');
    expect(() => applyInputs(prompt, { 'No Such Node.width': 1 })).toThrow(/no node No Such Node \(by id or title\)/);
    expect(() => parseSweeps(['No Such Node.width=1,2'], prompt, {}, 1, 'fixed')).toThrow(
      /no node No Such Node \(by id or title\)/,
    );
  });
});
