// A host that restarts comes back where it was, with the same token: a page left open reconnects
// by itself (its cookie still holds). A state file that is damaged, foreign or points at a port in
// use is not trusted: the host starts fresh.
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { request } from 'undici';
import { Engine } from '../../../electron/engine/engine';
import { readHostState, startRememberedHost } from '../../../electron/host/host-state';
import type { Host } from '../../../electron/host/server';
import { useTempDirs } from '../engine/tmp';
import { memorySecrets } from '../jobs/cloud-harness';

const tempDir = useTempDirs();
const running: { host?: Host; engine: Engine }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) {
    await r.host?.close();
    await r.engine.close();
  }
});

async function boot(dir: string): Promise<{ host: Host; engine: Engine }> {
  const renderer = join(dir, 'renderer');
  mkdirSync(renderer, { recursive: true });
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>Comfy Desk</title>');
  const engine = await Engine.open({
    shell: 'host',
    dataDir: join(dir, 'data'),
    monitor: false,
    secrets: memorySecrets(),
    startJobs: false,
  });
  const entry: { host?: Host; engine: Engine } = { engine };
  running.push(entry);
  entry.host = await startRememberedHost({ engine, rendererDir: renderer });
  return { host: entry.host, engine };
}

async function stop(): Promise<void> {
  const last = running.pop()!;
  await last.host?.close();
  await last.engine.close();
}

it('comes back on the same address and port with the same token; the state file is private', async () => {
  const dir = tempDir();
  const first = await boot(dir);
  const login = await request(first.host.url);
  const cookie = String(login.headers['set-cookie']).split(';')[0]!;
  await login.body.dump();
  expect(statSync(join(dir, 'data', 'host.json')).mode & 0o777).toBe(0o600);
  await stop();

  const again = await boot(dir);
  expect(again.host.origin).toBe(first.host.origin);
  // The page's cookie from before the restart still opens the app.
  const page = await request(`${again.host.origin}/`, { headers: { cookie } });
  expect(page.statusCode).toBe(200);
  await page.body.dump();
});

it('a port now in use, or a damaged state file: a fresh address and a new token', async () => {
  const dir = tempDir();
  const first = await boot(dir);
  const before = readHostState(join(dir, 'data'))!;
  await stop();
  // Someone else took the port meanwhile.
  const squatter = createServer().listen(before.port, before.address);
  await new Promise((r) => squatter.once('listening', r));
  try {
    const second = await boot(dir);
    expect(second.host.origin).not.toBe(first.host.origin);
    expect(readHostState(join(dir, 'data'))!.token).not.toBe(before.token);
    await stop();
  } finally {
    squatter.close();
  }
  for (const garbage of [
    '{',
    '[]',
    '{"address":"10.0.0.1","port":8080,"token":"x"}',
    '{"address":"127.0.0.1","port":80,"token":"' + 'a'.repeat(40) + '"}',
  ]) {
    writeFileSync(join(dir, 'data', 'host.json'), garbage);
    expect(readHostState(join(dir, 'data'))).toBeNull();
  }
});
