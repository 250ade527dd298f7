// The command line and the app's own queue, against real fake servers over loopback: a sweep is
// one batch of exactly the product of its values; --servers spreads the runs and says where each
// went; a pause holds a run without holding the command up, and resume sends; the held order and a
// server's window are changed from the command line and kept; and a batch longer than --timeout
// is not cut off while it moves.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobSummary } from '../../../shared/jobs';
import { startFakeCloud, type FakeCloud, type FakeCloudOptions } from '../../fake-cloud/index';
import { useTempDirs } from '../engine/tmp';
import { basicWorkflow } from './cloud-harness';
import { FIXTURES } from './journal-helpers';
import { readImageMetadata } from '../../../electron/engine/workflows/metadata';

const tempDir = useTempDirs();
const WORKFLOW = join(FIXTURES, 'workflows', 'comfyui-basic_api_example.api.json');
/** The checkpoint the workflow loads: a fake local server given it lists it (a spread checks it). */
const CKPT = String((basicWorkflow() as Record<string, { inputs: Record<string, unknown> }>)['4']!.inputs.ckpt_name);

interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

// Asynchronous on purpose: the fake servers live in this process and must keep answering.
function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  // Never the machine's own data folder.
  if (!args.includes('--data')) throw new Error('cli() needs --data');
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, '../../../electron/cli/bin.ts'), ...args],
      { env: { ...process.env, COMFY_API_KEY: '', ...env } },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (status) => resolve({ status, stdout, stderr, ms: Date.now() - started }));
  });
}

const servers: FakeCloud[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function server(options: FakeCloudOptions = {}): Promise<FakeCloud> {
  const s = await startFakeCloud({ stepMs: 2, steps: 2, ...options });
  servers.push(s);
  return s;
}

interface QueueJson {
  paused: boolean;
  servers: { profileId: string; name: string; window: number; defaultWindow: boolean; paused: boolean }[];
  held: { position: number; id: string; batch: { id: string } | null; servers: string[] }[];
}

async function queueJson(data: string): Promise<QueueJson> {
  const listed = await cli(['queue', 'list', '--json', '--data', data]);
  expect(listed.status, listed.stderr).toBe(0);
  return JSON.parse(listed.stdout) as QueueJson;
}

async function jobsJson(data: string): Promise<JobSummary[]> {
  const listed = await cli(['jobs', '--json', '--limit', '100', '--data', data]);
  expect(listed.status, listed.stderr).toBe(0);
  return JSON.parse(listed.stdout) as JobSummary[];
}

/** The ids `run` printed, in the order it printed them. */
const submittedIds = (stdout: string): string[] =>
  (/Submitted \d+ job\(s\): (.*)/.exec(stdout)?.[1] ?? '').split(', ').filter(Boolean);

describe('run --sweep', () => {
  it('a 2×2 sweep is one batch: exactly the product of its values reaches the server, summed up and drawn as a grid', async () => {
    const cloud = await server();
    const data = tempDir();
    const grid = join(data, 'grid.png');
    const result = await cli(
      [
        'run',
        WORKFLOW,
        '--server',
        cloud.url,
        '--sweep',
        '3.cfg=4,6',
        '--sweep',
        '3.seed=1..2',
        '--batch-name',
        'cfg by seed',
        '--grid',
        grid,
        '--data',
        data,
      ],
      { COMFY_API_KEY: cloud.apiKey },
    );
    expect(result.status, result.stderr).toBe(0);
    const ids = submittedIds(result.stdout);
    expect(ids).toHaveLength(4);

    // What the server received: each combination once, nothing else changed.
    const received = cloud.accepted().map((a) => a.prompt['3']!.inputs);
    expect(received.map((i) => [i.cfg, i.seed]).sort()).toEqual([
      [4, 1],
      [4, 2],
      [6, 1],
      [6, 2],
    ]);
    expect(received.every((i) => i.steps === 20 && i.sampler_name === 'euler')).toBe(true);
    expect(new Set(cloud.accepted().map((a) => a.clientJobId))).toEqual(new Set(ids));

    // One batch, in the journal.
    const jobs = await jobsJson(data);
    expect(jobs).toHaveLength(4);
    expect(new Set(jobs.map((j) => j.batchId)).size).toBe(1);
    expect(jobs[0]!.batchId).toBeTruthy();
    expect(jobs.every((j) => j.state === 'completed')).toBe(true);

    // Each job's states as before, then the batch summed up, each combination named.
    for (const id of ids) expect(result.stderr).toContain(`job ${id.slice(0, 8)}: completed`);
    expect(result.stdout).toMatch(/Batch "cfg by seed" \(.+\): a sweep of cfg \(2 values\) × seed \(2 values\)/);
    expect(result.stdout).toContain('Batch "cfg by seed": 4 run(s): 4 completed');
    for (const cell of ['cfg = 4, seed = 1', 'cfg = 4, seed = 2', 'cfg = 6, seed = 1', 'cfg = 6, seed = 2'])
      expect(result.stdout).toContain(`  ${cell}: completed  job `);

    // --grid: the labelled grid, a real PNG, two cells by two plus the labels.
    expect(existsSync(grid)).toBe(true);
    const meta = readImageMetadata(readFileSync(grid));
    expect(meta.format).toBe('png');
    expect(meta.width).toBeGreaterThan(2 * 64);
    expect(result.stdout).toMatch(/Grid \d+×\d+ written to /);
  }, 90_000);
});

describe('run --servers', () => {
  it('spreads the runs over two servers; each job runs once, and the output and the journal say where', async () => {
    const one = await server({ mode: 'local', models: [CKPT], parallel: 1, stepMs: 30, steps: 4 });
    const two = await server({ mode: 'local', models: [CKPT], parallel: 1, stepMs: 30, steps: 4 });
    const data = tempDir();
    const result = await cli([
      'run',
      WORKFLOW,
      '--servers',
      `${one.url},${two.url}`,
      '--kind',
      'local',
      '--count',
      '6',
      '--seed',
      'increment',
      '--batch-name',
      'both',
      '--wait',
      '--data',
      data,
    ]);
    expect(result.status, result.stderr).toBe(0);
    const ids = submittedIds(result.stdout);
    expect(ids).toHaveLength(6);
    expect(one.acceptedCount()).toBeGreaterThan(0);
    expect(two.acceptedCount()).toBeGreaterThan(0);
    expect(one.acceptedCount() + two.acceptedCount()).toBe(6);

    // Both servers named; each job's line names the server that really ran it.
    const nameOne = new URL(one.url).host;
    const nameTwo = new URL(two.url).host;
    expect(result.stdout).toContain(`Spread over ${nameOne}, ${nameTwo}`);
    for (const id of ids) {
      const line = result.stdout.split('\n').find((l) => l.includes(`  ${id}  `));
      const ranOn = one.accepted().some((a) => a.clientJobId === id) ? nameOne : nameTwo;
      expect(line, `the line of job ${id}`).toMatch(
        new RegExp(`${id}\\s+completed\\s+${ranOn.replace(/\./g, '\\.')}$`),
      );
    }
    expect(result.stderr).toMatch(new RegExp(`sending to ${nameTwo.replace(/\./g, '\\.')}`));

    // The journal records it: two servers, one batch.
    const jobs = await jobsJson(data);
    const { servers: profiles } = await queueJson(data);
    const nameOf = (id: string) => profiles.find((p) => p.profileId === id)?.name;
    expect(new Set(jobs.map((j) => nameOf(j.profileId)))).toEqual(new Set([nameOne, nameTwo]));
    for (const job of jobs) {
      const ranOn = one.accepted().some((a) => a.clientJobId === job.id) ? nameOne : nameTwo;
      expect(nameOf(job.profileId)).toBe(ranOn);
    }
    expect(new Set(jobs.map((j) => j.batchId)).size).toBe(1);
  }, 90_000);
});

describe('queue pause, resume, move, window', () => {
  it('paused: run says the job is held and why, exits 0, sends nothing; queue resume sends it', async () => {
    const cloud = await server();
    const data = tempDir();
    const env = { COMFY_API_KEY: cloud.apiKey };
    const paused = await cli(['queue', 'pause', '--data', data]);
    expect(paused.status, paused.stderr).toBe(0);
    expect(paused.stdout).toMatch(/Sending is paused/);

    const held = await cli(['run', WORKFLOW, '--server', cloud.url, '--data', data], env);
    expect(held.status, held.stderr).toBe(0);
    expect(held.stderr).toMatch(
      /job \w{8}: held: sending is paused; it goes when you resume \(comfy-desk queue resume\)/,
    );
    expect(held.stdout).toMatch(/1 job\(s\) held: sending is paused/);
    expect(held.ms).toBeLessThan(15_000);
    const [id] = submittedIds(held.stdout);
    expect(cloud.acceptedCount()).toBe(0);
    expect(cloud.requests.filter((r) => r.method === 'POST')).toHaveLength(0);

    const listed = await queueJson(data);
    expect(listed.paused).toBe(true);
    expect(listed.held.map((h) => h.id)).toEqual([id]);

    const resumed = await cli(['queue', 'resume', '--data', data], env);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/Sending resumed\.\nSent 1 job\(s\)/);
    expect(cloud.accepted().map((a) => a.clientJobId)).toEqual([id]);
    expect((await queueJson(data)).held).toEqual([]);

    // One server paused: the same, said of that server, and resumed by name.
    const name = new URL(cloud.url).host;
    expect((await cli(['queue', 'pause', '--server', cloud.url, '--data', data])).status).toBe(0);
    const heldThere = await cli(['run', WORKFLOW, '--server', cloud.url, '--data', data], env);
    expect(heldThere.status, heldThere.stderr).toBe(0);
    expect(heldThere.stderr).toContain(
      `held: sending to ${name} is paused; it goes when you resume it (comfy-desk queue resume --server ${name})`,
    );
    expect(cloud.acceptedCount()).toBe(1);
    const again = await cli(['queue', 'resume', '--server', name, '--data', data], env);
    expect(again.status, again.stderr).toBe(0);
    expect(cloud.acceptedCount()).toBe(2);
  }, 90_000);

  it('queue move reorders held jobs (queue list --json shows it); queue window is kept', async () => {
    const cloud = await server();
    const data = tempDir();
    const env = { COMFY_API_KEY: cloud.apiKey };
    expect((await cli(['queue', 'pause', '--data', data])).status).toBe(0);
    const run = await cli(['run', WORKFLOW, '--server', cloud.url, '--count', '3', '--data', data], env);
    expect(run.status, run.stderr).toBe(0);
    const [a, b, c] = submittedIds(run.stdout) as [string, string, string];
    const order = async () => (await queueJson(data)).held.map((h) => h.id);
    expect(await order()).toEqual([a, b, c]);

    const front = await cli(['queue', 'move', c, '--front', '--data', data]);
    expect(front.status, front.stderr).toBe(0);
    expect(front.stdout).toMatch(/Moved 1 job\(s\) to the front/);
    expect(await order()).toEqual([c, a, b]);
    // The short ids the other commands print are enough.
    expect((await cli(['queue', 'move', b.slice(0, 8), '--before', c.slice(0, 8), '--data', data])).status).toBe(0);
    expect(await order()).toEqual([b, c, a]);
    expect((await cli(['queue', 'move', b, '--after', a, '--data', data])).status).toBe(0);
    expect(await order()).toEqual([c, a, b]);
    expect((await cli(['queue', 'move', c, '--back', '--data', data])).status).toBe(0);
    expect(await order()).toEqual([a, b, c]);

    const name = new URL(cloud.url).host;
    const set = await cli(['queue', 'window', '--server', cloud.url, '3', '--data', data]);
    expect(set.status, set.stderr).toBe(0);
    expect(set.stdout).toContain(`${name}: at most 3 of ours on it at once.`);
    const kept = (await queueJson(data)).servers.find((s) => s.name === name)!;
    expect(kept).toMatchObject({ window: 3, defaultWindow: false });
    const text = await cli(['queue', '--data', data]);
    expect(text.stdout).toMatch(new RegExp(`${name.replace(/\./g, '\\.')} \\(cloud\\)\\s+window 3 `));
    expect(text.stdout).toMatch(/Held jobs \(3\), first to go first/);
    expect(text.stdout).toMatch(new RegExp(`1  ${a}`));

    const back = await cli(['queue', 'window', '--server', name, 'default', '--data', data]);
    expect(back.status, back.stderr).toBe(0);
    expect((await queueJson(data)).servers.find((s) => s.name === name)).toMatchObject({
      window: 4,
      defaultWindow: true,
    });
    // Nothing was sent by any of this.
    expect(cloud.acceptedCount()).toBe(0);
  }, 90_000);
});

describe('run and the window', () => {
  it('six jobs on a local server with a window of 2 and --timeout 5: never more than 2 on it, all done although it takes longer', async () => {
    const gpu = await server({ mode: 'local', parallel: 1, stepMs: 80, steps: 10 });
    const data = tempDir();
    let most = 0;
    const sample = setInterval(() => {
      const on = gpu.accepted().filter((a) => a.status === 'pending' || a.status === 'in_progress').length;
      most = Math.max(most, on);
    }, 20);
    const result = await cli([
      'run',
      WORKFLOW,
      '--server',
      gpu.url,
      '--kind',
      'local',
      '--count',
      '6',
      '--seed',
      'increment',
      '--wait',
      '--timeout',
      '5',
      '--data',
      data,
    ]).finally(() => clearInterval(sample));
    expect(result.status, result.stderr).toBe(0);
    expect(result.ms).toBeGreaterThan(5_000);
    expect(result.stderr).not.toMatch(/Gave up/);
    expect(result.stderr).toMatch(/held: waiting for a place on 127\.0\.0\.1:\d+ \(at most 2 of ours at once\)/);
    expect(most).toBeLessThanOrEqual(2);
    expect(gpu.acceptedCount()).toBe(6);
    expect(new Set(gpu.accepted().map((a) => a.clientJobId)).size).toBe(6);
    expect((await jobsJson(data)).map((j) => j.state)).toEqual(Array(6).fill('completed'));
  }, 90_000);

  it('--timeout counts time without progress: jobs waiting to retry do not cut off a batch that keeps moving', async () => {
    // About 1.4 s a job, one at a time, four of ours on it at once (Cloud's window).
    const cloud = await server({ stepMs: 100, steps: 8 });
    const data = tempDir();
    // Once four are on the server, the next two sends are refused (503): the jobs still held then
    // wait to retry, for longer than --timeout, while the four before them run and finish.
    const watch = setInterval(() => {
      if (cloud.acceptedCount() < 4) return;
      clearInterval(watch);
      cloud.fault({ method: 'POST', path: '/prompt', status: 503, times: 2 });
    }, 5);
    const result = await cli(
      [
        'run',
        WORKFLOW,
        '--server',
        cloud.url,
        '--count',
        '8',
        '--seed',
        'increment',
        '--wait',
        '--timeout',
        '2',
        '--data',
        data,
      ],
      { COMFY_API_KEY: cloud.apiKey },
    ).finally(() => clearInterval(watch));
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/waiting to retry: The server had a problem \(503\)/);
    expect(result.stderr).not.toMatch(/Gave up/);
    expect(cloud.acceptedCount()).toBe(8);
    expect(new Set(cloud.accepted().map((a) => a.clientJobId)).size).toBe(8);
  }, 90_000);
});
