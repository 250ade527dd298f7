// A server that closes the socket in the middle of a body the engine does not read (a redirect's, a
// refusal's): the engine drops that body, and its error must never become an uncaught exception
// (undici's SocketError "other side closed", which crashed `npm run bench downloads`). The download
// itself goes on: the redirect is followed, the refusal reported.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, expect } from 'vitest';
import { ComfyHttp } from '../../electron/engine/cloud/http';
import { OutputStore, downloadTo } from '../../electron/engine/store';
import { hostile, newTempDir } from './harness';

const FILE = Buffer.alloc(256 * 1024, 7);
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

const close: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of close.splice(0)) await fn().catch(() => undefined);
});

/** Answers /api/view with `head` and part of a body it promised longer, then closes the socket. */
async function cutServer(head: (origin: string) => string): Promise<string> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith('/storage')) {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': FILE.length });
      res.end(FILE);
      return;
    }
    const socket = res.socket!;
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    socket.write(`${head(origin)}\r\ncontent-length: 100000\r\n\r\n${'x'.repeat(500)}`);
    // Later than the headers: the body is being read when the socket goes.
    setTimeout(() => socket.destroy(), 30);
  });
  server.on('connection', (s) => sockets.add(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  close.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Runs `fn` and returns every error that reached the process uncaught meanwhile (and a moment after). */
async function uncaught(fn: () => Promise<void>): Promise<unknown[]> {
  const errors: unknown[] = [];
  const onError = (err: unknown): void => void errors.push(err);
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onError);
  try {
    await fn();
    await new Promise((resolve) => setTimeout(resolve, 200));
  } finally {
    process.off('uncaughtException', onError);
    process.off('unhandledRejection', onError);
  }
  return errors;
}

const REF = { filename: 'a.png', subfolder: '', type: 'output' };

hostile('downloads', 'a redirect whose body is cut by the server: followed, nothing uncaught', async () => {
  const url = await cutServer((origin) => `HTTP/1.1 302 Found\r\nlocation: ${origin}/storage/a.png`);
  const http = new ComfyHttp({ kind: 'local', url }, { apiKey: () => Promise.resolve(null) });
  close.push(() => http.close());
  const store = new OutputStore(join(newTempDir(), 'store'));
  const errors = await uncaught(async () => {
    const stored = await downloadTo(store, 'cut-redirect', (offset, signal) => http.openView(REF, offset, signal));
    expect(stored.hash).toBe(sha256(FILE));
  });
  expect(errors).toEqual([]);
});

hostile('downloads', 'a refusal whose body is cut by the server: reported, nothing uncaught', async () => {
  const url = await cutServer(() => 'HTTP/1.1 503 Service Unavailable');
  const http = new ComfyHttp({ kind: 'local', url }, { apiKey: () => Promise.resolve(null) });
  close.push(() => http.close());
  const errors = await uncaught(async () => {
    await expect(http.openView(REF)).rejects.toMatchObject({ status: 503 });
  });
  expect(errors).toEqual([]);
});
