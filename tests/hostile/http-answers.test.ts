// The server's HTTP answers as an attacker (or a broken proxy): web pages, malformed and huge JSON,
// every refusal status, Retry-After in both forms, lost answers, garbage during reconcile, error
// bodies that quote the API key, status names nobody has seen. Each case checks what a person sees
// (the job's state, its error or why it waits), the journal, and that a job still goes through.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { FakeCloud } from '../fake-cloud/index';
import { openEngine } from '../unit/jobs/cloud-harness';
import {
  assertConsistent,
  basicWorkflow,
  collect,
  finalJob,
  hostile,
  journalDump,
  newTempDir,
  onCleanup,
  rig,
  startCloud,
  storedOutputs,
  waitFor,
  type Rig,
} from './harness';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const CASE_MS = 30_000;

async function submit(r: Rig, name = 'hostile'): Promise<string> {
  const [job] = await r.engine.handlers['jobs.submit']({ workflow: basicWorkflow(), name });
  return job!.id;
}

const posts = (cloud: FakeCloud) =>
  cloud.requests.filter((q) => q.origin === 'api' && q.method === 'POST' && q.url.startsWith('/api/prompt'));

async function socketOpen(r: Rig): Promise<void> {
  await waitFor(() => r.engine.jobs.socketStateOf('cloud') === 'open', 'the socket to open');
}

/** The job completed, its outputs are the server's bytes, it was accepted once, the journal is whole. */
async function completes(r: Rig, id: string): Promise<void> {
  const done = await waitFor(() => finalJob(r.engine, id), 'the job to finish');
  expect(done.state).toBe('completed');
  const outputs = await waitFor(() => storedOutputs(r.engine, id), 'its outputs stored');
  for (const o of outputs) {
    expect(o.hash).toBe(sha256(r.cloud.fileBytes(o)!));
    expect(sha256(readFileSync(r.engine.jobs.store.pathOf(o.hash!)))).toBe(o.hash);
  }
  expect(r.cloud.acceptedByClientJob().get(id)).toBe(1);
  assertConsistent(r.engine);
}

async function stillWorks(r: Rig): Promise<void> {
  await completes(r, await submit(r, 'after the attack'));
}

/** A job failed on submit: what it says, nothing accepted, and a new job goes through. */
async function failsOnSubmit(r: Rig, message: RegExp): Promise<void> {
  await socketOpen(r);
  const id = await submit(r);
  const failed = await waitFor(() => finalJob(r.engine, id), 'the job to fail');
  expect(failed.state).toBe('failed');
  expect(failed.error?.message).toMatch(message);
  expect(failed.error!.message.length).toBeLessThan(2_000);
  expect(r.cloud.acceptedByClientJob().get(id)).toBeUndefined();
  expect(posts(r.cloud)).toHaveLength(1);
  assertConsistent(r.engine);
  await stillWorks(r);
}

/**
 * A refusal only the person can fix: the job waits in the outbox saying so, and nothing is sent
 * again on its own for a while (no tight loop). Then the person fixes it and it goes through.
 */
async function waitsForThePerson(r: Rig, status: number, message: RegExp): Promise<void> {
  await socketOpen(r);
  r.cloud.fault({ method: 'POST', path: '/prompt', status, times: 1_000 });
  const id = await submit(r);
  const waiting = await waitFor(() => {
    const j = r.engine.jobs.journal.get(id);
    return j?.waiting ? j : null;
  }, 'the job to wait');
  expect(waiting.state).toBe('outbox');
  expect(waiting.waiting).toMatchObject({ needsPerson: true });
  expect(waiting.waiting!.message).toMatch(message);
  expect(waiting.waiting!.retryAt).toBeGreaterThan(Date.now() + 60_000);
  const sent = posts(r.cloud).length;
  expect(sent).toBe(1);
  const dump = journalDump(r.engine.journal);
  await sleep(1_500);
  // Over 1.5 s (the reconcile timer fires twice in that time): not one more POST, nothing new journaled.
  expect(posts(r.cloud).length).toBe(sent);
  expect(journalDump(r.engine.journal)).toBe(dump);
  expect(r.cloud.acceptedCount()).toBe(0);
  assertConsistent(r.engine);
  // The person fixed it (key, credits, plan): the next attempt goes through, once.
  r.cloud.clearFaults();
  r.engine.jobs.service.retryNow('cloud');
  await completes(r, id);
}

/** Every file the engine wrote (journal, WAL, logs) as bytes: none holds the key. */
function keyOnDisk(r: Rig): string[] {
  const files = readdirSync(r.dir)
    .filter((f) => f.startsWith('journal'))
    .map((f) => join(r.dir, f));
  const logs = join(r.dir, 'logs');
  if (existsSync(logs)) files.push(...readdirSync(logs).map((f) => join(logs, f)));
  return files.filter((f) => readFileSync(f).includes(r.cloud.apiKey));
}

/** A TCP proxy in front of the fake cloud, whose connections the test can cut (an answer lost on the way). */
async function proxyTo(target: string): Promise<{ url: string; cut(): void }> {
  const { hostname, port } = new URL(target);
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('error', end);
      s.on('close', end);
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const cut = (): void => {
    for (const s of [...open]) s.destroy();
  };
  onCleanup(async () => {
    cut();
    await new Promise((resolve) => server.close(resolve));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, cut };
}

// ---------------------------------------------------------------- answers to POST /prompt

hostile(
  'http-answers',
  'POST /prompt answered 200 with an HTML page: the job fails saying it was a web page',
  async () => {
    const r = await rig();
    r.cloud.fault({ method: 'POST', path: '/prompt', html: true });
    await failsOnSubmit(r, /web page instead of data/);
  },
  CASE_MS,
);

hostile(
  'http-answers',
  'POST /prompt answered 200 with malformed JSON: the job fails saying so',
  async () => {
    const r = await rig();
    r.cloud.fault({ method: 'POST', path: '/prompt', body: '{"prompt_id": "abc", "number": ' });
    await failsOnSubmit(r, /unreadable JSON/);
  },
  CASE_MS,
);

hostile(
  'http-answers',
  'POST /prompt answered 200 with {} (no prompt_id): the job fails saying so',
  async () => {
    const r = await rig();
    r.cloud.fault({ method: 'POST', path: '/prompt', body: '{}' });
    await failsOnSubmit(r, /no prompt_id/);
  },
  CASE_MS,
);

hostile(
  'http-answers',
  'POST /prompt answered with a prompt_id that is not a string (object, number, empty): the job fails',
  async () => {
    const r = await rig();
    for (const body of ['{"prompt_id":{"id":"x"}}', '{"prompt_id":12}', '{"prompt_id":""}', '[]', 'null']) {
      r.cloud.fault({ method: 'POST', path: '/prompt', body });
    }
    await socketOpen(r);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await submit(r, `bad ${i}`));
    for (const id of ids) {
      const failed = await waitFor(() => finalJob(r.engine, id), 'the job to fail');
      expect(failed.state).toBe('failed');
      expect(failed.error?.message).toMatch(/no prompt_id/);
    }
    expect(r.cloud.acceptedCount()).toBe(0);
    assertConsistent(r.engine);
    await stillWorks(r);
  },
  CASE_MS,
);

hostile(
  'http-answers',
  'POST /prompt answered with a 65 MiB body: cut at the 64 MiB limit, the job fails saying so',
  async () => {
    const r = await rig();
    r.cloud.fault({ method: 'POST', path: '/prompt', body: `{"prompt_id":"${'a'.repeat(65 * 1024 * 1024)}"}` });
    const before = process.memoryUsage().rss;
    await failsOnSubmit(r, /more than 64 MB/);
    expect(process.memoryUsage().rss - before).toBeLessThan(1024 * 1024 * 1024);
  },
  CASE_MS,
);

hostile(
  'http-answers',
  'POST /prompt answered 401: waits for the person (the key), not retried in a loop, then goes through',
  async () => {
    await waitsForThePerson(await rig(), 401, /API key/);
  },
  CASE_MS,
);

hostile(
  'http-answers',
  'POST /prompt answered 403: waits for the person (access), not retried in a loop, then goes through',
  async () => {
    await waitsForThePerson(await rig(), 403, /403/);
  },
  CASE_MS,
);

hostile(
  'http-answers',
  'POST /prompt answered 402: waits for the person (credits), not retried in a loop, then goes through',
  async () => {
    await waitsForThePerson(await rig(), 402, /credits/);
  },
  CASE_MS,
);

hostile(
  'http-answers',
  '429 with Retry-After: 1: the next POST is not sent before 1 s',
  async () => {
    const r = await rig();
    await socketOpen(r);
    r.cloud.fault({ method: 'POST', path: '/prompt', status: 429, headers: { 'Retry-After': '1' } });
    const id = await submit(r);
    const waiting = await waitFor(() => r.engine.jobs.journal.get(id)?.waiting ?? null, 'the job to wait');
    expect(waiting.needsPerson).toBe(false);
    expect(waiting.message).toMatch(/429.*wait 1 s/);
    await completes(r, id);
    const sent = posts(r.cloud);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.at - sent[0]!.at).toBeGreaterThanOrEqual(1_000);
  },
  CASE_MS,
);

hostile(
  'http-answers',
  '429 with an HTTP-date Retry-After: the next POST waits until that date',
  async () => {
    const r = await rig();
    await socketOpen(r);
    const until = new Date(Date.now() + 2_500).toUTCString(); // whole seconds: 1.5 to 2.5 s from now
    const earliest = Date.parse(until);
    r.cloud.fault({ method: 'POST', path: '/prompt', status: 429, headers: { 'Retry-After': until } });
    const id = await submit(r);
    const waiting = await waitFor(() => r.engine.jobs.journal.get(id)?.waiting ?? null, 'the job to wait');
    expect(waiting.needsPerson).toBe(false);
    expect(waiting.retryAt).toBeGreaterThanOrEqual(earliest - 50);
    await completes(r, id);
    const sent = posts(r.cloud);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.at).toBeGreaterThanOrEqual(earliest - 50);
  },
  CASE_MS,
);

hostile(
  'http-answers',
  '429 with an absurd Retry-After (115 days) or an unreadable one: capped at 10 minutes / ignored',
  async () => {
    const r = await rig();
    await socketOpen(r);
    r.cloud.fault({ method: 'POST', path: '/prompt', status: 429, headers: { 'Retry-After': 'soon, maybe' } });
    const first = await submit(r);
    await completes(r, first); // unreadable: the ordinary backoff
    r.cloud.fault({ method: 'POST', path: '/prompt', status: 429, headers: { 'Retry-After': '9999999' } });
    const id = await submit(r);
    const waiting = await waitFor(() => r.engine.jobs.journal.get(id)?.waiting ?? null, 'the job to wait');
    expect(waiting.retryAt).toBeLessThanOrEqual(Date.now() + 10 * 60_000 + 1_000);
    expect(waiting.retryAt).toBeGreaterThan(Date.now() + 9 * 60_000);
    const sent = posts(r.cloud).length;
    await sleep(1_000);
    expect(posts(r.cloud).length).toBe(sent);
    assertConsistent(r.engine);
  },
  CASE_MS,
);

for (const statuses of [[500], [502, 502], [503, 500, 502]]) {
  hostile(
    'http-answers',
    `POST /prompt answered ${statuses.join(', then ')}: retried, the job completes, sent once`,
    async () => {
      const r = await rig();
      await socketOpen(r);
      for (const status of statuses) r.cloud.fault({ method: 'POST', path: '/prompt', status });
      const changed = collect(r.engine, 'job.changed');
      const id = await submit(r);
      await completes(r, id);
      // The person saw why it waited, and that it would retry on its own.
      const waits = changed.filter((j) => j.id === id && j.waiting).map((j) => j.waiting!);
      expect(waits.length).toBeGreaterThan(0);
      expect(waits.every((w) => !w.needsPerson && /will retry/.test(w.message))).toBe(true);
      expect(posts(r.cloud)).toHaveLength(statuses.length + 1);
      expect(r.engine.jobs.journal.get(id)!.waiting).toBeNull();
    },
    CASE_MS,
  );
}

hostile(
  'http-answers',
  'POST /prompt connection dropped: the outcome is unknown, it is looked up first, never sent twice',
  async () => {
    const r = await rig();
    await socketOpen(r);
    r.cloud.fault({ method: 'POST', path: '/prompt', dropConnection: true });
    const id = await submit(r);
    await completes(r, id);
    const [first, second] = posts(r.cloud);
    expect(second).toBeDefined();
    // Between the two POSTs, the engine asked the server whether it already had the job.
    const looked = r.cloud.requests.filter((q) => q.at >= first!.at && q.at <= second!.at && q.method === 'GET');
    expect(looked.some((q) => q.url.startsWith('/api/queue'))).toBe(true);
    expect(r.cloud.acceptedByClientJob().get(id)).toBe(1);
  },
  CASE_MS,
);

/** An engine that reaches the fake cloud through a proxy whose connections the test can cut. */
async function proxiedRig(): Promise<Rig & { cut(): void }> {
  const cloud = await startCloud();
  const proxy = await proxyTo(cloud.url);
  const dir = newTempDir();
  const engine = await openEngine(dir, { ...cloud, url: proxy.url } as FakeCloud);
  onCleanup(() => engine.close());
  const r = { cloud, engine, dir, cut: proxy.cut };
  await socketOpen(r);
  return r;
}

const lookups = (cloud: FakeCloud) =>
  cloud.requests.filter((q) => q.method === 'GET' && /^\/api\/(queue|history_v2)/.test(q.url)).length;

// The client's own patience (30 s) cannot be set from the engine's timings: instead, the connection
// is cut while the server holds its answer back, after it accepted the prompt.
hostile(
  'http-answers',
  'the answer to POST /prompt lost while the job waits in the queue: found by the lookup, never submitted twice',
  async () => {
    const r = await proxiedRig();
    r.cloud.holdQueue(true);
    r.cloud.fault({ method: 'POST', path: '/prompt', answerDelayMs: 1_000 });
    const id = await submit(r);
    await waitFor(() => r.cloud.acceptedCount() === 1, 'the server to accept the prompt');
    r.cut();
    const adopted = await waitFor(() => {
      const j = r.engine.jobs.journal.get(id);
      return j?.state === 'pending' && j.promptId ? j : null;
    }, 'the lookup to find the job in the queue');
    expect(r.cloud.jobStatus(adopted.promptId!)).toBe('pending');
    expect(r.engine.jobs.journal.events(id).some((e) => e.cause === 'lookup: the server already has this job')).toBe(
      true,
    );
    r.cloud.holdQueue(false);
    await completes(r, id);
    expect(posts(r.cloud)).toHaveLength(1);
    expect(lookups(r.cloud)).toBeLessThan(20);
    await stillWorks(r);
  },
  CASE_MS,
);

hostile(
  'http-answers',
  // Found by this case (fixed): the lookup found the job finished, adopt() asked for outbox →
  // completed, which the state machine refuses, and the outbox looked it up again in a tight loop.
  'the answer to POST /prompt lost after the job already finished: adopted as completed, no lookup loop',
  async () => {
    const r = await proxiedRig();
    r.cloud.fault({ method: 'POST', path: '/prompt', answerDelayMs: 3_000 });
    const id = await submit(r);
    // The server runs the job to the end while it holds the answer back; then the answer is lost.
    for (let tries = 0; ; tries++) {
      const res = await fetch(`${r.cloud.url}/api/jobs?status=completed`, { headers: { 'x-api-key': r.cloud.apiKey } });
      if (((await res.json()) as { jobs: unknown[] }).jobs.length === 1) break;
      if (tries > 100) throw new Error('the server did not finish the job');
      await sleep(20);
    }
    const before = lookups(r.cloud);
    r.cut();
    await sleep(1_000);
    const state = r.engine.jobs.journal.get(id)!.state;
    const made = lookups(r.cloud) - before;
    // What a person sees after 1 s, and how hard the server was hit meanwhile.
    expect(`job ${state}; ${made} lookups (GET /queue, /history_v2) in 1 s`).toMatch(
      /^job completed; ([0-9]|1[0-9]) lookups/,
    );
    await completes(r, id);
    expect(posts(r.cloud)).toHaveLength(1);
  },
  CASE_MS,
);

hostile(
  'http-answers',
  // Found by this case (fixed): the periodic reconcile was armed only by start() and socket state
  // changes, so a job submitted while the socket stayed up was never checked against the server.
  'a prompt_id the server never heard of (10 KB long): the job ends as lost, not pending forever',
  async () => {
    const r = await rig();
    await socketOpen(r);
    r.cloud.fault({ method: 'POST', path: '/prompt', body: `{"prompt_id":"${'p'.repeat(10 * 1024)}","number":1}` });
    const id = await submit(r);
    const ghost = await waitFor(() => r.engine.jobs.journal.get(id)?.promptId, 'the job to be pending');
    // Open jobs are checked periodically (every 100 ms here while the socket is down, 600 ms while up).
    await waitFor(
      () => r.cloud.requests.some((q) => q.url.startsWith(`/api/job/${ghost}`)),
      'a reconcile to ask the server about the job',
      5_000,
    );
    const failed = await waitFor(() => finalJob(r.engine, id), 'the job to end', 10_000);
    expect(failed.state).toBe('failed');
    expect(failed.error?.kind).toBe('lost');
    assertConsistent(r.engine);
    await stillWorks(r);
  },
  CASE_MS,
);

// ---------------------------------------------------------------- answers during reconcile

/** The socket is refused: what happens to a job is learnt only by reconcile (status, detail, history). */
async function socketless(r: Rig): Promise<void> {
  r.cloud.refuseWebSockets(true);
  r.cloud.dropWebSockets();
  await waitFor(() => r.engine.jobs.socketStateOf('cloud') !== 'open', 'the socket to be down');
}

hostile(
  'http-answers',
  'GET /jobs/{id} answering HTML, then garbage, during reconcile: the job still ends right',
  async () => {
    const r = await rig();
    await socketless(r);
    r.cloud.fault({ method: 'GET', path: '/jobs/', html: true, times: 3 });
    r.cloud.fault({ method: 'GET', path: '/jobs/', body: 'garbage{', times: 3 });
    r.cloud.fault({ method: 'GET', path: '/jobs/', body: '{"status":{"nested":1},"outputs":"none"}', times: 2 });
    const changed = collect(r.engine, 'job.changed');
    const id = await submit(r);
    await completes(r, id);
    const details = r.cloud.requests.filter((q) => q.method === 'GET' && q.url.startsWith('/api/jobs/'));
    // The detail route met its bad answers; when it cannot be read, the history is asked instead.
    expect(details.length).toBeGreaterThanOrEqual(1);
    const others = r.cloud.requests.filter((q) => q.method === 'GET' && /^\/api\/(history|queue)/.test(q.url));
    expect(details.length + others.length).toBeGreaterThanOrEqual(3);
    // It never looked failed to the person on the way.
    expect(changed.filter((j) => j.id === id).every((j) => j.state !== 'failed')).toBe(true);
    expect(r.engine.jobs.journal.events(id).some((e) => e.cause?.startsWith('reconcile'))).toBe(true);
  },
  CASE_MS,
);

hostile(
  'http-answers',
  'GET /job/{id}/status answering HTML, garbage and {} during reconcile: the job still ends right',
  async () => {
    const r = await rig();
    await socketless(r);
    r.cloud.fault({ method: 'GET', path: /\/api\/job\/[^/]+\/status/, html: true, times: 3 });
    r.cloud.fault({ method: 'GET', path: /\/api\/job\/[^/]+\/status/, body: '}{', times: 3 });
    r.cloud.fault({ method: 'GET', path: /\/api\/job\/[^/]+\/status/, body: '{}', times: 3 });
    const id = await submit(r);
    await completes(r, id);
    const states = r.engine.jobs.journal
      .events(id)
      .filter((e) => e.type === 'state')
      .map((e) => e.state);
    expect(states.at(-1)).toBe('completed');
    expect(states).not.toContain('failed');
  },
  CASE_MS,
);

hostile(
  'http-answers',
  "status 'weird_new_state' everywhere (status route and detail): the job still ends completed",
  async () => {
    const r = await rig();
    await socketless(r);
    r.cloud.misbehave({ statusName: 'weird_new_state' });
    const id = await submit(r);
    await completes(r, id);
    expect(r.engine.jobs.journal.events(id).some((e) => e.cause?.startsWith('reconcile'))).toBe(true);
    await stillWorks(r);
  },
  CASE_MS,
);

// ---------------------------------------------------------------- the key in error bodies

for (const status of [500, 403]) {
  hostile(
    'http-answers',
    `a ${status} error body that quotes the API key: the key is in no journal byte, log, event or message`,
    async () => {
      const r = await rig();
      await socketOpen(r);
      const events: unknown[] = [];
      r.engine.onAny((name, payload) => void events.push({ name, payload }));
      r.cloud.fault({ method: 'POST', path: '/prompt', status, echoKey: true, times: 3 });
      const id = await submit(r);
      const waiting = await waitFor(() => r.engine.jobs.journal.get(id)?.waiting ?? null, 'the job to wait');
      // The server's words are quoted to the person, with the key taken out.
      expect(waiting.message).toContain('(server:');
      expect(waiting.message).toContain('[redacted]');
      expect(waiting.message).not.toContain(r.cloud.apiKey);
      if (status === 403) {
        expect(waiting.needsPerson).toBe(true);
        r.cloud.clearFaults();
        r.engine.jobs.service.retryNow('cloud');
      }
      await completes(r, id);
      const job = r.engine.jobs.journal.get(id)!;
      expect(JSON.stringify([job.waiting, job.error, r.engine.jobs.journal.events(id)])).not.toContain(r.cloud.apiKey);
      expect(JSON.stringify(events)).not.toContain(r.cloud.apiKey);
      expect(events.length).toBeGreaterThan(0);
      r.engine.journal.pragma('wal_checkpoint(PASSIVE)');
      expect(keyOnDisk(r)).toEqual([]);
    },
    CASE_MS,
  );
}

hostile(
  'http-answers',
  'a sync answer nested 300,000 levels deep: refused whole, no stack overflow, the engine keeps working',
  async () => {
    const r = await rig();
    // An object chain: it would pass for a prompt, be journaled, and overflow JSON.stringify there.
    const deep = '{"a":'.repeat(300_000) + '1' + '}'.repeat(300_000);
    r.cloud.fault({
      method: 'GET',
      path: '/jobs',
      body: `{"items":[{"id":"x","status":"completed","workflow":{"prompt":${deep}}}]}`,
    });
    const dump = journalDump(r.engine.journal);
    await expect(r.engine.invoke('sync.run', {})).rejects.toMatchObject({
      code: 'bad_response',
      message: expect.stringMatching(/nested more than 128 levels/),
    });
    expect(journalDump(r.engine.journal)).toBe(dump);
    await stillWorks(r);
  },
  CASE_MS,
);
