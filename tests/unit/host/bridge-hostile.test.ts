// The bridge under attack, over real loopback: large requests in parts, a frame over the limit,
// garbage of every kind. None of it may end the process (vitest fails the run on an uncaught
// error), and after each the host still serves: the same socket where it stays open, and a new one.
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { WebSocket } from 'ws';
import {
  BRIDGE_MAX_REQUEST_CHARS,
  BRIDGE_PART_CHARS,
  requestFrames,
  type BridgeMessage,
  type BridgePart,
} from '../../../shared/bridge';
import type { CommandHandlers } from '../../../shared/contract';
import { call, resultFor, signedIn, useHosts, type Started } from './harness';

const start = useHosts();
const MiB = 1024 * 1024;

let nextId = 1000;
const id = (): number => nextId++;
const part = (p: Omit<BridgePart, 'type'>): string => JSON.stringify({ type: 'part', ...p });

/** The socket still carries the contract, and the host still serves a new one and HTTP. */
async function stillServing(started: Started, ws?: WebSocket): Promise<void> {
  const sockets = ws ? [ws, await signedIn(started)] : [await signedIn(started)];
  for (const socket of sockets) {
    expect(await call(socket, id(), 'app.info')).toMatchObject({ result: { ok: true, value: { shell: 'host' } } });
  }
  sockets.at(-1)!.close();
  const page = await request(`${started.host.origin}/`, { headers: { cookie: started.cookie } });
  expect(page.statusCode).toBe(200);
  await page.body.dump();
}

/** Every result frame a socket receives, in order. */
function results(ws: WebSocket): BridgeMessage[] {
  const seen: BridgeMessage[] = [];
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data)) as BridgeMessage;
    if (msg.type === 'result') seen.push(msg);
  });
  return seen;
}

function closed(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)));
}

const refused = (message: RegExp) => ({ type: 'result', result: { ok: false, error: { message } } });

describe('bridge: large requests in parts', () => {
  it('carries a 48 MiB upload to the handler intact, in parts, and answers it', async () => {
    const started = await start();
    let received: unknown;
    const handlers = started.engine.handlers as Record<keyof CommandHandlers, (input: unknown) => unknown>;
    const upload = handlers['uploads.image'];
    handlers['uploads.image'] = (input) => {
      received = input;
      return upload(input);
    };
    const data = randomBytes(48 * MiB).toString('base64');
    const input = { name: 'big.png', data, kind: 'image' };
    const frames = requestFrames({ type: 'invoke', id: 1, name: 'uploads.image', input })!;
    expect(frames.length).toBeGreaterThan(30);
    expect(Math.max(...frames.map((f) => Buffer.byteLength(f)))).toBeLessThan(8 * MiB);

    const ws = await signedIn(started);
    const answer = await call(ws, 1, 'uploads.image', input);
    // No server runs here: the handler fails as it would offline, and says so.
    expect(answer).toMatchObject({ type: 'result', id: 1, result: { ok: false } });
    const got = received as typeof input;
    expect(got.data.length).toBe(data.length);
    expect(createHash('sha256').update(got.data).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    await stillServing(started, ws);
  });

  it('refuses a request over the cap, keeps the socket, and ignores the rest of its parts', async () => {
    const started = await start();
    const ws = await signedIn(started);
    const seen = results(ws);
    const chunk = 'a'.repeat(BRIDGE_PART_CHARS);
    const count = Math.ceil(BRIDGE_MAX_REQUEST_CHARS / BRIDGE_PART_CHARS) + 2;
    for (let seq = 0; seq < count; seq++) ws.send(part({ id: 7, seq, last: seq === count - 1, data: chunk }));
    await stillServing(started, ws);
    const answers = seen.filter((m) => m.type === 'result' && m.id === 7);
    expect(answers).toHaveLength(1);
    expect(answers[0]).toMatchObject(refused(/too large/));
  });

  it('refuses parts out of order, with wrong types, or that do not make an invoke', async () => {
    const started = await start();
    const ws = await signedIn(started);
    const outOfOrder = resultFor(ws, 1);
    ws.send(part({ id: 1, seq: 0, last: false, data: '{"type":"invoke",' }));
    ws.send(part({ id: 1, seq: 2, last: true, data: '"id":1,"name":"app.info"}' }));
    expect(await outOfOrder).toMatchObject(refused(/out of order/));

    const wrongTypes = resultFor(ws, 2);
    ws.send(JSON.stringify({ type: 'part', id: 2, seq: '0', last: 'yes', data: 42 }));
    expect(await wrongTypes).toMatchObject(refused(/malformed/));

    const otherId = resultFor(ws, 3);
    ws.send(part({ id: 3, seq: 0, last: true, data: JSON.stringify({ type: 'invoke', id: 4, name: 'app.info' }) }));
    expect(await otherId).toMatchObject(refused(/malformed/));

    const notJson = resultFor(ws, 5);
    ws.send(part({ id: 5, seq: 0, last: false, data: '{"type":"invoke","id":5,' }));
    ws.send(part({ id: 5, seq: 1, last: true, data: 'oops' }));
    expect(await notJson).toMatchObject(refused(/malformed/));

    // A single part that is a whole request is answered like any request.
    const whole = resultFor(ws, 6);
    ws.send(part({ id: 6, seq: 0, last: true, data: JSON.stringify({ type: 'invoke', id: 6, name: 'app.info' }) }));
    expect(await whole).toMatchObject({ result: { ok: true } });
    await stillServing(started, ws);
  });

  it('survives a part stream that never ends: other requests go on, and closing frees it', async () => {
    const started = await start();
    const ws = await signedIn(started);
    ws.send(part({ id: 1, seq: 0, last: false, data: '{"type":"invoke","id":1,"name":"app.info","input":"' }));
    ws.send(part({ id: 1, seq: 1, last: false, data: 'x'.repeat(MiB) }));
    await stillServing(started, ws);
    const gone = closed(ws);
    ws.close();
    await gone;
    await stillServing(started);
  });

  it('refuses more than a few part streams at once on one socket (1,000 tried)', async () => {
    const started = await start();
    const ws = await signedIn(started);
    const seen = results(ws);
    for (let i = 1; i <= 1000; i++) ws.send(part({ id: i, seq: 0, last: false, data: 'x'.repeat(1000) }));
    await stillServing(started, ws);
    const tooMany = seen.filter((m) => /Too many/.test(JSON.stringify(m)));
    expect(tooMany.map((m) => (m.type === 'result' ? m.id : 0))).toEqual(Array.from({ length: 996 }, (_, i) => i + 5));
    // The four accepted streams are still open and can be finished.
    const first = resultFor(ws, 1);
    ws.send(part({ id: 1, seq: 1, last: true, data: '' }));
    expect(await first).toMatchObject(refused(/malformed/));
  });
});

describe('bridge: frames over the limit and garbage', () => {
  it('closes a socket that sends a 70 MiB frame with 1009; other sockets and the host go on', async () => {
    const started = await start();
    const bystander = await signedIn(started);
    const attacker = await signedIn(started);
    attacker.on('error', () => {}); // the host may reset it while the frame is still going out
    const code = closed(attacker);
    attacker.send(JSON.stringify({ type: 'invoke', id: 1, name: 'app.info', input: 'x'.repeat(70 * MiB) }));
    expect(await code).toBe(1009);
    await stillServing(started, bystander);
  });

  it('ignores binary frames', async () => {
    const started = await start();
    const ws = await signedIn(started);
    const seen = results(ws);
    ws.send(Buffer.from(JSON.stringify({ type: 'invoke', id: 1, name: 'app.info' })));
    ws.send(randomBytes(4096));
    await stillServing(started, ws);
    expect(seen.some((m) => m.type === 'result' && m.id === 1)).toBe(false);
  });

  it('ignores text that is not JSON, or JSON that is not an object', async () => {
    const started = await start();
    const ws = await signedIn(started);
    const seen = results(ws);
    for (const frame of [
      '',
      'not json',
      '{"type":"invoke",',
      'null',
      '[]',
      '"invoke"',
      '42',
      'true',
      '[{"type":"invoke","id":1}]',
    ]) {
      ws.send(frame);
    }
    await stillServing(started, ws);
    expect(seen).toHaveLength(1); // the app.info of stillServing
  });

  it('ignores invokes without a usable id, and answers one with wrong types', async () => {
    const started = await start();
    const ws = await signedIn(started);
    const seen = results(ws);
    for (const badId of ['x', 1e300, 2 ** 60, 1.5, null, { n: 1 }, [1]]) {
      ws.send(JSON.stringify({ type: 'invoke', id: badId, name: 'app.info' }));
    }
    ws.send(JSON.stringify({ type: 'invoke', id: 'x' }));
    ws.send(JSON.stringify({ type: 'nonsense', id: 9 }));
    const wrong = await call(ws, 2, 42 as unknown as string, { input: [1, 2] });
    expect(wrong).toMatchObject({ result: { ok: false, error: { code: 'unknown_command' } } });
    // A name that cannot even be turned into text fails inside dispatch: still answered.
    const unprintable = await call(ws, 3, { toString: 1 } as unknown as string);
    expect(unprintable).toMatchObject({ result: { ok: false, error: { code: 'internal' } } });
    await stillServing(started, ws);
    expect(seen.map((m) => (m.type === 'result' ? m.id : null)).slice(0, 2)).toEqual([2, 3]);
    expect(seen).toHaveLength(3);
  });

  it('ignores deeply nested JSON (10,000 levels), whole or in parts', async () => {
    const started = await start();
    const ws = await signedIn(started);
    const seen = results(ws);
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    ws.send(deep);
    ws.send(`{"type":"invoke","id":1,"name":${deep}}`);
    ws.send(`{"type":"invoke","id":2,"name":"settings.set","input":{"a":${deep}}}`);
    const inParts = resultFor(ws, 3);
    const text = `{"type":"invoke","id":3,"name":"app.info","input":${deep}}`;
    ws.send(part({ id: 3, seq: 0, last: false, data: text.slice(0, 100) }));
    ws.send(part({ id: 3, seq: 1, last: true, data: text.slice(100) }));
    expect(await inParts).toMatchObject(refused(/malformed/));
    await stillServing(started, ws);
    expect(seen.filter((m) => m.type === 'result' && (m.id === 1 || m.id === 2))).toEqual([]);
  });

  it('keeps nesting within the limit working (contract JSON values nest up to 64)', async () => {
    const started = await start();
    const ws = await signedIn(started);
    const nested = JSON.parse('['.repeat(60) + ']'.repeat(60)) as unknown;
    const answer = await call(ws, 1, 'workflows.inspect', { workflow: { a: nested } });
    // The engine judges the workflow; the bridge carried it.
    expect(answer).toMatchObject({ type: 'result', id: 1 });
    await stillServing(started, ws);
  });

  it('survives malformed upgrades and HTTP paths, and a media handler that throws', async () => {
    const started = await start();
    const { host, cookie, engine } = started;
    // An upgrade whose path is not a URL at all.
    const raw = connect(host.port, host.address);
    raw.on('error', () => {});
    const answered = new Promise<string>((resolve) => {
      let text = '';
      raw.on('data', (d: Buffer) => (text += d.toString()));
      raw.on('close', () => resolve(text));
    });
    raw.write(
      `GET //[ HTTP/1.1\r\nHost: ${host.address}:${host.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n\r\n`,
    );
    expect(await answered).not.toContain('101 Switching');

    const badPath = await request(`${host.origin}/assets/%E0%A4%A`, { headers: { cookie } });
    expect(badPath.statusCode).toBe(404);
    await badPath.body.dump();

    const media = engine as { media: Started['engine']['media'] };
    media.media = () => Promise.reject(new Error('the disk went away'));
    const failed = await request(`${host.origin}/media/${'a'.repeat(64)}`, { headers: { cookie } });
    expect(failed.statusCode).toBe(500);
    await failed.body.dump();
    // /media/ keeps its checks: no cookie, no media; a name that is not a hash, none either.
    const anonymous = await request(`${host.origin}/media/${'a'.repeat(64)}`);
    expect(anonymous.statusCode).toBe(401);
    await anonymous.body.dump();
    const notHash = await request(`${host.origin}/media/..%2f..%2fdata`, { headers: { cookie } });
    expect(notHash.statusCode).toBe(404);
    await notHash.body.dump();
    await stillServing(started);
  });
});
