// A real headless host over loopback, with a real engine in a temp data folder, and a bridge
// client that sends the same frames the renderer's desk.ts does.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect } from 'vitest';
import { request } from 'undici';
import { WebSocket } from 'ws';
import { Engine } from '../../../electron/engine/engine';
import { startHost, type Host, type HostOptions } from '../../../electron/host/server';
import { bridgeCookie, requestFrames, type BridgeMessage } from '../../../shared/bridge';
import type { SecretStore } from '../../../electron/engine/secrets';
import { useTempDirs } from '../engine/tmp';

export const TOKEN = 'secret-token-for-tests';

export interface Started {
  host: Host;
  engine: Engine;
  /** The Cookie header of a signed-in page. */
  cookie: string;
}

/** No keychain is needed for these tests: the host never touches keys itself. */
const noKeychain: SecretStore = {
  get: async () => null,
  set: async () => {
    throw new Error('no keychain in this test');
  },
  delete: async () => false,
  status: async () => ({ available: false, message: 'not in this test' }),
};

/** Starts hosts for the current test and closes them after it. */
export function useHosts(): (options?: Partial<HostOptions>) => Promise<Started> {
  const tempDir = useTempDirs();
  const open: { host: Host; engine: Engine }[] = [];
  afterEach(async () => {
    for (const { host, engine } of open.splice(0)) {
      await host.close();
      await engine.close();
    }
  });
  return async (options = {}) => {
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
    const host = await startHost({ engine, rendererDir, token: TOKEN, ...options });
    open.push({ host, engine });
    const login = await request(host.url, { method: 'GET' });
    expect(login.statusCode).toBe(303);
    const setCookie = String(login.headers['set-cookie']);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie.startsWith(`${bridgeCookie(host.port)}=${TOKEN};`)).toBe(true);
    await login.body.dump();
    return { host, engine, cookie: `${bridgeCookie(host.port)}=${TOKEN}` };
  };
}

/** Opens the bridge with the given headers (a signed-in page sends its origin and the cookie). */
export function bridge(host: Host, headers: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${host.origin.replace(/^http/, 'ws')}/bridge`, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused ${res.statusCode}`)));
  });
}

/** The bridge of a signed-in page. */
export function signedIn({ host, cookie }: Started): Promise<WebSocket> {
  return bridge(host, { origin: host.origin, cookie });
}

/** The next result frame for this id. */
export function resultFor(ws: WebSocket, id: number): Promise<BridgeMessage> {
  return new Promise((resolve) => {
    ws.on('message', function listener(data) {
      const msg = JSON.parse(String(data)) as BridgeMessage;
      if (msg.type === 'result' && msg.id === id) {
        ws.off('message', listener);
        resolve(msg);
      }
    });
  });
}

/** Calls a command as desk.ts does: in parts when the request is large. */
export function call(ws: WebSocket, id: number, name: string, input?: unknown): Promise<BridgeMessage> {
  const result = resultFor(ws, id);
  const frames = requestFrames({ type: 'invoke', id, name, input });
  if (!frames) throw new Error('request too large for the bridge');
  for (const frame of frames) ws.send(frame);
  return result;
}
