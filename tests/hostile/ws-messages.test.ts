// The server's WebSocket as an attacker: malformed, huge, deeply nested, lying and flooding text
// frames, and broken binary frames. Every case checks what a person would see (the job's state,
// its error, its outputs, its previews), that the journal is unchanged or consistent, and that the
// engine still runs a job to the end afterwards.
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { encodePreviewFrame, encodePreviewWithMetadataFrame, encodeTextFrame } from '../../shared/comfy-frames';
import { makePng } from '../fake-cloud/png';
import {
  assertConsistent,
  basicWorkflow,
  collect,
  finalJob,
  hostile,
  journalDump,
  rig,
  storedOutputs,
  waitFor,
  tree,
  type Rig,
} from './harness';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const msg = (type: unknown, data?: unknown): string => JSON.stringify(data === undefined ? { type } : { type, data });
const CASE_MS = 30_000;

interface Held {
  id: string;
  promptId: string;
}

async function submit(r: Rig, name = 'hostile'): Promise<string> {
  const [job] = await r.engine.handlers['jobs.submit']({ workflow: basicWorkflow(), name });
  return job!.id;
}

/** A job of ours kept pending on the server (the queue is held), with its prompt_id. */
async function heldJob(r: Rig): Promise<Held> {
  await waitFor(() => r.engine.jobs.socketStateOf('cloud') === 'open', 'the socket to open');
  r.cloud.holdQueue(true);
  const id = await submit(r);
  const job = await waitFor(() => {
    const j = r.engine.jobs.journal.get(id);
    return j?.state === 'pending' && j.promptId ? j : null;
  }, 'the job to be pending');
  return { id, promptId: job.promptId! };
}

let marks = 0;
/**
 * Sends a harmless progress message for our job and waits until it is applied: frames arrive and
 * are handled in order, so every frame sent before it has been dealt with. It touches only the
 * job's progress, which journalDump leaves out.
 */
async function settle(r: Rig, held: Held): Promise<void> {
  const max = 1000 + ++marks;
  r.cloud.injectWs(msg('progress', { prompt_id: held.promptId, node: '3', value: 0, max }));
  await waitFor(() => r.engine.jobs.journal.get(held.id)?.progress?.max === max, 'the marker message');
}

/** Stored outputs are the server's bytes, and the file in the store is what its hash says. */
function assertStoredRight(
  r: Rig,
  outputs: { hash: string | null; filename: string; subfolder: string; type: string }[],
) {
  for (const o of outputs) {
    const served = r.cloud.fileBytes(o);
    expect(served).not.toBeNull();
    expect(o.hash).toBe(sha256(served!));
    expect(sha256(readFileSync(r.engine.jobs.store.pathOf(o.hash!)))).toBe(o.hash);
  }
}

/** The queue is released: the job runs on the server and ends completed with its outputs stored. */
async function completes(r: Rig, id: string): Promise<void> {
  r.cloud.holdQueue(false);
  const done = await waitFor(() => finalJob(r.engine, id), 'the job to finish');
  expect(done.state).toBe('completed');
  assertStoredRight(r, await waitFor(() => storedOutputs(r.engine, id), 'its outputs stored'));
  assertConsistent(r.engine);
}

/** A fresh job after the attack goes all the way through. */
async function stillWorks(r: Rig): Promise<void> {
  r.cloud.holdQueue(false);
  await completes(r, await submit(r, 'after the attack'));
}

/** The frames change nothing in the journal; the job is still pending; then it completes normally. */
async function harmless(r: Rig, held: Held, frames: (string | Uint8Array)[]): Promise<void> {
  await settle(r, held);
  const before = journalDump(r.engine.journal);
  for (const frame of frames) r.cloud.injectWs(frame);
  await settle(r, held);
  expect(journalDump(r.engine.journal)).toBe(before);
  assertConsistent(r.engine);
  expect(r.engine.jobs.journal.get(held.id)!.state).toBe('pending');
  expect(r.engine.jobs.socketStateOf('cloud')).toBe('open');
  await completes(r, held.id);
}

function nested(levels: number, inner = '0'): string {
  return '['.repeat(levels) + inner + ']'.repeat(levels);
}

// ---------------------------------------------------------------- text frames

hostile(
  'ws-messages',
  'progress_state whose nodes hold a null, a string and an array: skipped, the good node kept',
  async () => {
    const r = await rig();
    const held = await heldJob(r);
    const good = { value: 1, max: 2, state: 'running', node_id: '6' };
    r.cloud.injectWs(
      msg('progress_state', { prompt_id: held.promptId, nodes: { 3: null, 4: 'x', 5: [1, 2], 6: good } }),
    );
    await settle(r, held);
    const progress = r.engine.jobs.journal.get(held.id)!.progress!;
    expect(progress.nodes?.map((n) => n.nodeId)).toEqual(['6']);
    expect(progress.nodes?.[0]).toMatchObject({ state: 'running', value: 1, max: 2 });
    await harmless(r, held, [
      msg('progress_state', { prompt_id: held.promptId, nodes: { 3: null, 4: 'x', 5: [1, 2] } }),
    ]);
  },
  CASE_MS,
);

hostile(
  'ws-messages',
  'progress_state whose nodes field itself is null, a string, an array: nothing changes',
  async () => {
    const r = await rig();
    const held = await heldJob(r);
    await harmless(
      r,
      held,
      [null, 'nodes', [{ state: 'finished' }], 42].map((nodes) =>
        msg('progress_state', { prompt_id: held.promptId, nodes }),
      ),
    );
  },
  CASE_MS,
);

hostile(
  'ws-messages',
  'execution_cached nested 300,000 levels deep: refused without a stack overflow',
  async () => {
    const r = await rig();
    const held = await heldJob(r);
    const frame = `{"type":"execution_cached","data":{"prompt_id":${JSON.stringify(held.promptId)},"nodes":${nested(300_000)}}}`;
    await harmless(r, held, [frame]);
  },
  CASE_MS,
);

hostile(
  'ws-messages',
  'execution_error nested 300,000 levels deep: refused, the job is not failed',
  async () => {
    const r = await rig();
    const held = await heldJob(r);
    const deep = nested(300_000, '"boom"');
    const frames = [
      `{"type":"execution_error","data":{"prompt_id":${JSON.stringify(held.promptId)},"exception_message":"x","traceback":${deep}}}`,
      `{"type":"execution_error","data":${'{"a":'.repeat(300_000)}1${'}'.repeat(300_000)}}`,
    ];
    await harmless(r, held, frames);
  },
  CASE_MS,
);

hostile(
  'ws-messages',
  'a 5 MiB text frame (an execution_error for our job, padded): refused, the socket stays up',
  async () => {
    const r = await rig();
    const held = await heldJob(r);
    const frame = msg('execution_error', {
      prompt_id: held.promptId,
      exception_message: 'padded',
      padding: 'x'.repeat(5 * 1024 * 1024),
    });
    expect(frame.length).toBeGreaterThan(5 * 1024 * 1024);
    await harmless(r, held, [frame]);
  },
  CASE_MS,
);

hostile(
  'ws-messages',
  'a 65 MiB text frame: the socket refuses it and reconnects; nothing is lost, the job completes',
  async () => {
    const r = await rig();
    const held = await heldJob(r);
    const states = collect(r.engine, 'connection.changed');
    await settle(r, held);
    const before = journalDump(r.engine.journal);
    r.cloud.injectWs(
      msg('execution_error', { prompt_id: held.promptId, exception_message: 'x', pad: 'x'.repeat(65 * 1024 * 1024) }),
    );
    // The socket closes on the oversized frame and comes back by itself.
    await waitFor(() => states.some((c) => c.state === 'offline'), 'the socket to drop');
    await waitFor(() => r.engine.jobs.socketStateOf('cloud') === 'open', 'the socket to reconnect');
    await settle(r, held);
    expect(journalDump(r.engine.journal)).toBe(before);
    expect(r.engine.jobs.journal.get(held.id)!.state).toBe('pending');
    await completes(r, held.id);
  },
  CASE_MS,
);

hostile(
  'ws-messages',
  'frames that are not JSON: skipped',
  async () => {
    const r = await rig();
    const held = await heldJob(r);
    await harmless(r, held, [
      'hello',
      '{"type":"execution_success","data":{"prompt_id":',
      '',
      '\u0000\uffff\ud800',
      `{"type":"execution_success","data":{"prompt_id":"${held.promptId}"}}garbage`,
      "{'type': 'execution_success'}",
    ]);
  },
  CASE_MS,
);

for (const [label, frame] of [
  ['JSON null', 'null'],
  ['JSON []', '[]'],
  ['JSON "x"', '"x"'],
  ['JSON {}', '{}'],
] as const) {
  hostile(
    'ws-messages',
    `a frame that is ${label}: skipped`,
    async () => {
      const r = await rig();
      const held = await heldJob(r);
      await harmless(r, held, [frame, frame, frame]);
    },
    CASE_MS,
  );
}

hostile(
  'ws-messages',
  'known types without data (or with data that is not an object): the job is neither completed nor failed',
  async () => {
    const r = await rig();
    const held = await heldJob(r);
    await harmless(r, held, [
      msg('execution_success'),
      msg('execution_error', null),
      msg('execution_interrupted', 'data'),
      msg('executed', [held.promptId]),
      msg('execution_start', 7),
    ]);
  },
  CASE_MS,
);

hostile(
  'ws-messages',
  'a type that is not a string, 10 KB long, or unknown: skipped',
  async () => {
    const r = await rig();
    const held = await heldJob(r);
    await harmless(r, held, [
      msg(5, { prompt_id: held.promptId }),
      msg(null, { prompt_id: held.promptId }),
      msg({ type: 'execution_success' }, { prompt_id: held.promptId }),
      msg(`execution_success${'x'.repeat(10_000)}`, { prompt_id: held.promptId }),
      `{"type":"crystools.monitor","data":{"cpu_utilization":1e999,"prompt_id":${JSON.stringify(held.promptId)}}}`,
      msg('status', { status: { exec_info: { queue_remaining: 'lots' } } }),
    ]);
  },
  CASE_MS,
);

hostile(
  'ws-messages',
  'a prompt_id that is a number: names no job of ours',
  async () => {
    const r = await rig();
    const held = await heldJob(r);
    await harmless(r, held, [
      msg('execution_success', { prompt_id: 12345 }),
      msg('execution_error', { prompt_id: 1.5, exception_message: 'x' }),
      '{"type":"execution_success","data":{"prompt_id":1e999}}',
      '{"type":"execution_success","data":{"prompt_id":-0}}',
    ]);
  },
  CASE_MS,
);

hostile(
  'ws-messages',
  'a prompt_id that is an object (even one quoting ours): refused',
  async () => {
    const r = await rig();
    const held = await heldJob(r);
    await harmless(r, held, [
      msg('execution_success', { prompt_id: { id: held.promptId } }),
      msg('execution_success', { prompt_id: [held.promptId] }),
      msg('execution_error', { prompt_id: { toString: held.promptId }, exception_message: 'x' }),
    ]);
  },
  CASE_MS,
);

hostile(
  'ws-messages',
  'a prompt_id 10 KB long (starting with ours): refused',
  async () => {
    const r = await rig();
    const held = await heldJob(r);
    const long = held.promptId + 'x'.repeat(10 * 1024);
    await harmless(r, held, [
      msg('execution_success', { prompt_id: long }),
      msg('executed', { prompt_id: long, node: '9', output: { images: [{ filename: 'a.png' }] } }),
    ]);
  },
  CASE_MS,
);

hostile(
  'ws-messages',
  'an executed output listing 100,000 entries: recorded bounded, the real output still stored',
  async () => {
    const r = await rig();
    const held = await heldJob(r);
    // Short entries, so that the frame stays under the 4 MiB frame limit and is parsed.
    const images = Array.from({ length: 100_000 }, (_, i) => ({ filename: `flood_${i}.png` }));
    const frame = msg('executed', { prompt_id: held.promptId, node: '9', output: { images } });
    expect(frame.length).toBeLessThan(4 * 1024 * 1024);
    r.cloud.injectWs(frame);
    await settle(r, held);
    const recorded = r.engine.jobs.journal.outputs(held.id);
    expect(recorded.length).toBeGreaterThan(0);
    expect(recorded.length).toBeLessThanOrEqual(1_000);
    assertConsistent(r.engine);
    r.cloud.holdQueue(false);
    const done = await waitFor(() => finalJob(r.engine, held.id), 'the job to finish');
    expect(done.state).toBe('completed');
    // The invented files do not exist (404: failed at once); the real one is stored.
    const real = await waitFor(
      () =>
        r.engine.jobs.journal.outputs(held.id).find((o) => o.filename.startsWith('ComfyUI') && o.state === 'stored'),
      'the real output stored',
    );
    assertStoredRight(r, [real]);
    await r.engine.jobs.downloads.idle();
    const after = r.engine.jobs.journal.outputs(held.id);
    expect(after.length).toBeLessThanOrEqual(1_001);
    expect(after.filter((o) => o.filename.startsWith('flood_')).every((o) => o.state === 'failed')).toBe(true);
    assertConsistent(r.engine);
    await stillWorks(r);
  },
  60_000,
);

hostile(
  'ws-messages',
  'executed entries without a usable filename beside a good one: only the good one is recorded and stored',
  async () => {
    const r = await rig();
    const held = await heldJob(r);
    const good = r.cloud.addStaticOutput(makePng(16, 16, 7));
    const images = [{ subfolder: '', type: 'output' }, { filename: '' }, { filename: 42 }, null, 'x.png', [], good];
    r.cloud.injectWs(msg('executed', { prompt_id: held.promptId, node: '9', output: { images, gifs: 'nope' } }));
    const stored = await waitFor(() => storedOutputs(r.engine, held.id), 'the good output stored');
    expect(stored.map((o) => o.filename)).toEqual([good.filename]);
    assertStoredRight(r, stored);
    await completes(r, held.id);
  },
  CASE_MS,
);

hostile(
  'ws-messages',
  'executed names like ../../etc/passwd: kept as the name the server used, never a path',
  async () => {
    const r = await rig();
    const held = await heldJob(r);
    const before = tree(r.dir);
    const passwd = readFileSync('/etc/passwd');
    const evil = [
      { filename: '../../etc/passwd', subfolder: '../../..', type: 'output' },
      { filename: '/etc/passwd', subfolder: '', type: '../../output' },
      { filename: '..\\..\\evil.png', subfolder: 'C:\\Windows', type: 'output' },
    ];
    r.cloud.injectWs(msg('executed', { prompt_id: held.promptId, node: '9', output: { images: evil } }));
    const failed = await waitFor(() => {
      const outs = r.engine.jobs.journal.outputs(held.id);
      return outs.length === 3 && outs.every((o) => o.state === 'failed') ? outs : null;
    }, 'the downloads to fail (the server has no such files)');
    // Metadata only: what the server called it, shown as a name; nothing on disk is named after it.
    for (const o of failed) {
      expect(o.hash).toBeNull();
      expect(o.error).toMatch(/404|not found/i);
    }
    const added = tree(r.dir).filter((f) => !before.includes(f));
    expect(added.every((f) => /^(journal\.sqlite3(-wal|-shm)?|logs\/.*|store\/(objects|thumbs)\/.*)$/.test(f))).toBe(
      true,
    );
    expect(tree(r.dir).some((f) => /passwd|evil/.test(f))).toBe(false);
    expect(readFileSync('/etc/passwd').equals(passwd)).toBe(true);
    expect(failed.map((o) => o.filename).sort()).toEqual(evil.map((e) => e.filename).sort());
    assertConsistent(r.engine);
    r.cloud.holdQueue(false);
    expect((await waitFor(() => finalJob(r.engine, held.id), 'the job to finish')).state).toBe('completed');
    const real = await waitFor(
      () =>
        r.engine.jobs.journal.outputs(held.id).find((o) => o.filename.startsWith('ComfyUI') && o.state === 'stored'),
      'the real output stored',
    );
    assertStoredRight(r, [real]);
    await stillWorks(r);
  },
  CASE_MS,
);

hostile(
  'ws-messages',
  'a flood of messages for 10,000 invented prompt_ids: held bounded, the journal untouched, the job still completes',
  async () => {
    const r = await rig();
    const held = await heldJob(r);
    await settle(r, held);
    const before = journalDump(r.engine.journal);
    for (let i = 0; i < 10_000; i++) {
      const promptId = randomUUID();
      r.cloud.injectWs(msg('execution_start', { prompt_id: promptId, timestamp: Date.now() }));
      if (i % 10 === 0) {
        r.cloud.injectWs(
          msg('executed', { prompt_id: promptId, node: '9', output: { images: [{ filename: `${i}.png` }] } }),
        );
      }
    }
    await settle(r, held);
    expect(journalDump(r.engine.journal)).toBe(before);
    const tracker = r.engine.jobs.session('cloud').tracker as unknown as {
      held: Map<string, { messages: unknown[] }>;
    };
    expect(tracker.held.size).toBeLessThanOrEqual(500);
    assertConsistent(r.engine);
    await completes(r, held.id);
    await stillWorks(r);
  },
  60_000,
);

hostile(
  'ws-messages',
  'an execution_error with a 1 MB exception_message for our job: failed, with the message stored bounded',
  async () => {
    const r = await rig();
    const held = await heldJob(r);
    const changed = collect(r.engine, 'job.changed');
    r.cloud.injectWs(
      msg('execution_error', {
        prompt_id: held.promptId,
        node_id: '3',
        node_type: 'KSampler',
        exception_type: 'E'.repeat(100_000),
        exception_message: 'M'.repeat(1024 * 1024),
        traceback: Array.from({ length: 1_000 }, () => 'T'.repeat(1_000)),
      }),
    );
    const failed = await waitFor(() => finalJob(r.engine, held.id), 'the job to fail');
    expect(failed.state).toBe('failed');
    expect(failed.error?.kind).toBe('execution');
    expect(failed.error?.nodeId).toBe('3');
    expect(failed.error!.message.length).toBeLessThanOrEqual(8 * 1024);
    expect((failed.error!.exceptionType ?? '').length).toBeLessThanOrEqual(256);
    expect(failed.error!.traceback?.length ?? 0).toBeLessThanOrEqual(40);
    const row = r.engine.journal.prepare('SELECT length(error_json) AS n FROM jobs WHERE id = ?').get(held.id) as {
      n: number;
    };
    expect(row.n).toBeLessThan(200_000);
    expect(journalDump(r.engine.journal).length).toBeLessThan(400_000);
    expect(JSON.stringify(changed).length).toBeLessThan(1_000_000);
    assertConsistent(r.engine);
    await stillWorks(r);
  },
  CASE_MS,
);

hostile(
  'ws-messages',
  'NaN/Infinity-ish values (1e999) and a negative max: progress stays a finite fraction, times stay sane',
  async () => {
    const r = await rig();
    const held = await heldJob(r);
    const before = Date.now();
    r.cloud.injectWs(
      `{"type":"execution_start","data":{"prompt_id":${JSON.stringify(held.promptId)},"timestamp":1e999}}`,
    );
    r.cloud.injectWs(
      `{"type":"progress","data":{"prompt_id":${JSON.stringify(held.promptId)},"node":"3","value":1e999,"max":-5}}`,
    );
    r.cloud.injectWs(
      `{"type":"progress_state","data":{"prompt_id":${JSON.stringify(held.promptId)},"nodes":{"3":{"state":"running","value":-1e999,"max":1e999}}}}`,
    );
    const running = await waitFor(() => {
      const j = r.engine.jobs.journal.get(held.id);
      return j?.state === 'running' && j.progress?.nodes ? j : null;
    }, 'the job running');
    expect(running.startedAt).toBeGreaterThanOrEqual(before);
    expect(running.startedAt).toBeLessThanOrEqual(Date.now());
    const p = running.progress!;
    for (const n of [p.overall, p.value, p.max, ...p.nodes!.flatMap((x) => [x.value, x.max])]) {
      expect(Number.isFinite(n)).toBe(true);
    }
    expect(p.overall).toBeGreaterThanOrEqual(0);
    expect(p.overall).toBeLessThanOrEqual(1);
    // A person sees "value/max" only when max > 0: a negative max shows nothing odd.
    expect(p.max > 0 ? p.value <= p.max : true).toBe(true);
    assertConsistent(r.engine);
    await completes(r, held.id);
    const done = r.engine.jobs.journal.get(held.id)!;
    expect(Number.isFinite(done.finishedAt)).toBe(true);
  },
  CASE_MS,
);

hostile(
  'ws-messages',
  'a lying execution_success for our pending job: the state machine takes it, the real run keeps it sane',
  async () => {
    const r = await rig();
    const held = await heldJob(r);
    r.cloud.injectWs(msg('execution_success', { prompt_id: held.promptId, timestamp: Date.now() }));
    await waitFor(() => finalJob(r.engine, held.id), 'the job to end');
    expect(r.cloud.jobStatus(held.promptId)).toBe('pending');
    await completes(r, held.id);
    await waitFor(() => r.cloud.jobStatus(held.promptId) === 'completed', 'the server to finish it');
    const states = r.engine.jobs.journal
      .events(held.id)
      .filter((e) => e.type === 'state')
      .map((e) => e.state);
    // Never backwards, never two final states.
    expect(states.slice(0, 3)).toEqual(['outbox', 'submitting', 'pending']);
    expect(states.slice(3).every((s) => s === 'completed')).toBe(true);
    expect(states.filter((s) => s === 'completed')).toHaveLength(1);
    await stillWorks(r);
  },
  CASE_MS,
);

hostile(
  'ws-messages',
  'a late execution_error after our job completed: it stays completed',
  async () => {
    const r = await rig();
    const held = await heldJob(r);
    await completes(r, held.id);
    const before = journalDump(r.engine.journal);
    r.cloud.injectWs(msg('execution_error', { prompt_id: held.promptId, exception_message: 'too late' }));
    r.cloud.injectWs(msg('execution_interrupted', { prompt_id: held.promptId }));
    r.cloud.injectWs(msg('execution_start', { prompt_id: held.promptId }));
    await settle(r, held);
    expect(journalDump(r.engine.journal)).toBe(before);
    expect(r.engine.jobs.journal.get(held.id)!.state).toBe('completed');
    await stillWorks(r);
  },
  CASE_MS,
);

hostile(
  'ws-messages',
  'a bad message between two good ones in the same tick never loses the good ones',
  async () => {
    const r = await rig();
    const held = await heldJob(r);
    const a = r.cloud.addStaticOutput(makePng(16, 16, 11));
    const b = r.cloud.addStaticOutput(makePng(16, 16, 12));
    const executed = (ref: typeof a): string =>
      msg('executed', { prompt_id: held.promptId, node: '9', output: { images: [ref] } });
    const bad = [
      `{"type":"execution_error","data":{"prompt_id":${JSON.stringify(held.promptId)},"x":${nested(100_000)}}}`,
      'not json',
      msg('execution_error', { prompt_id: { evil: true } }),
      msg('progress_state', { prompt_id: held.promptId, nodes: 'x' }),
      `{"type":"progress","data":{"prompt_id":${JSON.stringify(held.promptId)},"value":1e999,"max":null}}`,
    ];
    // All in one tick: the tracker writes them as one batch.
    r.cloud.injectWs(msg('execution_start', { prompt_id: held.promptId, timestamp: Date.now() }));
    r.cloud.injectWs(executed(a));
    for (const frame of bad) r.cloud.injectWs(frame);
    r.cloud.injectWs(executed(b));
    r.cloud.injectWs(msg('progress', { prompt_id: held.promptId, node: '3', value: 3, max: 77 }));
    const stored = await waitFor(() => {
      const outs = storedOutputs(r.engine, held.id);
      return outs?.length === 2 ? outs : null;
    }, 'both good outputs stored');
    expect(stored.map((o) => o.filename).sort()).toEqual([a.filename, b.filename].sort());
    assertStoredRight(r, stored);
    const job = r.engine.jobs.journal.get(held.id)!;
    expect(job.state).toBe('running');
    expect(job.progress).toMatchObject({ value: 3, max: 77 });
    assertConsistent(r.engine);
    r.cloud.holdQueue(false);
    const done = await waitFor(() => finalJob(r.engine, held.id), 'the job to finish');
    expect(done.state).toBe('completed');
    await waitFor(() => {
      const outs = storedOutputs(r.engine, held.id);
      return outs?.length === 3 ? outs : null;
    }, 'the real output stored too');
  },
  CASE_MS,
);

hostile(
  'ws-messages',
  'prototype keys (__proto__, constructor) in nodes and outputs: no pollution, nothing breaks',
  async () => {
    const r = await rig();
    const held = await heldJob(r);
    const frames = [
      `{"type":"progress_state","data":{"prompt_id":${JSON.stringify(held.promptId)},"nodes":{"__proto__":{"state":"finished","value":1,"max":1,"polluted":true},"constructor":{"state":"running","value":1,"max":2},"hasOwnProperty":{"state":"error"}}}}`,
      `{"type":"executed","data":{"prompt_id":${JSON.stringify(held.promptId)},"node":"__proto__","output":{"__proto__":[{"filename":"proto.png"}]}}}`,
      `{"__proto__":{"type":"execution_success"},"type":"progress","data":{"prompt_id":${JSON.stringify(held.promptId)},"__proto__":{"value":5}}}`,
    ];
    for (const frame of frames) r.cloud.injectWs(frame);
    await settle(r, held);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).state).toBeUndefined();
    expect(({} as Record<string, unknown>).type).toBeUndefined();
    expect(r.engine.jobs.journal.get(held.id)!.state).toBe('pending');
    assertConsistent(r.engine);
    r.cloud.holdQueue(false);
    const done = await waitFor(() => finalJob(r.engine, held.id), 'the job to finish');
    expect(done.state).toBe('completed');
    await stillWorks(r);
  },
  CASE_MS,
);

// ---------------------------------------------------------------- binary frames

function u32(...words: number[]): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  const view = new DataView(out.buffer);
  words.forEach((w, i) => view.setUint32(i * 4, w));
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

const PREVIEW = makePng(8, 8, 3);

/** Binary frames: the journal unchanged, no preview shown for them, and the job completes. */
async function noPreview(r: Rig, held: Held, frames: Uint8Array[]): Promise<void> {
  const previews = collect(r.engine, 'job.preview');
  await settle(r, held);
  const before = journalDump(r.engine.journal);
  for (const frame of frames) r.cloud.injectWs(frame);
  await settle(r, held);
  await new Promise((resolve) => setTimeout(resolve, 30)); // a preview goes out on a timer
  expect(previews).toEqual([]);
  expect(journalDump(r.engine.journal)).toBe(before);
  expect(r.engine.jobs.socketStateOf('cloud')).toBe('open');
  await completes(r, held.id);
}

hostile(
  'binary-frames',
  'an empty binary frame: ignored',
  async () => {
    const r = await rig();
    await noPreview(r, await heldJob(r), [new Uint8Array(0), new Uint8Array(0)]);
  },
  CASE_MS,
);

hostile(
  'binary-frames',
  'a 3-byte binary frame: ignored',
  async () => {
    const r = await rig();
    await noPreview(r, await heldJob(r), [new Uint8Array([0, 0, 0]), new Uint8Array([0, 0, 4])]);
  },
  CASE_MS,
);

hostile(
  'binary-frames',
  'type 4 whose metadata length is larger than the frame (or 4 GiB): ignored',
  async () => {
    const r = await rig();
    const held = await heldJob(r);
    const meta = Buffer.from(JSON.stringify({ prompt_id: held.promptId, image_type: 'image/png' }));
    await noPreview(r, held, [
      concat(u32(4, meta.length + 1000), meta, PREVIEW),
      concat(u32(4, 0xffffffff), meta, PREVIEW),
      concat(u32(4, 64 * 1024 + 1), meta, PREVIEW),
      u32(4, 12),
    ]);
  },
  CASE_MS,
);

hostile(
  'binary-frames',
  'type 4 with invalid or 40-deep metadata JSON: ignored',
  async () => {
    const r = await rig();
    const held = await heldJob(r);
    const frames = [
      `{"prompt_id":"${held.promptId}",`,
      `{"prompt_id":"${held.promptId}","x":${nested(40)}}`,
      `["${held.promptId}"]`,
      'null',
      `{"prompt_id":{"id":"${held.promptId}"}}`,
      `{"prompt_id":"${'p'.repeat(2000)}"}`,
    ].map((text) => {
      const meta = Buffer.from(text);
      return concat(u32(4, meta.length), meta, PREVIEW);
    });
    await noPreview(r, held, frames);
  },
  CASE_MS,
);

hostile(
  'binary-frames',
  'type 4 with 10-deep nested metadata: within limits, shown as a PNG preview of our job, nothing else',
  async () => {
    const r = await rig();
    const held = await heldJob(r);
    const previews = collect(r.engine, 'job.preview');
    const before = journalDump(r.engine.journal);
    const meta = { prompt_id: held.promptId, node_id: '3', image_type: 'image/png', extra: JSON.parse(nested(9)) };
    r.cloud.injectWs(encodePreviewWithMetadataFrame(PREVIEW, meta));
    const [preview] = await waitFor(() => (previews.length > 0 ? previews : null), 'the preview');
    expect(preview).toMatchObject({ jobId: held.id, mime: 'image/png' });
    expect(Buffer.from(preview!.data, 'base64').equals(PREVIEW)).toBe(true);
    expect(journalDump(r.engine.journal)).toBe(before);
    await completes(r, held.id);
  },
  CASE_MS,
);

hostile(
  'binary-frames',
  'type 4 saying its image is SVG (it could carry script): never passed on as SVG',
  async () => {
    const r = await rig();
    const held = await heldJob(r);
    const previews = collect(r.engine, 'job.preview');
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>');
    for (const mime of ['image/svg+xml', 'text/html', 'IMAGE/SVG+XML']) {
      r.cloud.injectWs(encodePreviewWithMetadataFrame(svg, { prompt_id: held.promptId, image_type: mime }));
    }
    await settle(r, held);
    await new Promise((resolve) => setTimeout(resolve, 30));
    for (const p of previews) expect(['image/png', 'image/jpeg', 'image/webp', 'image/gif']).toContain(p.mime);
    await completes(r, held.id);
  },
  CASE_MS,
);

hostile(
  'binary-frames',
  'type 4 naming a prompt that is not ours: no preview for any job of ours',
  async () => {
    const r = await rig();
    const held = await heldJob(r);
    await noPreview(r, held, [
      encodePreviewWithMetadataFrame(PREVIEW, { prompt_id: randomUUID(), image_type: 'image/png' }),
      encodePreviewWithMetadataFrame(PREVIEW, { prompt_id: `${held.promptId} `, image_type: 'image/png' }),
    ]);
  },
  CASE_MS,
);

hostile(
  'binary-frames',
  // Found by this case (fixed): a type 1 frame of 8 bytes (no image) became a job.preview with
  // empty data, and the renderer swapped the last good preview for a broken image.
  'type 1 with a 0-byte image while our job runs: no empty preview replaces the last good one',
  async () => {
    const r = await rig();
    const held = await heldJob(r);
    // Our job is running as far as the engine knows: type 1 frames (no prompt_id) are its.
    r.cloud.injectWs(msg('execution_start', { prompt_id: held.promptId, timestamp: Date.now() }));
    await waitFor(() => r.engine.jobs.journal.get(held.id)?.state === 'running', 'the job running');
    const previews = collect(r.engine, 'job.preview');
    r.cloud.injectWs(encodePreviewFrame(PREVIEW, 'png'));
    await waitFor(() => (previews.length === 1 ? previews : null), 'a good preview');
    expect(previews[0]).toMatchObject({ jobId: held.id, mime: 'image/png' });
    const before = journalDump(r.engine.journal);
    r.cloud.injectWs(u32(1, 2));
    r.cloud.injectWs(u32(1, 1));
    await settle(r, held);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(previews.filter((p) => p.data.length === 0)).toEqual([]);
    expect(journalDump(r.engine.journal)).toBe(before);
    await completes(r, held.id);
  },
  CASE_MS,
);

hostile(
  'binary-frames',
  'an unknown frame type (99, 0, 2, 0xffffffff): ignored',
  async () => {
    const r = await rig();
    const held = await heldJob(r);
    await noPreview(
      r,
      held,
      [99, 0, 2, 0xffffffff].map((type) => concat(u32(type, 2), PREVIEW)),
    );
  },
  CASE_MS,
);

hostile(
  'binary-frames',
  'type 3 (text) whose node id length runs past the frame, and a JSON message sent as binary: ignored',
  async () => {
    const r = await rig();
    const held = await heldJob(r);
    await noPreview(r, held, [
      concat(u32(3, 5000), Buffer.from('short')),
      concat(u32(3, 0xffffffff)),
      encodeTextFrame('3', 'x'.repeat(100_000)),
      new Uint8Array(Buffer.from(msg('execution_success', { prompt_id: held.promptId }))),
    ]);
  },
  CASE_MS,
);
