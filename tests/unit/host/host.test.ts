// The headless host over real loopback HTTP and WebSocket: the token, the cookie, the Host and
// Origin checks, the bridge carrying the contract, and the security headers.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { WebSocket } from 'ws';
import { Engine } from '../../../electron/engine/engine';
import { startHost, type Host } from '../../../electron/host/server';
import { BRIDGE_COOKIE, type BridgeMessage } from '../../../shared/bridge';
import type { SecretStore } from '../../../electron/engine/secrets';
import { useTempDirs } from '../engine/tmp';

const tempDir = useTempDirs();
const open: { host: Host; engine: Engine }[] = [];
afterEach(async () => {
  for (const { host, engine } of open.splice(0)) {
    await host.close();
    await engine.close();
  }
});

/** No keychain is needed for these tests: the host never touches keys itself. */
const noKeychain: SecretStore = {
  get: async () => null,
  set: async () => {
    throw new Error('no keychain in this test');
  },
  delete: async () => false,
  status: async () => ({ available: false, message: 'not in this test' }),
};

async function start(): Promise<{ host: Host; engine: Engine; cookie: string }> {
  const dir = tempDir();
  const rendererDir = join(dir, 'renderer');
  mkdirSync(join(rendererDir, 'assets'), { recursive: true });
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Comfy Desk</title>');
  writeFileSync(join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  const engine = await Engine.open({
    shell: 'host',
    dataDir: join(dir, 'data'),
    monitor: false,
    secrets: noKeychain,
    startJobs: false,
  });
  const host = await startHost({ engine, rendererDir, token: 'secret-token-for-tests' });
  open.push({ host, engine });
  const login = await request(host.url, { method: 'GET' });
  expect(login.statusCode).toBe(303);
  const setCookie = String(login.headers['set-cookie']);
  expect(setCookie).toContain('HttpOnly');
  expect(setCookie).toContain('SameSite=Strict');
  await login.body.dump();
  return { host, engine, cookie: `${BRIDGE_COOKIE}=secret-token-for-tests` };
}

function bridge(host: Host, headers: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/bridge`, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused ${res.statusCode}`)));
  });
}

function call(ws: WebSocket, id: number, name: string, input?: unknown): Promise<BridgeMessage> {
  return new Promise((resolve) => {
    ws.on('message', function listener(data) {
      const msg = JSON.parse(String(data)) as BridgeMessage;
      if (msg.type === 'result' && msg.id === id) {
        ws.off('message', listener);
        resolve(msg);
      }
    });
    ws.send(JSON.stringify({ type: 'invoke', id, name, input }));
  });
}

describe('headless host', () => {
  it('serves the app only with the token cookie, with a strict CSP and no caching of the page', async () => {
    const { host, cookie } = await start();
    const anonymous = await request(`${host.origin}/`);
    expect(anonymous.statusCode).toBe(401);
    await anonymous.body.dump();
    const wrong = await request(`${host.origin}/?token=nope`);
    expect(wrong.statusCode).toBe(401);
    await wrong.body.dump();
    const page = await request(`${host.origin}/`, { headers: { cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).not.toContain('unsafe');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(await page.body.text()).toContain('Comfy Desk');
  });

  it('refuses other Host names (DNS rebinding) and paths outside the renderer', async () => {
    const { host, cookie } = await start();
    const rebound = await request(`${host.origin}/`, { headers: { cookie, host: 'evil.example:80' } });
    expect(rebound.statusCode).toBe(421);
    await rebound.body.dump();
    const escape = await request(`${host.origin}/assets/..%2f..%2fdata%2fjournal.sqlite3`, { headers: { cookie } });
    expect(escape.statusCode).toBe(404);
    await escape.body.dump();
    const media = await request(`${host.origin}/media/${'a'.repeat(64)}`);
    expect(media.statusCode).toBe(401);
    await media.body.dump();
  });

  it('opens the bridge only for our origin with the cookie, and carries the contract', async () => {
    const { host, cookie } = await start();
    await expect(bridge(host, { origin: host.origin })).rejects.toThrow(/401/);
    await expect(bridge(host, { origin: 'http://evil.example', cookie })).rejects.toThrow(/401/);
    const ws = await bridge(host, { origin: host.origin, cookie });
    const info = await call(ws, 1, 'app.info');
    expect(info).toMatchObject({
      type: 'result',
      id: 1,
      result: { ok: true, value: { name: 'Comfy Desk', shell: 'host' } },
    });
    const bad = await call(ws, 2, 'settings.set', { downloadConcurrency: 0 });
    expect(bad).toMatchObject({ result: { ok: false, error: { code: 'invalid_input' } } });
    const unknown = await call(ws, 3, 'fs.readFile', { path: '/etc/passwd' });
    expect(unknown).toMatchObject({ result: { ok: false, error: { code: 'unknown_command' } } });
    // Events reach the bridge.
    const event = new Promise<BridgeMessage>((resolve) =>
      ws.on('message', (d) => {
        const m = JSON.parse(String(d)) as BridgeMessage;
        if (m.type === 'event') resolve(m);
      }),
    );
    await call(ws, 4, 'settings.set', { theme: 'dark' });
    expect(await event).toMatchObject({ type: 'event', name: 'settings.changed', payload: { theme: 'dark' } });
    ws.close();
  });
});
