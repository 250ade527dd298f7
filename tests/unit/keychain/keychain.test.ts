// The real OS keychain (Secret Service through keytar), in a private D-Bus session with an unlocked
// gnome-keyring: run through `bash scripts/with-keyring.sh npx vitest run tests/unit/keychain`.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyStatus } from '../../../shared/contract';
import { Engine } from '../../../electron/engine/engine';
import { KeytarSecretStore } from '../../../electron/engine/secrets';

const service = `Comfy Desk Test ${randomBytes(6).toString('hex')}`;
const dirs: string[] = [];
const store = new KeytarSecretStore({ service });

beforeAll(async () => {
  if (!process.env.DBUS_SESSION_BUS_ADDRESS) {
    throw new Error(
      'The keychain tests need a D-Bus session with an unlocked keyring. Run them through scripts/with-keyring.sh, e.g. ' +
        '`bash scripts/with-keyring.sh npx vitest run tests/unit/keychain`.',
    );
  }
  const status = await store.status();
  if (!status.available) {
    throw new Error(
      `The keychain is not usable here (${status.message ?? 'no reason'}). Run through scripts/with-keyring.sh.`,
    );
  }
});

afterAll(async () => {
  for (const account of ['profile-a', 'cloud', 'local']) await store.delete(account).catch(() => false);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'comfy-desk-keychain-'));
  dirs.push(dir);
  return dir;
}

describe('KeytarSecretStore (real Secret Service)', () => {
  it('sets, gets and deletes a key under the service name and the profile id', async () => {
    expect(await store.status()).toEqual({ available: true });
    expect(await store.get('profile-a')).toBeNull();
    await store.set('profile-a', 'comfyui-keychain-0001');
    expect(await store.get('profile-a')).toBe('comfyui-keychain-0001');
    // Another store object with the same service sees it: it is in the keychain, not in memory.
    expect(await new KeytarSecretStore({ service }).get('profile-a')).toBe('comfyui-keychain-0001');
    // A different service does not.
    expect(await new KeytarSecretStore({ service: `${service} other` }).get('profile-a')).toBeNull();
    await store.set('profile-a', 'comfyui-keychain-0002');
    expect(await store.get('profile-a')).toBe('comfyui-keychain-0002');
    expect(await store.delete('profile-a')).toBe(true);
    expect(await store.get('profile-a')).toBeNull();
    expect(await store.delete('profile-a')).toBe(false);
  });
});

describe('the engine with the real keychain', () => {
  it('key.set → key.status (after reopen) → key.clear, showing last4 only and storing nothing on disk', async () => {
    const dataDir = tempDir();
    const key = `comfyui-${randomBytes(12).toString('hex')}`;
    const engine = await Engine.open({ shell: 'host', dataDir, keychainService: service, monitor: false });
    const info = await engine.handlers['app.info']();
    expect(info.keychain).toEqual({ available: true });

    const events: KeyStatus[] = [];
    engine.on('key.changed', (s) => events.push(s));
    const set = await engine.handlers['key.set']({ profileId: 'cloud', key });
    expect(set).toEqual({
      profileId: 'cloud',
      hasKey: true,
      last4: key.slice(-4),
      storage: 'keychain',
      keychain: { available: true },
    });
    expect(JSON.stringify(set)).not.toContain(key.slice(0, -4));
    expect(events).toHaveLength(1);
    expect(await store.get('cloud')).toBe(key);
    await engine.close();

    // A new engine (a restart) finds the key in the keychain.
    const reopened = await Engine.open({ shell: 'host', dataDir, keychainService: service, monitor: false });
    const status = await reopened.handlers['key.status']({ profileId: 'cloud' });
    expect(status).toMatchObject({ hasKey: true, last4: key.slice(-4), storage: 'keychain' });
    expect(await reopened.handlers['key.status']({ profileId: 'local' })).toMatchObject({
      hasKey: false,
      last4: null,
      storage: 'none',
    });

    const cleared = await reopened.handlers['key.clear']({ profileId: 'cloud' });
    expect(cleared).toMatchObject({ hasKey: false, last4: null, storage: 'none' });
    expect(await store.get('cloud')).toBeNull();
    await reopened.close();

    for (const f of [
      join(dataDir, 'journal.sqlite3'),
      join(dataDir, 'journal.sqlite3-wal'),
      ...readdirSync(join(dataDir, 'logs')).map((f) => join(dataDir, 'logs', f)),
    ]) {
      if (existsSync(f)) expect(readFileSync(f).includes(Buffer.from(key)), f).toBe(false);
    }
  });
});

describe('under Electron: the binding built for its ABI, loaded from the native folder', () => {
  it('keytar.node from a native folder is the keychain (here the Node build stands in for the Electron one)', async () => {
    // scripts/build-electron-native.mjs puts keytar.node in out/electron-native; the engine loads
    // it from there instead of keytar's own (Node-ABI) binding.
    const nativeDir = join(import.meta.dirname, '../../../node_modules/keytar/build/Release');
    expect(existsSync(join(nativeDir, 'keytar.node'))).toBe(true);
    const native = new KeytarSecretStore({ service, nativeDir });
    expect((await native.status()).available).toBe(true);
    await native.set('profile-a', 'native-binding-key-1234');
    expect(await store.get('profile-a')).toBe('native-binding-key-1234'); // the same keychain, through keytar
    expect(await native.delete('profile-a')).toBe(true);
  });
});
