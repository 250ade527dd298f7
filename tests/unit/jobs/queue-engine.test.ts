// The app's own queue against real fake servers over loopback: windows, pauses across a restart,
// the held order, sweeps, batches retried, spreading over two servers by what each has, a server
// dropping out mid-batch, and a restart with jobs in every state. Nothing runs twice.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../../electron/engine/engine';
import { startFakeCloud, type FakeCloud } from '../../fake-cloud/index';
import { useTempDirs } from '../engine/tmp';
import { basicWorkflow, collect, openEngine, waitFor } from './cloud-harness';
import { FIXTURES } from './journal-helpers';

const tempDir = useTempDirs();
const clouds: FakeCloud[] = [];
const engines: Engine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.close().catch(() => undefined);
  for (const c of clouds.splice(0)) await c.close();
});

/** The checkpoint the basic workflow loads: a fake server given it lists it in object_info. */
const CKPT = String((basicWorkflow() as Record<string, { inputs: Record<string, unknown> }>)['4']!.inputs.ckpt_name);

async function localServer(extra: Parameters<typeof startFakeCloud>[0] = {}): Promise<FakeCloud> {
  const cloud = await startFakeCloud({ mode: 'local', stepMs: 10, steps: 3, models: [CKPT], ...extra });
  clouds.push(cloud);
  return cloud;
}

async function open(dir: string, cloud: FakeCloud): Promise<Engine> {
  const engine = await openEngine(dir, cloud);
  engines.push(engine);
  return engine;
}

function addServer(engine: Engine, cloud: FakeCloud, name: string): string {
  return engine.settings.saveProfile({ name, kind: 'local', url: cloud.url }).id;
}

const submit = (engine: Engine, input: Record<string, unknown> = {}) =>
  engine.handlers['jobs.submit']({ workflow: basicWorkflow(), name: 'basic', ...input });

function allDone(engine: Engine, ids: string[]): boolean {
  return ids.every((id) => engine.jobs.journal.get(id)?.state === 'completed');
}

/** Ours on a fake server right now: accepted and not finished. */
const onServer = (cloud: FakeCloud) =>
  cloud.accepted().filter((a) => a.status === 'pending' || a.status === 'in_progress').length;

function expectEachOnce(servers: FakeCloud[], ids: string[]): void {
  const seen = new Map<string, number>();
  for (const s of servers)
    for (const a of s.accepted()) if (a.clientJobId) seen.set(a.clientJobId, (seen.get(a.clientJobId) ?? 0) + 1);
  for (const id of ids) expect(seen.get(id), `job ${id} accepted once`).toBe(1);
}

describe('the window', () => {
  it('never puts more of ours on a server than its window, and sends the rest as places free', async () => {
    const gpu = await localServer({ parallel: 1, stepMs: 20 });
    const engine = await open(tempDir(), gpu);
    engine.handlers['queue.setWindow']({ profileId: 'local', window: 2 });
    const finished = collect(engine, 'job.finished');
    const jobs = await submit(engine, { count: 6, seed: 'increment' });
    let most = 0;
    await waitFor(
      () => {
        most = Math.max(most, onServer(gpu));
        return allDone(
          engine,
          jobs.map((j) => j.id),
        );
      },
      'the six runs',
      30_000,
    );
    expect(most).toBe(2);
    expectEachOnce(
      [gpu],
      jobs.map((j) => j.id),
    );
    // The queue said so while it happened, and is empty now.
    expect(engine.jobs.queueState().servers.find((s) => s.profileId === 'local')).toMatchObject({
      window: 2,
      inFlight: 0,
      held: 0,
    });
    // A batch tells the person once, when it is done, not once per run.
    await waitFor(() => finished.length > 0, 'the notification');
    await new Promise((r) => setTimeout(r, 100));
    expect(finished).toEqual([
      expect.objectContaining({ title: 'basic × 6: done', body: '6 of 6 completed', state: 'completed' }),
    ]);
  });
});

describe('pause, resume and order', () => {
  it('paused, nothing is sent, across a restart; the held order set by the person is the order sent', async () => {
    const gpu = await localServer();
    const dir = tempDir();
    const engine = await open(dir, gpu);
    engine.handlers['queue.setWindow']({ profileId: 'local', window: 1 });
    engine.handlers['queue.pause']({});
    const [a] = await submit(engine, { name: 'a' });
    const [b] = await submit(engine, { name: 'b' });
    const [c] = await submit(engine, { name: 'c' });
    engine.handlers['queue.move']({ ids: [c!.id], to: 'front' });
    engine.handlers['queue.move']({ ids: [a!.id], to: 'after', anchor: b!.id });
    await new Promise((r) => setTimeout(r, 300));
    expect(gpu.acceptedCount()).toBe(0);
    await engine.close();

    const again = await open(dir, gpu);
    expect((await again.handlers['queue.state']()).paused).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(gpu.acceptedCount()).toBe(0);
    expect(again.jobs.queue.held().map((h) => h.id)).toEqual([c!.id, b!.id, a!.id]);
    again.handlers['queue.resume']({});
    await waitFor(() => allDone(again, [a!.id, b!.id, c!.id]), 'the three runs', 20_000);
    expect(gpu.accepted().map((x) => x.clientJobId)).toEqual([c!.id, b!.id, a!.id]);
  });

  it('one server paused holds only its jobs; a paused batch holds only its own', async () => {
    const one = await localServer();
    const two = await localServer();
    const engine = await open(tempDir(), one);
    const twoId = addServer(engine, two, 'Two');
    engine.handlers['queue.pause']({ profileId: 'local' });
    const onOne = await submit(engine);
    const onTwo = await submit(engine, { profileId: twoId, count: 2 });
    const batchId = onTwo[0]!.batchId!;
    engine.handlers['batches.pause']({ id: batchId });
    const alone = await submit(engine, { profileId: twoId });
    await waitFor(() => allDone(engine, [alone[0]!.id]), 'the job on the running server');
    expect(one.acceptedCount()).toBe(0);
    expect(two.acceptedCount()).toBe(1);
    expect(engine.jobs.queueState().servers.find((s) => s.profileId === 'local')).toMatchObject({
      paused: true,
      held: 1,
    });
    engine.handlers['batches.resume']({ id: batchId });
    engine.handlers['queue.resume']({ profileId: 'local' });
    await waitFor(
      () =>
        allDone(
          engine,
          [...onOne, ...onTwo].map((j) => j.id),
        ),
      'the rest',
    );
    expect((await engine.handlers['batches.get']({ id: batchId })).batch).toMatchObject({
      progress: 1,
      remainingMs: 0,
      counts: { completed: 2 },
    });
  });
});

describe('sweeps and batches', () => {
  it('a sweep is one batch whose runs are exactly the product of its values, shown as a grid', async () => {
    const gpu = await localServer();
    const engine = await open(tempDir(), gpu);
    const jobs = await submit(engine, {
      sweep: [
        { nodeId: '3', input: 'cfg', values: [4, 6, 8] },
        { nodeId: '3', input: 'seed', values: [1, 2] },
      ],
      batchName: 'cfg × seed',
      batchColor: '#3366ff',
    });
    expect(jobs).toHaveLength(6);
    await waitFor(
      () =>
        allDone(
          engine,
          jobs.map((j) => j.id),
        ),
      'the sweep',
      30_000,
    );
    const sent = gpu.accepted().map((a) => `${a.prompt['3']!.inputs.cfg}/${a.prompt['3']!.inputs.seed}`);
    expect(sent.sort()).toEqual(['4/1', '4/2', '6/1', '6/2', '8/1', '8/2']);
    const detail = await engine.handlers['batches.get']({ id: jobs[0]!.batchId! });
    expect(detail.batch).toMatchObject({
      name: 'cfg × seed',
      color: '#3366ff',
      kind: 'sweep',
      counts: { total: 6, completed: 6 },
    });
    await waitFor(() => engine.jobs.queue.cells(jobs[0]!.batchId!).every((c) => c.hash), 'every cell image');
    const cells = engine.jobs.queue.cells(jobs[0]!.batchId!);
    expect(cells.map((c) => `${c.row},${c.col}`).sort()).toEqual(['0,0', '0,1', '1,0', '1,1', '2,0', '2,1']);
    // Each cell is the run with its point's values.
    for (const cell of cells) {
      const prompt = engine.jobs.journal.get(cell.jobId)!.prompt as Record<string, { inputs: Record<string, unknown> }>;
      expect([prompt['3']!.inputs.cfg, prompt['3']!.inputs.seed]).toEqual([[4, 6, 8][cell.row], [1, 2][cell.col]]);
    }
    const grid = await engine.handlers['batches.grid']({ id: jobs[0]!.batchId! });
    expect(grid.width).toBeGreaterThan(2 * 64);
    const file = await engine.jobs.store.locate(grid.hash);
    expect(file).not.toBeNull();
  });

  it('a sweep larger than 1,000 runs, or of a node the workflow lacks, is refused before anything is journaled', async () => {
    const gpu = await localServer();
    const engine = await open(tempDir(), gpu);
    const before = (await engine.handlers['jobs.list']({})).items.length;
    expect(() =>
      submit(engine, {
        count: 2,
        sweep: [{ nodeId: '3', input: 'seed', values: Array.from({ length: 501 }, (_, i) => i) }],
      }),
    ).toThrow(/1002 runs; at most 1000/);
    expect(() => submit(engine, { sweep: [{ nodeId: '99', input: 'cfg', values: [1] }] })).toThrow(/no node 99/);
    expect((await engine.handlers['jobs.list']({})).items).toHaveLength(before);
  });

  it('retry failed runs the failed ones again in the batch, which then counts them done', async () => {
    const gpu = await localServer();
    const engine = await open(tempDir(), gpu);
    engine.handlers['queue.setWindow']({ profileId: 'local', window: 1 });
    // The server refuses the second workflow it is sent (a 400 with node errors is final).
    gpu.fault({ method: 'POST', path: '/prompt', status: 400, times: 1 });
    const jobs = await submit(engine, { count: 3, seed: 'increment' });
    const batchId = jobs[0]!.batchId!;
    await waitFor(
      () =>
        engine.jobs.queue.mustBatch(batchId).counts.held === 0 &&
        engine.jobs.queue.mustBatch(batchId).counts.active === 0,
      'the batch to end',
    );
    expect(engine.jobs.queue.mustBatch(batchId).counts).toMatchObject({ failed: 1, completed: 2 });
    engine.handlers['batches.retryFailed']({ id: batchId });
    await waitFor(() => engine.jobs.queue.mustBatch(batchId).counts.completed === 3, 'the retried run');
    expect(engine.jobs.queue.mustBatch(batchId).counts).toMatchObject({ total: 3, failed: 0, completed: 3 });
    // The failed run stays in the journal as it was, pointing at the run that replaced it.
    const failed = jobs.map((j) => engine.jobs.journal.get(j.id)!).filter((j) => j.state === 'failed');
    expect(failed).toHaveLength(1);
    expect(engine.jobs.journal.get(failed[0]!.replacedBy!)).toMatchObject({ state: 'completed', batchId });
    expect(() => engine.handlers['batches.retryFailed']({ id: batchId })).toThrow(/No run of this batch failed/);
  });
});

describe('several servers', () => {
  it('a batch spread over two servers runs on both, each job once, and the journal says where', async () => {
    const one = await localServer({ parallel: 2 });
    const two = await localServer({ parallel: 2 });
    const engine = await open(tempDir(), one);
    const twoId = addServer(engine, two, 'Two');
    const jobs = await submit(engine, { count: 8, seed: 'increment', profileIds: ['local', twoId] });
    expect(jobs[0]!.route).toEqual(['local', twoId]);
    await waitFor(
      () =>
        allDone(
          engine,
          jobs.map((j) => j.id),
        ),
      'the spread batch',
      30_000,
    );
    expectEachOnce(
      [one, two],
      jobs.map((j) => j.id),
    );
    expect(one.acceptedCount()).toBeGreaterThan(0);
    expect(two.acceptedCount()).toBeGreaterThan(0);
    for (const job of jobs) {
      const ranOn = engine.jobs.journal.get(job.id)!.profileId;
      const server = ranOn === 'local' ? one : two;
      expect(server.accepted().some((a) => a.clientJobId === job.id)).toBe(true);
    }
  });

  it('switching the active server keeps every connection: a spread does not lose its servers', async () => {
    const one = await localServer();
    const two = await localServer();
    const engine = await open(tempDir(), one);
    const twoId = addServer(engine, two, 'Two');
    engine.jobs.session(twoId);
    await waitFor(
      () => engine.jobs.socketStateOf(twoId) === 'open' && engine.jobs.socketStateOf('local') === 'open',
      'both connected',
    );
    const seen = new Set<string>();
    const watch = setInterval(
      () => seen.add(`${engine.jobs.socketStateOf('local')}/${engine.jobs.socketStateOf(twoId)}`),
      5,
    );
    await engine.invoke('settings.set', { activeProfileId: twoId });
    await engine.invoke('settings.set', { activeProfileId: 'local' });
    await new Promise((r) => setTimeout(r, 300));
    clearInterval(watch);
    expect([...seen]).toEqual(['open/open']);
  });

  it('goes only where its model is; none anywhere, it says so and waits', async () => {
    const has = await localServer();
    const lacks = await localServer({ models: ['something-else.safetensors'] });
    const engine = await open(tempDir(), lacks);
    const hasId = addServer(engine, has, 'Has it');
    const jobs = await submit(engine, { count: 4, seed: 'increment', profileIds: [hasId] });
    await waitFor(
      () =>
        allDone(
          engine,
          jobs.map((j) => j.id),
        ),
      'the runs',
      30_000,
    );
    expect(lacks.acceptedCount()).toBe(0);
    expect(has.acceptedCount()).toBe(4);

    const workflow = basicWorkflow() as Record<string, { inputs: Record<string, unknown> }>;
    workflow['4']!.inputs.ckpt_name = 'nowhere.safetensors';
    const [stuck] = await engine.handlers['jobs.submit']({ workflow, name: 'nowhere', profileIds: [hasId] });
    const waiting = await waitFor(() => engine.jobs.journal.get(stuck!.id)!.waiting, 'the reason it waits');
    expect(waiting.message).toMatch(/None of the servers/);
    expect(engine.jobs.journal.get(stuck!.id)!.state).toBe('outbox');
  });

  it('a server dropping out mid-batch: its held jobs go to the other; the one on it is reconciled when it returns, never run twice', async () => {
    const one = await localServer({ stepMs: 40 });
    const two = await localServer({ stepMs: 40 });
    const engine = await open(tempDir(), one);
    const twoId = addServer(engine, two, 'Two');
    engine.handlers['queue.setWindow']({ profileId: 'local', window: 1 });
    engine.handlers['queue.setWindow']({ profileId: twoId, window: 1 });
    const jobs = await submit(engine, { count: 6, seed: 'increment', profileIds: ['local', twoId] });
    await waitFor(() => two.acceptedCount() === 1, 'a job on the second server');
    // The second server goes away: its socket and its HTTP.
    two.refuseWebSockets(true);
    two.dropWebSockets();
    two.fault({ path: '/', dropConnection: true, times: 1_000_000 });
    await waitFor(() => one.acceptedCount() >= 4, 'the held jobs to go to the first server', 30_000);
    expect(two.acceptedCount()).toBe(1);
    // It comes back: the job it had is read from it, not sent again.
    two.clearFaults();
    two.refuseWebSockets(false);
    await waitFor(
      () =>
        allDone(
          engine,
          jobs.map((j) => j.id),
        ),
      'the whole batch',
      30_000,
    );
    expectEachOnce(
      [one, two],
      jobs.map((j) => j.id),
    );
  });
});

describe('input images on another server', () => {
  it('an image uploaded to one server is uploaded to the server the job goes to first, once, and the prompt names it there', async () => {
    const first = await localServer();
    const second = await localServer();
    const engine = await open(tempDir(), first);
    const secondId = addServer(engine, second, 'Second');
    const png = readFileSync(join(FIXTURES, 'comfyui-png', 'img2img__img2img_workflow.png'));
    const uploaded = await engine.handlers['uploads.image']({
      profileId: 'local',
      name: 'photo.png',
      data: png.toString('base64'),
      kind: 'image',
    });
    const workflow = {
      '1': { class_type: 'LoadImage', inputs: { image: uploaded.name } },
      '2': { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
      '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'inv' } },
    };
    const uploadsTo = (cloud: FakeCloud) =>
      cloud.requests.filter((r) => r.method === 'POST' && r.url.includes('/upload/image')).length;
    expect(uploadsTo(first)).toBe(1);
    const [a] = await engine.handlers['jobs.submit']({ workflow, name: 'invert', profileId: secondId });
    const [b] = await engine.handlers['jobs.submit']({ workflow, name: 'invert', profileId: secondId });
    await waitFor(() => allDone(engine, [a!.id, b!.id]), 'both runs on the second server', 20_000);
    // The bytes went up once to the second server; both prompts there name the file it has.
    expect(uploadsTo(second)).toBe(1);
    expect(second.acceptedCount()).toBe(2);
    const names = second.accepted().map((x) => x.prompt['1']!.inputs.image);
    expect(new Set(names).size).toBe(1);
    expect(engine.jobs.journal.get(a!.id)!.prompt).toMatchObject({ '1': { inputs: { image: names[0] } } });
    expect(engine.jobs.journal.events(a!.id).some((e) => e.type === 'prompt')).toBe(true);
  });
});

describe('restart', () => {
  it('closed with jobs held, being sent, queued and running, reopened: every job runs exactly once', async () => {
    const gpu = await localServer({ parallel: 1, stepMs: 30 });
    const dir = tempDir();
    const engine = await open(dir, gpu);
    engine.handlers['queue.setWindow']({ profileId: 'local', window: 2 });
    const jobs = await submit(engine, { count: 5, seed: 'increment' });
    await waitFor(
      () => gpu.accepted().some((a) => a.status === 'in_progress') && onServer(gpu) === 2,
      'one running, one queued',
    );
    // The next submit's answer comes late: the engine closes not knowing the outcome.
    gpu.fault({ method: 'POST', path: '/prompt', answerDelayMs: 1500 });
    await waitFor(() => gpu.accepted().some((a) => a.status === 'completed'), 'a place to free');
    await waitFor(() => jobs.some((j) => engine.jobs.journal.get(j.id)!.state === 'submitting'), 'a job being sent');
    const states = jobs.map((j) => engine.jobs.journal.get(j.id)!.state);
    expect(states).toContain('outbox');
    expect(states).toContain('submitting');
    await engine.close();

    const again = await open(dir, gpu);
    await waitFor(
      () =>
        allDone(
          again,
          jobs.map((j) => j.id),
        ),
      'every job after the restart',
      30_000,
    );
    expectEachOnce(
      [gpu],
      jobs.map((j) => j.id),
    );
  });
});
