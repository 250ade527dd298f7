// The headless host over real loopback HTTP and WebSocket: the token, the cookie, the Host and
// Origin checks, the bridge carrying the contract, and the security headers.
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { bridge, call, useHosts } from './harness';
import type { BridgeMessage } from '../../../shared/bridge';

const start = useHosts();

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
    // The bridge is the only WebSocket the page may open.
    expect(page.headers['content-security-policy']).toContain(`connect-src 'self' ws://${host.address}:${host.port};`);
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(await page.body.text()).toContain('Comfy Desk');
  });

  it('listens on a loopback address of its own, with the port in the cookie name', async () => {
    const a = await start();
    const b = await start();
    for (const { host } of [a, b]) {
      expect(host.address).toMatch(/^127\.\d+\.\d+\.\d+$/);
      // Linux binds all of 127.0.0.0/8: the cookie is not shared with services on 127.0.0.1.
      if (process.platform === 'linux') expect(host.address).not.toBe('127.0.0.1');
      expect(host.origin).toBe(`http://${host.address}:${host.port}`);
      expect(host.url).toBe(`${host.origin}/?token=secret-token-for-tests`);
    }
    // Same token, another host's cookie: it does not sign in here.
    const other = await request(`${a.host.origin}/`, { headers: { cookie: b.cookie } });
    expect(other.statusCode).toBe(401);
    await other.body.dump();
  });

  it('takes a fixed address, as where 127.0.0.1 is all the system has', async () => {
    const { host, cookie } = await start({ address: '127.0.0.1' });
    expect(host.origin).toBe(`http://127.0.0.1:${host.port}`);
    const page = await request(`${host.origin}/`, { headers: { cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain(`connect-src 'self' ws://127.0.0.1:${host.port};`);
    await page.body.dump();
  });

  it('refuses other Host names (DNS rebinding) and paths outside the renderer', async () => {
    const { host, cookie } = await start();
    const rebound = await request(`${host.origin}/`, { headers: { cookie, host: 'evil.example:80' } });
    expect(rebound.statusCode).toBe(421);
    await rebound.body.dump();
    // localhost names 127.0.0.1, which is not where the host and its cookie live.
    const local = await request(`${host.origin}/`, { headers: { cookie, host: `localhost:${host.port}` } });
    expect(local.statusCode).toBe(421);
    await local.body.dump();
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
