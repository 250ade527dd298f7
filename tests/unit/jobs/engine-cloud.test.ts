// The engine against the fake Comfy Cloud over real loopback HTTP and WebSocket, with a real
// journal and output store on disk: the happy path, every error status, lost connections.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../../electron/engine/engine';
import { readImageMetadata } from '../../../electron/engine/workflows/metadata';
import { startFakeCloud, type FakeCloud } from '../../fake-cloud/index';
import { useTempDirs } from '../engine/tmp';
import { basicWorkflow, collect, openEngine, waitFor } from './cloud-harness';

const tempDir = useTempDirs();
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function setup(
  options: Parameters<typeof startFakeCloud>[0] = {},
): Promise<{ cloud: FakeCloud; engine: Engine; dir: string }> {
  const cloud = await startFakeCloud({ stepMs: 2, steps: 3, ...options });
  cleanup.push(() => cloud.close());
  const dir = tempDir();
  const engine = await openEngine(dir, cloud);
  cleanup.push(() => engine.close());
  return { cloud, engine, dir };
}

function submit(engine: Engine, workflow = basicWorkflow(), count = 1) {
  return engine.handlers['jobs.submit']({ workflow, name: 'basic', count });
}

const final = (engine: Engine, id: string) => {
  const job = engine.jobs.journal.get(id);
  return job && ['completed', 'failed', 'cancelled', 'interrupted'].includes(job.state) ? job : null;
};

const stored = (engine: Engine, id: string) => {
  const outputs = engine.jobs.journal.outputs(id);
  return outputs.length > 0 && outputs.every((o) => o.state === 'stored') ? outputs : null;
};

describe('engine ↔ fake Comfy Cloud', () => {
  it('submits, tracks, downloads through the 302 without the key, and stores real PNGs', async () => {
    const { cloud, engine, dir } = await setup();
    const previews = collect(engine, 'job.preview');
    const [job] = await submit(engine);
    expect(job!.state).toBe('outbox');
    const done = await waitFor(() => final(engine, job!.id), 'job to finish');
    expect(done.state).toBe('completed');
    const outputs = await waitFor(() => stored(engine, job!.id), 'outputs stored');
    for (const output of outputs) {
      const bytes = readFileSync(engine.jobs.store.pathOf(output.hash!));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(output.hash);
      expect(output.mime).toBe('image/png');
      expect(output.width).toBeGreaterThan(0);
      expect(output.hasThumb).toBe(true);
      // The file is the server's real output: its prompt chunk is the workflow we sent.
      expect(Object.keys(readImageMetadata(bytes).prompt ?? {})).toEqual(Object.keys(basicWorkflow()));
    }
    // Signed storage was fetched, and never with the key.
    const signed = cloud.requests.filter((r) => r.origin === 'signed');
    expect(signed.length).toBeGreaterThan(0);
    expect(signed.every((r) => r.headers['x-api-key'] === undefined)).toBe(true);
    // Previews arrived as type 4 frames naming our job (we sent feature_flags first).
    expect(previews.length).toBeGreaterThan(0);
    expect(previews.every((p) => p.jobId === job!.id && p.mime === 'image/png')).toBe(true);
    // The journal tells the whole story, and nothing in it holds the key.
    const states = engine.jobs.journal
      .events(job!.id)
      .filter((e) => e.type === 'state')
      .map((e) => e.state);
    expect(states).toEqual(['outbox', 'submitting', 'pending', 'running', 'completed']);
    expect(cloud.acceptedByClientJob().get(job!.id)).toBe(1);
    expect(engine.integrityCheck().ok).toBe(true);
    const raw = readdirSync(dir)
      .filter((f) => f.startsWith('journal'))
      .map((f) => readFileSync(join(dir, f)).toString('latin1'));
    expect(raw.some((text) => text.includes(cloud.apiKey))).toBe(false);
  });

  it('a local server: our job id is the prompt_id, /view answers 200, no key is sent', async () => {
    const { cloud, engine } = await setup({ mode: 'local' });
    const [job] = await submit(engine);
    await waitFor(() => final(engine, job!.id), 'job to finish');
    await waitFor(() => stored(engine, job!.id), 'outputs stored');
    expect(engine.jobs.journal.get(job!.id)!.promptId).toBe(job!.id);
    expect(cloud.requests.filter((r) => r.origin === 'signed')).toHaveLength(0);
    expect(cloud.requests.every((r) => r.headers['x-api-key'] === undefined)).toBe(true);
  });

  it('a rejected workflow fails with every node error mapped to node and input', async () => {
    const { engine } = await setup();
    const wf = basicWorkflow() as Record<string, { inputs: Record<string, unknown> }>;
    wf['3']!.inputs.steps = 0;
    wf['5']!.inputs.width = 'wide';
    const [job] = await submit(engine, wf);
    const done = await waitFor(() => final(engine, job!.id), 'job to fail');
    expect(done.state).toBe('failed');
    expect(done.error?.kind).toBe('rejected');
    const byNode = Object.fromEntries((done.error?.nodes ?? []).map((n) => [n.nodeId, n]));
    expect(byNode['3']).toMatchObject({
      classType: 'KSampler',
      problems: [{ input: 'steps', type: 'value_smaller_than_min' }],
    });
    expect(byNode['5']?.problems[0]).toMatchObject({ input: 'width', type: 'invalid_input_type' });
  });

  it('a 402 on submit keeps the job in the outbox, saying only the person can fix it', async () => {
    const { cloud, engine } = await setup();
    cloud.fault({ method: 'POST', path: '/prompt', status: 402, times: 5 });
    const [job] = await submit(engine);
    const waiting = await waitFor(() => {
      const j = engine.jobs.journal.get(job!.id);
      return j?.waiting ? j : null;
    }, 'the job to wait');
    expect(waiting.state).toBe('outbox');
    expect(waiting.waiting).toMatchObject({ needsPerson: true });
    expect(waiting.waiting?.message).toMatch(/credits/);
    expect(cloud.acceptedCount()).toBe(0);
  });

  it('a 429 with Retry-After waits as long as the server asked, then the job goes through', async () => {
    const { cloud, engine } = await setup();
    cloud.fault({ method: 'POST', path: '/prompt', status: 429, headers: { 'Retry-After': '1' } });
    const before = Date.now();
    const [job] = await submit(engine);
    const waiting = await waitFor(() => engine.jobs.journal.get(job!.id)?.waiting ?? null, 'the job to wait');
    expect(waiting.needsPerson).toBe(false);
    expect(waiting.message).toMatch(/429/);
    expect(waiting.retryAt).toBeGreaterThanOrEqual(before + 1000);
    const done = await waitFor(() => final(engine, job!.id), 'job to complete');
    expect(done.state).toBe('completed');
    expect(done.waiting).toBeNull();
    const posts = cloud.requests.filter((r) => r.method === 'POST' && r.url.startsWith('/api/prompt'));
    expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(1000);
  });

  it('503s and HTML keep the job in the outbox until the server is back; it is sent exactly once', async () => {
    const { cloud, engine } = await setup();
    cloud.fault({ method: 'POST', path: '/prompt', status: 503, times: 2 });
    cloud.fault({ method: 'POST', path: '/prompt', status: 500 });
    const [job] = await submit(engine);
    await waitFor(() => final(engine, job!.id), 'job to finish');
    expect(engine.jobs.journal.get(job!.id)!.state).toBe('completed');
    expect(cloud.acceptedByClientJob().get(job!.id)).toBe(1);
    const causes = engine.jobs.journal.events(job!.id).map((e) => e.cause ?? '');
    expect(causes.filter((c) => c.includes('503')).length).toBe(2);
  });

  it('an HTML page instead of JSON fails with a clear message', async () => {
    const { cloud, engine } = await setup();
    cloud.fault({ method: 'POST', path: '/prompt', html: true });
    const [job] = await submit(engine);
    const done = await waitFor(() => final(engine, job!.id), 'job to fail');
    expect(done.error?.message).toMatch(/web page instead of data/);
  });

  it('a 401 keeps jobs waiting; setting the right key sends them', async () => {
    const cloud = await startFakeCloud({ stepMs: 2, steps: 2 });
    cleanup.push(() => cloud.close());
    const engine = await openEngine(tempDir(), cloud, { key: 'wrong-key-1234' });
    cleanup.push(() => engine.close());
    const [job] = await submit(engine);
    await waitFor(() => engine.jobs.journal.events(job!.id).some((e) => e.cause?.includes('401')), 'a 401');
    expect(engine.jobs.journal.get(job!.id)!.state).toBe('outbox');
    await engine.handlers['key.set']({ profileId: 'cloud', key: cloud.apiKey });
    engine.jobs.service.serverReachable('cloud');
    const done = await waitFor(() => final(engine, job!.id), 'job to finish');
    expect(done.state).toBe('completed');
  });

  it('the WebSocket dropped mid-job: completion and outputs still recorded (reconcile)', async () => {
    const { cloud, engine } = await setup({ stepMs: 30, steps: 5 });
    const [job] = await submit(engine);
    await waitFor(() => engine.jobs.journal.get(job!.id)?.state === 'running', 'job running');
    cloud.refuseWebSockets(true);
    cloud.dropWebSockets();
    const done = await waitFor(() => final(engine, job!.id), 'job to finish while the socket is down');
    expect(done.state).toBe('completed');
    await waitFor(() => stored(engine, job!.id), 'outputs stored');
    expect(engine.jobs.journal.events(job!.id).some((e) => e.cause?.startsWith('reconcile'))).toBe(true);
    cloud.refuseWebSockets(false);
  });

  it('a download cut in the middle is retried and stored with the right hash', async () => {
    const { cloud, engine } = await setup();
    cloud.fault({ path: '/signed/', truncateAfterBytes: 100 });
    const [job] = await submit(engine);
    const outputs = await waitFor(() => stored(engine, job!.id), 'outputs stored');
    const bytes = readFileSync(engine.jobs.store.pathOf(outputs[0]!.hash!));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(outputs[0]!.hash);
    expect(readImageMetadata(bytes).width).toBeGreaterThan(0);
  });

  it('a download that keeps failing is marked failed, and is fetched again on the next round', async () => {
    const { cloud, engine } = await setup();
    cloud.fault({ path: '/signed/', status: 503, times: 4 }); // as many as the attempts of one round
    const [job] = await submit(engine);
    await waitFor(() => engine.jobs.journal.outputs(job!.id).some((o) => o.state === 'failed'), 'the output to fail');
    engine.jobs.downloads.resumeAll(); // what a restart or a reconnect does
    const outputs = await waitFor(() => stored(engine, job!.id), 'outputs stored on the next round');
    expect(outputs[0]!.hash).toMatch(/^[a-f0-9]{64}$/);
  });

  it('hostile file names from the server never become paths', async () => {
    const { cloud, engine, dir } = await setup();
    cloud.hostileFilenames(true);
    const [job] = await submit(engine);
    const outputs = await waitFor(() => stored(engine, job!.id), 'outputs stored');
    expect(outputs[0]!.filename).toMatch(/evil|passwd/);
    expect(engine.jobs.store.pathOf(outputs[0]!.hash!).startsWith(join(dir, 'store', 'objects'))).toBe(true);
    expect(readdirSync(join(dir, '..')).some((f) => f.includes('evil'))).toBe(false);
  });

  it('cancel a pending job, interrupt a running one', async () => {
    const { cloud, engine } = await setup({ stepMs: 40, steps: 10 });
    cloud.holdQueue(true);
    const [first, second] = await submit(engine, basicWorkflow(), 2);
    await waitFor(() => engine.jobs.journal.get(second!.id)?.state === 'pending', 'second pending');
    const cancelled = await engine.handlers['jobs.cancel']({ id: second!.id });
    expect(cancelled.state).toBe('cancelled');
    expect(cloud.jobStatus(engine.jobs.journal.get(second!.id)!.promptId!)).toBe('cancelled');
    cloud.holdQueue(false);
    await waitFor(() => engine.jobs.journal.get(first!.id)?.state === 'running', 'first running');
    await engine.handlers['jobs.interrupt']({ id: first!.id });
    const done = await waitFor(() => final(engine, first!.id), 'first interrupted');
    expect(done.state).toBe('interrupted');
  });

  it('a failure at a node names the node, its type and the exception', async () => {
    const { engine } = await setup();
    const wf = basicWorkflow() as Record<string, { inputs: Record<string, unknown> }>;
    wf['9']!.inputs.filename_prefix = 'FAIL_here';
    const [job] = await submit(engine, wf);
    const done = await waitFor(() => final(engine, job!.id), 'job to fail');
    expect(done.error).toMatchObject({
      kind: 'execution',
      nodeId: '9',
      nodeType: 'SaveImage',
      exceptionType: 'RuntimeError',
    });
  });
});
