import { describe, expect, it } from 'vitest';
import type { KeychainStatus } from '../../../shared/contract';
import {
  describeKeychainError,
  KeytarSecretStore,
  KeyVault,
  type KeytarLike,
  type SecretStore,
} from '../../../electron/engine/secrets';

describe('keychain errors for a person', () => {
  it('maps keytar’s real failures', () => {
    // On Linux without a Secret Service the person is told what to install, and what happens meanwhile.
    expect(describeKeychainError(new Error('Cannot autolaunch D-Bus without X11 $DISPLAY'))).toMatch(
      /^No system keychain is available \(no D-Bus session \/ Secret Service\)\. On Linux, install and start one \(GNOME Keyring: sudo apt-get install gnome-keyring; or KWallet\).*Comfy Desk will keep your key in memory for this session only; local servers need no key\.$/,
    );
    expect(
      describeKeychainError(new Error('Object does not exist at path “/org/freedesktop/secrets/collection/login”')),
    ).toMatch(/keychain is locked or has no default keyring.*in memory for this session only/);
    expect(describeKeychainError(new Error("Cannot find module 'keytar'"))).toMatch(/could not be loaded/);
    // Installed without libsecret's development files, keytar (optional) is absent: say how to get it.
    expect(describeKeychainError(new Error("Cannot find package 'keytar' imported from /app/out/main"))).toMatch(
      /not installed.*apt-get install libsecret-1-dev.*npm rebuild keytar.*in memory for this session only/,
    );
  });

  it('a keytar that cannot load is an unavailable keychain, not a crash', async () => {
    const store = new KeytarSecretStore({
      service: 'x',
      load: () => Promise.reject(new Error('libsecret-1.so.0: cannot open shared object file')),
    });
    const status = await store.status();
    expect(status.available).toBe(false);
    expect(status.message).toMatch(/could not be loaded/);
    await expect(store.get('cloud')).rejects.toMatchObject({ code: 'keychain_unavailable' });
  });

  it('maps a D-Bus failure at the first use', async () => {
    const keytar: KeytarLike = {
      getPassword: () => Promise.reject(new Error('Cannot autolaunch D-Bus without X11 $DISPLAY')),
      setPassword: () => Promise.resolve(),
      deletePassword: () => Promise.resolve(true),
    };
    const store = new KeytarSecretStore({ service: 'x', load: () => Promise.resolve(keytar) });
    expect((await store.status()).message).toContain('no D-Bus session');
  });
});

describe('KeyVault', () => {
  it('falls back to memory when the keychain fails on write, and reports it', async () => {
    const failures: string[] = [];
    const secrets: string[] = [];
    const flaky: SecretStore = {
      get: () => Promise.resolve(null),
      set: () => Promise.reject(new Error('Object does not exist at path /collection/login')),
      delete: () => Promise.resolve(false),
      status: (): Promise<KeychainStatus> => Promise.resolve({ available: true }),
    };
    const vault = new KeyVault(flaky, { onKeychainFailure: (m) => failures.push(m), onSecret: (s) => secrets.push(s) });
    const status = await vault.set('cloud', 'comfyui-abcdefgh');
    expect(status).toMatchObject({ hasKey: true, storage: 'memory', last4: 'efgh' });
    expect(failures).toHaveLength(1);
    expect(secrets).toEqual(['comfyui-abcdefgh']);
    expect(await vault.get('cloud')).toBe('comfyui-abcdefgh');
    expect(await vault.clear('cloud')).toMatchObject({ hasKey: false, storage: 'none', last4: null });
  });
});
