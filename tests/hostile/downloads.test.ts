// Output downloads against a hostile storage: bodies cut short (with and without a length), web
// pages served as PNGs, lying 206s on resume, trickles and stalls, redirects to odd places, refusals,
// and file names that try to be paths. A stored output is always the server's exact bytes; a bad
// one is failed (or retried) with a reason a person can read; the key never reaches storage.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { expect } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import type { JobsTimings } from '../../electron/engine/jobs/module';
import type { OutputItem } from '../../shared/jobs';
import type { FakeCloud } from '../fake-cloud/index';
import { FAST, memorySecrets } from '../unit/jobs/cloud-harness';
import {
  assertConsistent,
  basicWorkflow,
  collect,
  finalJob,
  hostile,
  newTempDir,
  onCleanup,
  startCloud,
  storedOutputs,
  waitFor,
  tree,
  type Rig,
} from './harness';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const CASE_MS = 30_000;
/** Short watchdog timings: a download that gets fewer than 64 bytes in 300 ms has stalled. */
const LIMITS = { stallWindowMs: 300, minBytesPerWindow: 64, deadlineBaseMs: 10_000 };

/** An engine like the harness's (openEngine), with short download limits. */
async function openAt(dir: string, cloud: FakeCloud, timings: JobsTimings = {}): Promise<Engine> {
  const engine = await Engine.open({
    shell: 'host',
    dataDir: dir,
    monitor: false,
    secrets: memorySecrets({ cloud: cloud.apiKey }),
    cloudUrl: cloud.url,
    timings: { ...FAST, downloadLimits: LIMITS, ...timings },
    startJobs: false,
  });
  onCleanup(() => engine.close());
  engine.settings.setSettings({ activeProfileId: 'cloud' });
  await engine.jobs.start();
  return engine;
}

async function dlRig(): Promise<Rig> {
  const cloud = await startCloud();
  const dir = newTempDir();
  return { cloud, engine: await openAt(dir, cloud), dir };
}

async function submit(r: Rig, name = 'hostile'): Promise<string> {
  await waitFor(() => r.engine.jobs.socketStateOf('cloud') === 'open', 'the socket to open');
  const [job] = await r.engine.handlers['jobs.submit']({ workflow: basicWorkflow(), name });
  const done = await waitFor(() => finalJob(r.engine, job!.id), 'the job to finish');
  expect(done.state).toBe('completed');
  return job!.id;
}

/** The job's one output, once its download has ended (stored or failed). */
async function settled(r: Rig, id: string, state?: 'stored' | 'failed'): Promise<OutputItem> {
  return waitFor(
    () => {
      const [o] = r.engine.jobs.journal.outputs(id);
      return o && (state ? o.state === state : o.state === 'stored' || o.state === 'failed') ? o : null;
    },
    `the download to end${state ? ` ${state}` : ''}`,
  );
}

/** Every stored output holds exactly the server's bytes, and the store's file is what its hash says. */
function assertStoredRight(r: Rig, outputs: OutputItem[]): void {
  for (const o of outputs) {
    expect(o.state).toBe('stored');
    expect(o.hash).toBe(sha256(r.cloud.fileBytes(o)!));
    expect(sha256(readFileSync(r.engine.jobs.store.pathOf(o.hash!)))).toBe(o.hash);
  }
}

/** Whatever happened, every 'stored' the person was told of had the server's real hash. */
function assertNoBadStore(r: Rig, changes: OutputItem[]): void {
  for (const c of changes.filter((x) => x.state === 'stored')) expect(c.hash).toBe(sha256(r.cloud.fileBytes(c)!));
}

/** The key never reached signed storage: no header carries it, no URL has it or a token. */
function assertNoKeyAtStorage(cloud: FakeCloud): void {
  const signed = cloud.requests.filter((q) => q.origin === 'signed');
  for (const q of signed) {
    expect(q.headers['x-api-key']).toBeUndefined();
    expect(q.headers.authorization).toBeUndefined();
    expect(JSON.stringify(q.headers)).not.toContain(cloud.apiKey);
    expect(q.url).not.toContain(cloud.apiKey);
    expect(q.url).not.toMatch(/token=/);
  }
}

/** A new download round (what a restart or a reconnect does) with no fault left: stored right. */
async function nextRoundStores(r: Rig, id: string): Promise<void> {
  r.cloud.clearFaults();
  r.engine.jobs.downloads.resumeAll();
  const outputs = await waitFor(() => storedOutputs(r.engine, id), 'the output stored on the next round');
  assertStoredRight(r, outputs);
  assertNoKeyAtStorage(r.cloud);
  assertConsistent(r.engine);
}

const signedGets = (cloud: FakeCloud) => cloud.requests.filter((q) => q.origin === 'signed');
const viewGets = (cloud: FakeCloud) =>
  cloud.requests.filter((q) => q.origin === 'api' && q.url.startsWith('/api/view'));

// ---------------------------------------------------------------- bodies cut short

hostile(
  'downloads',
  'a body cut short without a Content-Length: never stored as good; stored right on the next round',
  async () => {
    const r = await dlRig();
    const changes = collect(r.engine, 'output.changed');
    r.cloud.fault({ path: '/signed/', noContentLength: true, truncateAfterBytes: 300, times: 10 });
    const id = await submit(r);
    const failed = await settled(r, id);
    expect(failed.state).toBe('failed');
    expect(failed.hash).toBeNull();
    expect(failed.error).toMatch(/ComfyUI_\d+_\.png/);
    assertNoBadStore(r, changes);
    expect(changes.some((c) => c.id === failed.id && c.state === 'failed' && c.error)).toBe(true);
    assertConsistent(r.engine);
    await nextRoundStores(r, id);
    assertNoBadStore(r, changes);
  },
  CASE_MS,
);

hostile(
  'downloads',
  'a body cut short with a Content-Length: retried, then stored with the real bytes',
  async () => {
    const r = await dlRig();
    const changes = collect(r.engine, 'output.changed');
    r.cloud.fault({ path: '/signed/', truncateAfterBytes: 300, times: 2 });
    const id = await submit(r);
    const stored = await settled(r, id, 'stored');
    assertStoredRight(r, [stored]);
    assertNoBadStore(r, changes);
    // While it retried, the person was told why.
    expect(changes.some((c) => c.state === 'downloading' && c.error)).toBe(true);
    expect(signedGets(r.cloud).length).toBeGreaterThanOrEqual(3);
    assertNoKeyAtStorage(r.cloud);
    assertConsistent(r.engine);
  },
  CASE_MS,
);

hostile(
  'downloads',
  'an empty body (0 bytes, no length) served as the PNG: failed as empty, never stored',
  async () => {
    const r = await dlRig();
    const changes = collect(r.engine, 'output.changed');
    r.cloud.fault({ path: '/signed/', noContentLength: true, truncateAfterBytes: 0, times: 10 });
    const id = await submit(r);
    const failed = await settled(r, id);
    expect(failed.state).toBe('failed');
    expect(failed.error).toMatch(/empty/);
    assertNoBadStore(r, changes);
    await nextRoundStores(r, id);
  },
  CASE_MS,
);

hostile(
  'downloads',
  'an HTML page served as the PNG: failed at once, its error says it is a web page',
  async () => {
    const r = await dlRig();
    const changes = collect(r.engine, 'output.changed');
    r.cloud.fault({ path: '/signed/', html: true, times: 10 });
    const id = await submit(r);
    const failed = await settled(r, id);
    expect(failed.state).toBe('failed');
    expect(failed.error).toMatch(/web page/);
    expect(failed.hash).toBeNull();
    assertNoBadStore(r, changes);
    // A web page will not turn into the image by asking again.
    expect(signedGets(r.cloud)).toHaveLength(1);
    await nextRoundStores(r, id);
  },
  CASE_MS,
);

// ---------------------------------------------------------------- resume

/** Makes the output fail at once (a 404), so that its id is known and nothing is downloading. */
async function failedOutput(r: Rig): Promise<{ id: string; output: OutputItem; bytes: Buffer }> {
  r.cloud.fault({ path: '/signed/', status: 404 });
  const id = await submit(r);
  const output = await settled(r, id, 'failed');
  const bytes = r.cloud.fileBytes(output)!;
  expect(bytes.length).toBeGreaterThan(8_192); // large enough for a resume with an overlap check
  return { id, output, bytes };
}

hostile(
  'downloads',
  'a lying 206 on resume (bytes from 0 under a Content-Range for the rest): detected, started over, stored right',
  async () => {
    const r = await dlRig();
    const { id, output, bytes } = await failedOutput(r);
    const part = r.engine.jobs.store.partPathOf(`output-${output.id}`);
    const have = Math.floor(bytes.length * 0.6);
    writeFileSync(part, bytes.subarray(0, have));
    const changes = collect(r.engine, 'output.changed');
    r.cloud.fault({ path: '/signed/', lieRange: true, times: 1 });
    const before = signedGets(r.cloud).length;
    r.engine.jobs.downloads.resumeAll();
    const stored = await settled(r, id, 'stored');
    assertStoredRight(r, [stored]);
    expect(stored.hash).toBe(sha256(bytes));
    // It did resume (a Range request), and the lie was told to the person while it started over.
    const ranged = signedGets(r.cloud)
      .slice(before)
      .map((q) => q.headers.range);
    expect(ranged[0]).toMatch(/^bytes=[1-9]\d*-$/);
    expect(ranged.at(-1)).toBeUndefined();
    expect(changes.some((c) => c.state === 'downloading' && /other bytes|starting over/.test(c.error ?? ''))).toBe(
      true,
    );
    expect(existsSync(part)).toBe(false);
    assertNoBadStore(r, changes);
    assertNoKeyAtStorage(r.cloud);
    assertConsistent(r.engine);
  },
  CASE_MS,
);

hostile(
  'downloads',
  'the app closed mid-download, then a lying 206 when it resumes after a restart: stored right',
  async () => {
    const cloud = await startCloud();
    const dir = newTempDir();
    const first: Rig = { cloud, engine: await openAt(dir, cloud), dir };
    cloud.fault({ path: '/signed/', bytesPerSecond: 4_000 });
    const id = await submit(first);
    const output = await waitFor(() => first.engine.jobs.journal.outputs(id)[0], 'the output');
    const part = first.engine.jobs.store.partPathOf(`output-${output.id}`);
    const bytes = cloud.fileBytes(output)!;
    await waitFor(() => existsSync(part) && statSync(part).size > bytes.length / 2, 'half of the file');
    await first.engine.close(); // mid-download: the partial stays, the output stays 'downloading'
    const have = statSync(part).size;
    expect(have).toBeLessThan(bytes.length);
    cloud.fault({ path: '/signed/', lieRange: true });
    const before = signedGets(cloud).length;
    const r: Rig = { cloud, engine: await openAt(dir, cloud), dir };
    const stored = await settled(r, id, 'stored');
    expect(stored.hash).toBe(sha256(bytes));
    assertStoredRight(r, [stored]);
    const ranges = signedGets(cloud)
      .slice(before)
      .map((q) => q.headers.range);
    expect(ranges[0]).toMatch(/^bytes=[1-9]\d*-$/);
    expect(ranges.length).toBeGreaterThanOrEqual(2); // the lie was caught, and it started over
    expect(existsSync(part)).toBe(false);
    assertNoKeyAtStorage(cloud);
    assertConsistent(r.engine);
  },
  CASE_MS,
);

hostile(
  'downloads',
  'a partial file left by a crash holding other bytes than the server has: thrown away, stored right',
  async () => {
    const r = await dlRig();
    const { id, output, bytes } = await failedOutput(r);
    const part = r.engine.jobs.store.partPathOf(`output-${output.id}`);
    const garbage = Buffer.alloc(Math.floor(bytes.length * 0.6), 0x5a);
    writeFileSync(part, garbage);
    r.engine.jobs.downloads.resumeAll();
    const stored = await settled(r, id, 'stored');
    expect(stored.hash).toBe(sha256(bytes));
    assertStoredRight(r, [stored]);
    assertConsistent(r.engine);
  },
  CASE_MS,
);

// ---------------------------------------------------------------- trickles and stalls

for (const [label, rule] of [
  ['a trickle (one byte every 20 ms)', { trickleMs: 20 }],
  ['a stall (Content-Length 2,000,000,000, then nothing)', { stallWithLength: 2_000_000_000 }],
] as const) {
  hostile(
    'downloads',
    `${label}: cut within the stall window, the person told while it retries, failed saying it stalled`,
    async () => {
      const r = await dlRig();
      const changes = collect(r.engine, 'output.changed');
      r.cloud.fault({ path: '/signed/', ...rule, times: FAST.downloadAttempts });
      const started = Date.now();
      const id = await submit(r);
      const failed = await settled(r, id);
      expect(failed.state).toBe('failed');
      expect(failed.error).toMatch(/stalled/);
      // Four attempts, each cut after one 300 ms window (plus short backoffs): not a minute each.
      expect(Date.now() - started).toBeLessThan(5_000);
      const told = changes.filter((c) => c.state === 'downloading' && /stalled/.test(c.error ?? ''));
      expect(told.length).toBeGreaterThanOrEqual(1);
      expect(told[0]!.error).toMatch(/trying again/);
      expect(signedGets(r.cloud)).toHaveLength(FAST.downloadAttempts);
      assertNoBadStore(r, changes);
      await nextRoundStores(r, id);
    },
    CASE_MS,
  );
}

hostile(
  'downloads',
  'slow but steady (20 KB/s): not mistaken for a stall, stored right',
  async () => {
    const r = await dlRig();
    r.cloud.fault({ path: '/signed/', bytesPerSecond: 20_000 });
    const id = await submit(r);
    const stored = await settled(r, id);
    expect(stored.state).toBe('stored');
    assertStoredRight(r, [stored]);
    expect(signedGets(r.cloud)).toHaveLength(1);
    assertNoKeyAtStorage(r.cloud);
  },
  CASE_MS,
);

// ---------------------------------------------------------------- redirects and refusals

hostile(
  'downloads',
  'a 302 to a non-http location (file:, javascript:, data:, ftp:): refused at once, never followed',
  async () => {
    const r = await dlRig();
    const locations = [
      'file:///etc/passwd',
      'javascript:alert(1)',
      'data:image/png;base64,iVBORw0KGgo=',
      'ftp://127.0.0.1/x',
    ];
    r.cloud.fault({ method: 'GET', path: '/view', status: 302, headers: { Location: locations[0]! } });
    const id = await submit(r);
    let failed = await settled(r, id, 'failed');
    expect(failed.error).toMatch(/unsupported address/);
    for (const location of locations.slice(1)) {
      const views = viewGets(r.cloud).length;
      r.cloud.fault({ method: 'GET', path: '/view', status: 302, headers: { Location: location } });
      r.engine.jobs.downloads.resumeAll();
      await waitFor(() => viewGets(r.cloud).length > views, 'the next round');
      failed = await settled(r, id, 'failed');
      expect(failed.error).toMatch(/unsupported address/);
      expect(viewGets(r.cloud)).toHaveLength(views + 1); // not retried
    }
    expect(signedGets(r.cloud)).toHaveLength(0);
    await nextRoundStores(r, id);
  },
  CASE_MS,
);

hostile(
  'downloads',
  'a 302 without a Location: failed at once, saying so',
  async () => {
    const r = await dlRig();
    r.cloud.fault({ method: 'GET', path: '/view', status: 302, times: 10 });
    const id = await submit(r);
    const failed = await settled(r, id);
    expect(failed.state).toBe('failed');
    expect(failed.error).toMatch(/without a location/);
    expect(viewGets(r.cloud)).toHaveLength(1);
    await nextRoundStores(r, id);
  },
  CASE_MS,
);

hostile(
  'downloads',
  'a 302 to a third-party host: followed without the key (no header, no token), its 404 fails the output',
  async () => {
    const r = await dlRig();
    const seen: IncomingMessage[] = [];
    const thief = createServer((req, res) => {
      seen.push(req);
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('nothing here');
    });
    await new Promise<void>((resolve) => thief.listen(0, '127.0.0.1', resolve));
    onCleanup(() => new Promise((resolve) => thief.close(() => resolve())));
    const port = (thief.address() as AddressInfo).port;
    r.cloud.fault({
      method: 'GET',
      path: '/view',
      status: 302,
      headers: { Location: `http://127.0.0.1:${port}/steal?from=desk` },
    });
    const id = await submit(r);
    const failed = await settled(r, id, 'failed');
    expect(failed.error).toMatch(/404/);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers['x-api-key']).toBeUndefined();
    expect(seen[0]!.headers.authorization).toBeUndefined();
    expect(JSON.stringify(seen[0]!.headers)).not.toContain(r.cloud.apiKey);
    expect(seen[0]!.url).not.toContain(r.cloud.apiKey);
    await nextRoundStores(r, id);
  },
  CASE_MS,
);

hostile(
  'downloads',
  'a 404 from storage: failed at once (one request, not one per attempt), saying not found',
  async () => {
    const r = await dlRig();
    r.cloud.fault({ path: '/signed/', status: 404, times: 10 });
    const id = await submit(r);
    const failed = await settled(r, id);
    expect(failed.state).toBe('failed');
    expect(failed.error).toMatch(/404/);
    await sleep(200); // time for a retry that should not come
    expect(signedGets(r.cloud)).toHaveLength(1);
    await nextRoundStores(r, id);
  },
  CASE_MS,
);

hostile(
  'downloads',
  'a 503 from storage with Retry-After: 1: the next attempt waits the second, then stores',
  async () => {
    const r = await dlRig();
    r.cloud.fault({ path: '/signed/', status: 503, headers: { 'Retry-After': '1' } });
    const id = await submit(r);
    const stored = await settled(r, id, 'stored');
    assertStoredRight(r, [stored]);
    const [first, second] = signedGets(r.cloud);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(1_000);
    assertNoKeyAtStorage(r.cloud);
  },
  CASE_MS,
);

// ---------------------------------------------------------------- file names

hostile(
  'downloads',
  'hostile file names (../../evil.png, /etc/passwd): stored by hash, nothing written outside the store',
  async () => {
    const r = await dlRig();
    const parent = join(r.dir, '..');
    const around = readdirSync(parent);
    const passwd = readFileSync('/etc/passwd');
    const before = tree(r.dir);
    r.cloud.hostileFilenames(true);
    const ids = [await submit(r, 'evil 1'), await submit(r, 'evil 2')];
    const outputs = [];
    for (const id of ids) outputs.push(...(await waitFor(() => storedOutputs(r.engine, id), 'outputs stored')));
    expect(outputs.map((o) => o.filename).sort()).toEqual(['../../evil.png', '/etc/passwd']);
    assertStoredRight(r, outputs);
    for (const o of outputs) {
      expect(r.engine.jobs.store.pathOf(o.hash!).startsWith(join(r.dir, 'store', 'objects'))).toBe(true);
    }
    const added = tree(r.dir).filter((f) => !before.includes(f));
    expect(
      added.filter((f) => !/^(journal\.sqlite3(-wal|-shm)?|logs\/.+|store\/(objects|thumbs)\/.+)$/.test(f)),
    ).toEqual([]);
    expect(tree(r.dir).some((f) => /evil|passwd/.test(f))).toBe(false);
    expect(readdirSync(parent).filter((f) => !around.includes(f) && /evil|passwd/.test(f))).toEqual([]);
    expect(readFileSync('/etc/passwd').equals(passwd)).toBe(true);
    assertNoKeyAtStorage(r.cloud);
    assertConsistent(r.engine);
  },
  CASE_MS,
);
