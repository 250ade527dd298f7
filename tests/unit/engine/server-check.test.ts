// "Test the key" against a real loopback HTTP server that answers like the Comfy Cloud spec
// (tests/fake-cloud did not exist yet when this was written: a tiny node:http server stands in).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectionState, ServerProfile } from '../../../shared/contract';
import { ConnectionMonitor } from '../../../electron/engine/connection';
import { Engine } from '../../../electron/engine/engine';
import { UnavailableSecretStore } from '../../../electron/engine/secrets';
import { checkServer, checkServerDetailed } from '../../../electron/engine/server-check';
import { useTempDirs } from './tmp';

const tempDir = useTempDirs();
const KEY = 'comfyui-goodkey-0123456789';
type Fault = { status: number; body: string; type: string } | 'hang' | null;
let fault: Fault = null;
const seen: { path: string; key: string | undefined }[] = [];

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const key = req.headers['x-api-key'];
  seen.push({ path: req.url ?? '', key: Array.isArray(key) ? key[0] : key });
  if (fault === 'hang') return; // never answers
  if (fault) {
    res.writeHead(fault.status, { 'content-type': fault.type });
    res.end(fault.body);
    return;
  }
  if (req.url === '/api/user') {
    if (key !== KEY) return json(res, 401, { code: 'unauthorized', message: 'Invalid or missing API key' });
    return json(res, 200, { status: 'active', email: 'ada@example.com' });
  }
  if (req.url === '/api/system_stats')
    return json(res, 200, { system: { os: 'posix', comfyui_version: '0.3.60' }, devices: [] });
  json(res, 404, { code: 'not_found', message: 'Not found' });
}

let server: Server;
let url: string;
let closedUrl: string;
beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise<void>((r) => closed.close(() => r()));
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});
beforeEach(() => {
  fault = null;
  seen.length = 0;
});

const cloud = (u = url): ServerProfile => ({ id: 'cloud', name: 'Comfy Cloud', kind: 'cloud', url: u });
const local = (u = url): ServerProfile => ({ id: 'local', name: 'Local ComfyUI', kind: 'local', url: u });

describe('checkServer', () => {
  it('200: ok, with the user, and the key sent as X-API-Key', async () => {
    const result = await checkServer(cloud(), KEY);
    expect(result).toMatchObject({ ok: true, status: 200, user: 'ada@example.com' });
    expect(result.message).toContain('ada@example.com');
    expect(seen).toEqual([{ path: '/api/user', key: KEY }]);
  });

  it('401: explains the key is wrong and where to make one, without echoing the key', async () => {
    const wrong = 'comfyui-wrongkey-999999';
    const result = await checkServer(cloud(), wrong);
    expect(result).toMatchObject({ ok: false, status: 401 });
    expect(result.message).toMatch(/missing, wrong or has been revoked/);
    expect(result.message).toContain('platform.comfy.org');
    expect(result.message).toContain('API Keys');
    expect(result.message).not.toContain(wrong);
  });

  it('no key for Cloud: no request, says to create one', async () => {
    const result = await checkServerDetailed(cloud(), null);
    expect(result.outcome).toBe('no_key');
    expect(result.check.message).toContain('platform.comfy.org');
    expect(seen).toHaveLength(0);
  });

  it.each([
    [402, /enough credits/],
    [429, /subscription is not active|too many requests/],
    [500, /having trouble.*try again later/],
    [503, /having trouble/],
  ])('%i: a message for a person', async (status, pattern) => {
    fault = { status, type: 'application/json', body: JSON.stringify({ code: 'x', message: 'server detail' }) };
    const result = await checkServer(cloud(), KEY);
    expect(result.ok).toBe(false);
    expect(result.status).toBe(status);
    expect(result.message).toMatch(pattern);
  });

  it('an HTML page instead of JSON: not a ComfyUI server', async () => {
    fault = {
      status: 200,
      type: 'text/html; charset=utf-8',
      body: '<!doctype html><html><body>Welcome to nginx</body></html>',
    };
    const result = await checkServer(cloud(), KEY);
    expect(result.ok).toBe(false);
    expect(result.message).toContain('is not a ComfyUI server (it answered with a web page)');
  });

  it('a closed port: unreachable, check the address', async () => {
    const result = await checkServerDetailed(local(closedUrl), null);
    expect(result.outcome).toBe('network');
    expect(result.check.ok).toBe(false);
    expect(result.check.status).toBeUndefined();
    expect(result.check.message).toMatch(/connection refused|Check the address/);
  });

  it('an unknown host name: says the server could not be found', async () => {
    const result = await checkServer(cloud('http://comfy-desk-nonexistent.invalid'), KEY, { timeoutMs: 5000 });
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/could not be found|unreachable/);
  });

  it('a server that never answers: times out as unreachable', async () => {
    fault = 'hang';
    const result = await checkServerDetailed(cloud(), KEY, { timeoutMs: 300 });
    expect(result.outcome).toBe('network');
    expect(result.check.message).toMatch(/did not answer|unreachable/);
  });

  it('local: /api/system_stats without a key, even if one is set', async () => {
    const result = await checkServer(local(), KEY);
    expect(result).toMatchObject({ ok: true, status: 200 });
    expect(result.message).toContain('0.3.60');
    expect(seen).toEqual([{ path: '/api/system_stats', key: undefined }]);
  });
});

describe('ConnectionMonitor and key.test through the engine', () => {
  it('goes online, then unauthorized when the key is wrong, and emits each change once', async () => {
    const engine = await Engine.open({
      shell: 'host',
      dataDir: tempDir(),
      secrets: new UnavailableSecretStore(),
      monitor: false,
      startJobs: false,
    });
    await engine.handlers['profiles.save']({ id: 'cloud', name: 'Comfy Cloud', kind: 'cloud', url });
    const states: ConnectionState[] = [];
    engine.on('connection.changed', (s) => states.push(s));

    expect((await engine.handlers['key.test']({ profileId: 'cloud' })).ok).toBe(false); // no key yet
    expect((await engine.handlers['connection.get']()).state).toBe('no_key');

    await engine.handlers['key.set']({ profileId: 'cloud', key: KEY });
    const ok = await engine.handlers['key.test']({ profileId: 'cloud' });
    expect(ok).toMatchObject({ ok: true, user: 'ada@example.com' });
    expect((await engine.handlers['connection.get']()).state).toBe('online');

    await engine.handlers['key.set']({ profileId: 'cloud', key: 'comfyui-revoked-000000' });
    const refused = await engine.handlers['key.test']({ profileId: 'cloud' });
    expect(refused.status).toBe(401);
    expect((await engine.handlers['connection.get']()).state).toBe('unauthorized');
    expect(states.map((s) => s.state)).toEqual(['no_key', 'connecting', 'online', 'connecting', 'unauthorized']);
    await engine.close();
  });

  it('probes on start and periodically, backs off while offline, and accepts report()', async () => {
    let up = false;
    const changes: string[] = [];
    const probes: number[] = [];
    const monitor = new ConnectionMonitor({
      activeProfileId: () => 'local',
      probe: async () => {
        probes.push(Date.now());
        return checkServerDetailed(up ? local() : local(closedUrl), null);
      },
      onChange: (s) => changes.push(s.state),
      intervalMs: 20,
      maxBackoffMs: 80,
    });
    await monitor.start();
    expect(monitor.state.state).toBe('offline');
    while (probes.length < 4) await new Promise((r) => setTimeout(r, 10));
    up = true;
    while (monitor.state.state !== 'online') await new Promise((r) => setTimeout(r, 10));
    monitor.report({ state: 'offline', message: 'WebSocket closed' });
    expect(monitor.state).toMatchObject({ state: 'offline', message: 'WebSocket closed' });
    monitor.stop();
    const count = probes.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(probes.length).toBe(count); // stopped: no more probes
    expect(changes).toEqual(['offline', 'online', 'offline']);
    // Offline waits grow: interval × 2^(failures-1), capped at maxBackoffMs; online: the interval.
    expect(monitor.delays.slice(0, 4)).toEqual([20, 40, 80, 80]);
    expect(monitor.delays.at(-1)).toBe(20);
  });
});
