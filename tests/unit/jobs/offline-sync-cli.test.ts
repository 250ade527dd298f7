// Offline submission then reconnection, importing the account's other jobs, binary preview
// frames of every type, and the command line — all against the fake cloud over loopback.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { decodeBinaryFrame, type DecodedFrame } from '../../../shared/comfy-frames';
import { startFakeCloud, type FakeCloud } from '../../fake-cloud/index';
import { useTempDirs } from '../engine/tmp';
import { basicWorkflow, openEngine, waitFor } from './cloud-harness';
import { FIXTURES } from './journal-helpers';
import type { Engine } from '../../../electron/engine/engine';
import { readImageMetadata } from '../../../electron/engine/workflows/metadata';

const tempDir = useTempDirs();

// Asynchronous on purpose: the fake cloud lives in this process and must keep answering.
const cli = (args: string[], env: Record<string, string> = {}) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, '../../../electron/cli/bin.ts'), ...args],
      {
        env: { ...process.env, ...env },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('offline and reconnection', () => {
  it('a job submitted while the server is down waits in the outbox and runs when it is back', async () => {
    const port = await freePort();
    const placeholder = {
      url: `http://127.0.0.1:${port}`,
      apiKey: 'test-key-0123456789abcdef',
      mode: 'cloud',
    } as FakeCloud;
    const engine = await openEngine(tempDir(), placeholder);
    cleanup.push(() => engine.close());
    const [job] = await engine.handlers['jobs.submit']({ workflow: basicWorkflow(), name: 'offline', count: 1 });
    await waitFor(
      () => engine.jobs.journal.events(job!.id).some((e) => e.cause?.includes('Cannot reach')),
      'a failed attempt',
    );
    expect(engine.jobs.journal.get(job!.id)!.state).toBe('outbox');

    const cloud = await startFakeCloud({ port, stepMs: 2, steps: 2 });
    cleanup.push(() => cloud.close());
    const done = await waitFor(() => {
      const j = engine.jobs.journal.get(job!.id);
      return j?.state === 'completed' ? j : null;
    }, 'the job to run once the server is back');
    expect(done.promptId).toBeTruthy();
    expect(cloud.acceptedByClientJob().get(job!.id)).toBe(1);
  });

  it('a job in the outbox can be cancelled before it is sent', async () => {
    const port = await freePort();
    const engine = await openEngine(tempDir(), {
      url: `http://127.0.0.1:${port}`,
      apiKey: 'k-12345678',
      mode: 'cloud',
    } as FakeCloud);
    cleanup.push(() => engine.close());
    const [job] = await engine.handlers['jobs.submit']({ workflow: basicWorkflow(), name: 'offline', count: 1 });
    await waitFor(() => engine.jobs.journal.get(job!.id)?.state === 'outbox', 'outbox');
    expect((await engine.handlers['jobs.cancel']({ id: job!.id })).state).toBe('cancelled');
  });
});

describe('sync', () => {
  it('imports jobs that ran in another client, with their outputs, once', async () => {
    const cloud = await startFakeCloud({ stepMs: 2, steps: 2 });
    cleanup.push(() => cloud.close());
    const engine: Engine = await openEngine(tempDir(), cloud);
    cleanup.push(() => engine.close());
    const foreign = await cloud.runForeignJob(basicWorkflow());
    expect((await engine.handlers['sync.run']({})).imported).toBe(1);
    expect((await engine.handlers['sync.run']({})).imported).toBe(0);
    const job = engine.jobs.journal.byPromptId('cloud', foreign)!;
    expect(job.source).toBe('sync');
    expect(job.state).toBe('completed');
    await waitFor(
      () =>
        engine.jobs.journal.outputs(job.id).every((o) => o.state === 'stored') &&
        engine.jobs.journal.outputs(job.id).length > 0,
      'outputs',
    );
    expect(engine.parts.gallery.count({ search: 'masterpiece' })).toBe(1);
  });

  it('with the setting off, imported jobs are listed but their files are not downloaded', async () => {
    const cloud = await startFakeCloud({ stepMs: 2, steps: 2 });
    cleanup.push(() => cloud.close());
    const engine: Engine = await openEngine(tempDir(), cloud);
    cleanup.push(() => engine.close());
    await engine.handlers['settings.set']({ syncDownloads: false });
    const foreign = await cloud.runForeignJob(basicWorkflow());
    expect((await engine.handlers['sync.run']({})).imported).toBe(1);
    const job = engine.jobs.journal.byPromptId('cloud', foreign)!;
    await new Promise((r) => setTimeout(r, 200));
    expect(engine.jobs.journal.outputs(job.id).map((o) => o.state)).toEqual(['remote']);
    expect(cloud.requests.some((r) => r.origin === 'signed')).toBe(false);
  });
});

describe('binary preview frames', () => {
  async function frames(cloud: FakeCloud, flags: boolean): Promise<DecodedFrame[]> {
    const ws = new WebSocket(`${cloud.url.replace('http', 'ws')}/ws?clientId=raw&token=${cloud.apiKey}`);
    const seen: DecodedFrame[] = [];
    ws.on('message', (data, binary) => {
      if (binary) seen.push(decodeBinaryFrame(new Uint8Array(data as Buffer))!);
    });
    await new Promise((r) => ws.once('open', r));
    if (flags) ws.send(JSON.stringify({ type: 'feature_flags', data: { supports_preview_metadata: true } }));
    const res = await fetch(`${cloud.url}/api/prompt`, {
      method: 'POST',
      headers: { 'x-api-key': cloud.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: basicWorkflow(), client_id: 'raw' }),
    });
    const { prompt_id } = (await res.json()) as { prompt_id: string };
    await waitFor(() => cloud.jobStatus(prompt_id) === 'completed', 'run');
    ws.close();
    return seen;
  }

  it('type 1 without feature flags, type 4 (with the prompt_id) after them, type 3 text', async () => {
    const cloud = await startFakeCloud({ stepMs: 2, steps: 3 });
    cleanup.push(() => cloud.close());
    const plain = await frames(cloud, false);
    const images = plain.filter((f) => f.kind === 'image');
    expect(images.length).toBe(3);
    expect(images.every((f) => f.kind === 'image' && f.type === 1 && f.promptId === null)).toBe(true);
    expect(plain.some((f) => f.kind === 'text' && f.nodeId === '5' && f.text.includes('width: 512'))).toBe(true);
    const rich = await frames(cloud, true);
    const typed = rich.filter((f) => f.kind === 'image');
    expect(
      typed.every((f) => f.kind === 'image' && f.type === 4 && f.promptId !== null && f.mime === 'image/png'),
    ).toBe(true);
    // The decoded preview bytes are a real PNG.
    const first = typed[0];
    expect(first?.kind === 'image' && readImageMetadata(first.image).format).toBe('png');
    expect(decodeBinaryFrame(new Uint8Array([0, 0, 0, 9, 0, 0, 0, 0]))).toBeNull();
    expect(decodeBinaryFrame(new Uint8Array([0, 0, 0, 4, 0, 0, 0, 99, 1]))).toBeNull();
  });
});

describe('the command line', () => {
  it('runs a workflow with --set, waits, copies outputs; lists jobs; exit codes a script can rely on', async () => {
    const cloud = await startFakeCloud({ stepMs: 2, steps: 2 });
    cleanup.push(() => cloud.close());
    const data = tempDir();
    const out = join(tempDir(), 'renders');
    const workflow = join(FIXTURES, 'workflows', 'comfyui-basic_api_example.api.json');
    const env = { COMFY_API_KEY: cloud.apiKey };
    const ok = await cli(
      [
        'run',
        workflow,
        '--server',
        cloud.url,
        '--set',
        '3.seed=42',
        '--count',
        '2',
        '--seed',
        'increment',
        '--out',
        out,
        '--data',
        data,
      ],
      env,
    );
    expect(ok.stderr + ok.stdout).toContain('Submitted 2 job(s)');
    expect(ok.status).toBe(0);
    const files = readdirSync(out);
    expect(files).toHaveLength(2);
    const seeds = files
      .map(
        (f) =>
          (readImageMetadata(readFileSync(join(out, f))).prompt as Record<string, { inputs: { seed: number } }>)['3']!
            .inputs.seed,
      )
      .sort();
    expect(seeds).toEqual([42, 43]);

    const list = await cli(['jobs', '--json', '--data', data]);
    expect(list.status).toBe(0);
    expect((JSON.parse(list.stdout) as { state: string }[]).map((j) => j.state)).toEqual(['completed', 'completed']);

    const failing = JSON.parse(readFileSync(workflow, 'utf8')) as Record<string, { inputs: Record<string, unknown> }>;
    failing['9']!.inputs.filename_prefix = 'FAIL';
    const failingPath = join(data, 'failing.json');
    writeFileSync(failingPath, JSON.stringify(failing));
    const failed = await cli(['run', failingPath, '--server', cloud.url, '--wait', '--data', data], env);
    expect(failed.status).toBe(1);
    expect(failed.stderr).toMatch(/failed at node 9 .*SaveImage.* RuntimeError: Simulated failure/);

    const usage = await cli(['run', '--data', data]);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('Usage:');
    // A workflow saved from ComfyUI's editor is converted with the server's nodes; one that uses a
    // node type the server lacks is refused before anything is sent, naming it.
    const graph = JSON.parse(
      readFileSync(join(FIXTURES, 'workflows', 'fofr-sd15_text2img_not_api_version.json'), 'utf8'),
    ) as { nodes: { id: number; type: string }[] };
    graph.nodes.find((n) => n.id === 8)!.type = 'FancyDecoderFromAPack';
    const graphPath = join(data, 'custom-node.json');
    writeFileSync(graphPath, JSON.stringify(graph));
    const sentBefore = cloud.acceptedCount();
    const ui = await cli(['run', graphPath, '--server', cloud.url, '--data', data], env);
    expect(ui.status).toBe(2);
    expect(ui.stderr).toMatch(/FancyDecoderFromAPack .*node 8/);
    expect(cloud.acceptedCount()).toBe(sentBefore);
  }, 90_000);
});

describe('the command line for what goes into a job', () => {
  it('check names node and input, offline too; import and search; run --image/--mask uploads', async () => {
    const cloud = await startFakeCloud({ stepMs: 2, steps: 2 });
    cleanup.push(() => cloud.close());
    const data = tempDir();
    const env = { COMFY_API_KEY: cloud.apiKey };
    const bad = JSON.parse(
      readFileSync(join(FIXTURES, 'workflows', 'comfyui-basic_api_example.api.json'), 'utf8'),
    ) as Record<string, { inputs: Record<string, unknown> }>;
    bad['3']!.inputs.steps = 0;
    bad['3']!.inputs.sampler_name = 'nope';
    const badPath = join(data, 'bad.json');
    writeFileSync(badPath, JSON.stringify(bad));
    const checked = await cli(['check', badPath, '--server', cloud.url, '--data', data], env);
    expect(checked.status).toBe(1);
    expect(checked.stdout).toMatch(/node 3 \(KSampler\) input steps: 0 is below the minimum 1/);
    expect(checked.stdout).toMatch(/node 3 \(KSampler\) input sampler_name: "nope" is not one of/);
    await cloud.close();
    // Offline: the node definitions cached by the first check still answer.
    const offline = await cli(
      [
        'check',
        join(FIXTURES, 'workflows', 'comfyui-basic_api_example.api.json'),
        '--server',
        cloud.url,
        '--data',
        data,
      ],
      env,
    );
    expect(offline.stdout).toContain('No problems found.');
    expect(offline.status).toBe(0);

    const folder = join(tempDir(), 'outputs');
    mkdirSync(folder);
    copyFileSync(join(FIXTURES, 'comfyui-png', 'flux__flux_dev_example.png'), join(folder, 'flux.png'));
    writeFileSync(join(folder, 'broken.png'), 'not really');
    const imported = await cli(['import', folder, '--data', data]);
    expect(imported.stdout).toContain('Added 1, skipped 0 already known, 1 unreadable.');
    const found = await cli(['search', 'UNETLoader', '--json', '--data', data]);
    const rows = JSON.parse(found.stdout) as { path: string; source: string }[];
    expect(rows).toHaveLength(1);
    expect(rows[0]!.source).toBe('import');
    expect(readImageMetadata(readFileSync(rows[0]!.path)).width).toBe(1024);
  }, 90_000);

  it('run --image and --mask upload, wire the node, and reuse on the next run', async () => {
    const cloud = await startFakeCloud({ stepMs: 2, steps: 2 });
    cleanup.push(() => cloud.close());
    const data = tempDir();
    const env = { COMFY_API_KEY: cloud.apiKey };
    const wf = {
      '1': { class_type: 'LoadImage', inputs: { image: 'placeholder.png' } },
      '2': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } },
    };
    const wfPath = join(data, 'load.json');
    writeFileSync(wfPath, JSON.stringify(wf));
    const image = join(FIXTURES, 'comfyui-png', 'controlnet__input_scribble_example.png');
    const mask = join(data, 'mask.png');
    writeFileSync(mask, (await import('../../fake-cloud/png')).makePng(512, 512, 3));
    const args = [
      'run',
      wfPath,
      '--server',
      cloud.url,
      '--image',
      `1=${image}`,
      '--mask',
      `1=${mask}`,
      '--wait',
      '--data',
      data,
    ];
    const first = await cli(args, env);
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/Image controlnet__input_scribble_example.png → node 1: uploaded/);
    expect(first.stdout).toMatch(/Mask mask.png → node 1: uploaded/);
    const second = await cli(args, env);
    expect(second.status).toBe(0);
    expect(second.stdout).toMatch(/Image .* already on the server/);
    expect(cloud.requests.filter((r) => r.url.endsWith('/upload/image'))).toHaveLength(1);
    const maskUpload = cloud.requests.filter((r) => r.url.endsWith('/upload/mask'));
    expect(maskUpload).toHaveLength(1);
  }, 90_000);
});
