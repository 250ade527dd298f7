// Without a D-Bus session (no DBUS_SESSION_BUS_ADDRESS, no DISPLAY) keytar cannot reach any keychain.
// The engine must say so in words, keep a key in memory only, and still work with a local server.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../../..');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('no keychain (child process without D-Bus)', () => {
  it('reports the keychain unavailable clearly, keeps the key in memory, and works with a local profile', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'comfy-desk-nodbus-'));
    const runtime = mkdtempSync(join(tmpdir(), 'comfy-desk-nodbus-run-'));
    dirs.push(dataDir, runtime);
    const key = 'comfyui-memory-only-9z8y7x6w';
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_RUNTIME_DIR: runtime };
    delete env.DBUS_SESSION_BUS_ADDRESS;
    delete env.DISPLAY;
    delete env.WAYLAND_DISPLAY;
    delete env.COMFY_DESK_DATA;
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'no-dbus-child.ts'), dataDir, key],
      {
        cwd: root,
        env,
        timeout: 30_000,
      },
    );
    const out = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<
      string,
      { ok: boolean; value: Record<string, unknown> }
    >;

    const keychain = out.info?.value.keychain as { available: boolean; message: string };
    expect(keychain.available).toBe(false);
    expect(keychain.message).toContain('No system keychain is available (no D-Bus session / Secret Service)');
    expect(keychain.message).toContain('in memory for this session only');

    expect(out.set?.value).toMatchObject({ hasKey: true, storage: 'memory', last4: key.slice(-4) });
    expect(out.status?.value).toMatchObject({ hasKey: true, storage: 'memory', last4: key.slice(-4) });
    expect(stdout).not.toContain(key);

    expect(out.localTest?.value).toMatchObject({ ok: true, status: 200 });
    expect(String(out.localTest?.value.message)).toContain('0.3.99');

    // The key was never written: not in the journal, not in a log.
    const files = [
      join(dataDir, 'journal.sqlite3'),
      join(dataDir, 'journal.sqlite3-wal'),
      ...readdirSync(join(dataDir, 'logs')).map((f) => join(dataDir, 'logs', f)),
    ].filter((f) => existsSync(f));
    expect(files.length).toBeGreaterThan(1);
    for (const f of files) expect(readFileSync(f).includes(Buffer.from(key)), f).toBe(false);
    // The log says why there is no keychain.
    expect(readFileSync(join(dataDir, 'logs', 'comfy-desk.log'), 'utf8')).toContain('keychain unavailable');
  });
});
