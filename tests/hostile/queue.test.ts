// The queue against servers that misbehave and callers that send nonsense: a server whose node
// definitions are garbage, one that refuses every submit, one that asks us to wait an hour, one
// that never answers; and queue commands with hostile input. The other server keeps working, no
// job runs twice, and the journal stays right.
import { describe, expect } from 'vitest';
import type { Engine } from '../../electron/engine/engine';
import { startFakeCloud, type FakeCloud } from '../fake-cloud/index';
import { basicWorkflow, hostile, journalDump, newTempDir, onCleanup, waitFor } from './harness';
import { openEngine } from '../unit/jobs/cloud-harness';

const CKPT = String((basicWorkflow() as Record<string, { inputs: Record<string, unknown> }>)['4']!.inputs.ckpt_name);

async function server(): Promise<FakeCloud> {
  const cloud = await startFakeCloud({ mode: 'local', stepMs: 5, steps: 2, models: [CKPT] });
  onCleanup(() => cloud.close());
  return cloud;
}

/** An engine whose "local" profile is `good` and which has a second server `bad`. */
async function twoServers(): Promise<{ engine: Engine; good: FakeCloud; bad: FakeCloud; badId: string }> {
  const good = await server();
  const bad = await server();
  const engine = await openEngine(newTempDir(), good);
  onCleanup(() => engine.close());
  const badId = engine.settings.saveProfile({ name: 'Bad', kind: 'local', url: bad.url }).id;
  return { engine, good, bad, badId };
}

async function spread(engine: Engine, badId: string, count: number): Promise<string[]> {
  const jobs = await engine.invoke('jobs.submit', {
    workflow: basicWorkflow(),
    name: 'spread',
    count,
    seed: 'increment',
    profileIds: ['local', badId],
  });
  return jobs.map((j) => j.id);
}

const done = (engine: Engine, ids: string[]) => ids.every((id) => engine.jobs.journal.get(id)?.state === 'completed');

function acceptedOnce(servers: FakeCloud[], ids: string[]): void {
  const counts = new Map<string, number>();
  for (const s of servers)
    for (const a of s.accepted()) if (a.clientJobId) counts.set(a.clientJobId, (counts.get(a.clientJobId) ?? 0) + 1);
  for (const id of ids) expect(counts.get(id)).toBe(1);
}

describe('servers that misbehave under a spread batch', () => {
  hostile(
    'queue',
    "a server's object_info is garbage (numbers where input specs go): it gets no spread job, the other runs them all",
    async () => {
      const { engine, good, bad, badId } = await twoServers();
      bad.fault({
        method: 'GET',
        path: '/object_info',
        body: JSON.stringify({
          CheckpointLoaderSimple: { input: { required: { ckpt_name: 5 } } },
          KSampler: 'no',
          SaveImage: null,
        }),
        times: 1_000_000,
      });
      const ids = await spread(engine, badId, 4);
      await waitFor(() => done(engine, ids), 'the batch on the good server', 20_000);
      expect(bad.acceptedCount()).toBe(0);
      acceptedOnce([good, bad], ids);
    },
  );

  hostile(
    'queue',
    'a server refuses every submit with 503: its jobs move to the other server, none runs twice',
    async () => {
      const { engine, good, bad, badId } = await twoServers();
      bad.fault({ method: 'POST', path: '/prompt', status: 503, times: 1_000_000 });
      const ids = await spread(engine, badId, 6);
      await waitFor(() => done(engine, ids), 'the batch', 30_000);
      expect(bad.acceptedCount()).toBe(0);
      acceptedOnce([good, bad], ids);
      // What it said is journaled on the job it refused, for a person to read.
      const refused = ids.filter((id) =>
        engine.jobs.journal.events(id).some((e) => /temporarily unavailable/i.test(e.cause ?? '')),
      );
      expect(refused.length).toBeGreaterThan(0);
    },
  );

  hostile(
    'queue',
    'a server answers 429 with Retry-After: 3600: nothing more goes there for the hour; the other takes the batch',
    async () => {
      const { engine, good, bad, badId } = await twoServers();
      bad.fault({ method: 'POST', path: '/prompt', status: 429, headers: { 'Retry-After': '3600' }, times: 1 });
      const ids = await spread(engine, badId, 5);
      await waitFor(() => done(engine, ids), 'the batch', 30_000);
      const submitsToBad = bad.requests.filter((r) => r.method === 'POST' && r.url.includes('/prompt')).length;
      expect(submitsToBad).toBe(1);
      acceptedOnce([good, bad], ids);
    },
  );

  hostile(
    'queue',
    'a server never answers a submit: its sender waits alone; the other server runs the rest',
    async () => {
      const { engine, good, bad, badId } = await twoServers();
      bad.fault({ method: 'POST', path: '/prompt', answerDelayMs: 5_000, times: 1 });
      const ids = await spread(engine, badId, 5);
      // One job is with the silent server (sent, no answer): pinned there, looked up before anything else.
      await waitFor(
        () => ids.filter((id) => engine.jobs.journal.get(id)?.state === 'completed').length === 4,
        'four on the good server',
        30_000,
      );
      const stuck = ids.map((id) => engine.jobs.journal.get(id)!).filter((j) => j.state !== 'completed');
      expect(stuck).toHaveLength(1);
      expect(stuck[0]).toMatchObject({ profileId: badId, state: 'submitting' });
      expect(good.accepted().some((a) => a.clientJobId === stuck[0]!.id)).toBe(false);
    },
  );
});

describe('queue commands with hostile input', () => {
  hostile(
    'queue',
    'nonsense ids, windows, anchors and servers: refused with a reason, the journal unchanged',
    async () => {
      const { engine, badId } = await twoServers();
      engine.jobs.queue.setPaused(true);
      const [held] = await engine.invoke('jobs.submit', { workflow: basicWorkflow(), name: 'held' });
      const before = journalDump(engine.journal);
      const refusals: [string, () => Promise<unknown>, RegExp][] = [
        ['window 0', () => engine.invoke('queue.setWindow', { profileId: 'local', window: 0 }), /at least 1/],
        ['window 65', () => engine.invoke('queue.setWindow', { profileId: 'local', window: 65 }), /at most 64/],
        ['window 1.5', () => engine.invoke('queue.setWindow', { profileId: 'local', window: 1.5 }), /whole number/],
        [
          'unknown server',
          () => engine.invoke('queue.setWindow', { profileId: 'nope', window: 2 }),
          /no server profile/,
        ],
        [
          'move to nowhere',
          () => engine.invoke('queue.move', { ids: [held!.id], to: 'sideways' as never }),
          /expected one of/,
        ],
        ['anchor missing', () => engine.invoke('queue.move', { ids: [held!.id], to: 'before' }), /anchor/],
        [
          'anchor not held',
          () => engine.invoke('queue.move', { ids: [held!.id], to: 'after', anchor: 'not-a-job' }),
          /not waiting/,
        ],
        ['ids with SQL', () => engine.invoke('queue.cancel', { ids: ["x' OR 1=1 --"] }), /invalid format/],
        [
          '11,000 ids',
          () => engine.invoke('queue.cancel', { ids: Array.from({ length: 11_000 }, (_, i) => `j${i}`) }),
          /at most 10000/,
        ],
        [
          'route to unknown',
          () => engine.invoke('queue.route', { ids: [held!.id], profileIds: [badId, 'ghost'] }),
          /no server profile "ghost"/,
        ],
        ['route to none', () => engine.invoke('queue.route', { ids: [held!.id], profileIds: [] }), /at least 1/],
        [
          'sweep of nothing',
          () =>
            engine.invoke('jobs.submit', {
              workflow: basicWorkflow(),
              name: 'x',
              sweep: [{ nodeId: '3', input: 'cfg', values: [] }],
            }),
          /at least 1/,
        ],
        [
          'three axes',
          () =>
            engine.invoke('jobs.submit', {
              workflow: basicWorkflow(),
              name: 'x',
              sweep: [1, 2, 3].map(() => ({ nodeId: '3', input: 'cfg', values: [1] })),
            }),
          /at most 2/,
        ],
        [
          'object values',
          () =>
            engine.invoke('jobs.submit', {
              workflow: basicWorkflow(),
              name: 'x',
              sweep: [{ nodeId: '3', input: 'cfg', values: [{ $gt: 1 }] as never }],
            }),
          /expected/,
        ],
        [
          'colour as CSS injection',
          () =>
            engine.invoke('jobs.submit', {
              workflow: basicWorkflow(),
              name: 'x',
              count: 2,
              batchColor: 'red;background:url(x)',
            }),
          /batchColor/,
        ],
        ['unknown batch', () => engine.invoke('batches.pause', { id: 'nope' }), /no batch/],
      ];
      for (const [what, call, reason] of refusals) await expect(call(), what).rejects.toThrow(reason);
      expect(journalDump(engine.journal)).toBe(before);
    },
  );
});
