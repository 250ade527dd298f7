// API keys: the OS keychain through keytar, or this session's memory when there is no keychain.
// A key is never written to SQLite, a file or a log; it leaves the engine only as an X-API-Key header.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { KeychainStatus, KeyStatus } from '../../shared/contract';
import { DeskError } from '../../shared/errors';

export const DEFAULT_KEYCHAIN_SERVICE = 'Comfy Desk';

export interface SecretStore {
  get(profileId: string): Promise<string | null>;
  set(profileId: string, secret: string): Promise<void>;
  delete(profileId: string): Promise<boolean>;
  status(): Promise<KeychainStatus>;
}

/** The part of keytar we use. */
export interface KeytarLike {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
}

const FALLBACK = 'Comfy Desk will keep your key in memory for this session only; local servers need no key.';

/** Turn keytar's failures into a sentence a person can act on. */
export function describeKeychainError(err: unknown): string {
  const raw = err instanceof Error ? err.message : String(err);
  if (/autolaunch D-Bus|DBUS_SESSION_BUS_ADDRESS|org\.freedesktop\.DBus|Failed to connect to socket|dbus/i.test(raw)) {
    return `No system keychain is available (no D-Bus session / Secret Service). On Linux, install and start one (GNOME Keyring: sudo apt-get install gnome-keyring; or KWallet) and sign in to a desktop session, then restart Comfy Desk. ${FALLBACK}`;
  }
  if (
    /Object does not exist at path|collection\/login|No such secret collection|is locked|locked collection|prompt.*dismissed/i.test(
      raw,
    )
  ) {
    return `The system keychain is locked or has no default keyring (Secret Service "login" collection missing). Unlock or create it in your keyring manager and restart Comfy Desk; meanwhile ${FALLBACK.charAt(0).toLowerCase()}${FALLBACK.slice(1)}`;
  }
  if (
    /Cannot find (module|package)|invalid ELF|NODE_MODULE_VERSION|was compiled against|libsecret|cannot open shared object/i.test(
      raw,
    )
  ) {
    return `The keychain module (keytar) is not installed or could not be loaded. To keep keys in the system keychain, install libsecret's development files (Debian/Ubuntu: sudo apt-get install libsecret-1-dev) and run \`npm rebuild keytar\` (or \`npm install keytar\`) in the Comfy Desk folder. ${FALLBACK}`;
  }
  if (/timed out/i.test(raw)) {
    return `The system keychain did not answer in time. ${FALLBACK}`;
  }
  return `The system keychain could not be used (${raw.slice(0, 160)}). ${FALLBACK}`;
}

export interface KeytarSecretStoreOptions {
  /** Keychain service name; accounts are profile ids. Tests use their own. */
  service?: string;
  /** How keytar is loaded; injectable for tests. Defaults to a dynamic import, so a broken native module is an error, not a crash. */
  load?: () => Promise<KeytarLike>;
  /** How long the first keychain probe may take before the keychain counts as unavailable. */
  probeTimeoutMs?: number;
  /** A folder with an Electron-ABI build of keytar's binding (keytar.node), when running under Electron. */
  nativeDir?: string;
}

/**
 * keytar itself, or (under Electron) its native binding built for Electron's ABI beside the Node
 * one: `nativeDir/keytar.node` exports the same promise-returning functions keytar wraps.
 */
async function loadKeytar(nativeDir?: string): Promise<KeytarLike> {
  const binding = nativeDir ? join(nativeDir, 'keytar.node') : null;
  if (binding && existsSync(binding)) return createRequire(import.meta.url)(binding) as KeytarLike;
  const mod = (await import('keytar')) as unknown as KeytarLike & { default?: KeytarLike };
  const api = mod.default ?? mod;
  if (typeof api.getPassword !== 'function') throw new Error('Cannot find module keytar (no getPassword export)');
  return api;
}

export class KeytarSecretStore implements SecretStore {
  readonly service: string;
  private readonly load: () => Promise<KeytarLike>;
  private readonly probeTimeoutMs: number;
  private ready: Promise<{ keytar: KeytarLike | null; status: KeychainStatus }> | undefined;

  constructor(options: KeytarSecretStoreOptions = {}) {
    this.service = options.service ?? DEFAULT_KEYCHAIN_SERVICE;
    this.load = options.load ?? (() => loadKeytar(options.nativeDir));
    this.probeTimeoutMs = options.probeTimeoutMs ?? 15_000;
  }

  /** Load keytar and make one harmless read, once: that is when a missing D-Bus or a locked keyring shows. */
  private init(): Promise<{ keytar: KeytarLike | null; status: KeychainStatus }> {
    this.ready ??= (async () => {
      try {
        const keytar = await this.load();
        await withTimeout(keytar.getPassword(this.service, '__comfy-desk-probe__'), this.probeTimeoutMs);
        return { keytar, status: { available: true } };
      } catch (err) {
        return { keytar: null, status: { available: false, message: describeKeychainError(err) } };
      }
    })();
    return this.ready;
  }

  async status(): Promise<KeychainStatus> {
    return (await this.init()).status;
  }

  private async keytar(): Promise<KeytarLike> {
    const { keytar, status } = await this.init();
    if (!keytar) throw new DeskError('keychain_unavailable', status.message ?? describeKeychainError('unavailable'));
    return keytar;
  }

  async get(profileId: string): Promise<string | null> {
    const keytar = await this.keytar();
    return this.guard(() => keytar.getPassword(this.service, profileId));
  }

  async set(profileId: string, secret: string): Promise<void> {
    const keytar = await this.keytar();
    await this.guard(() => keytar.setPassword(this.service, profileId, secret));
  }

  async delete(profileId: string): Promise<boolean> {
    const keytar = await this.keytar();
    return this.guard(() => keytar.deletePassword(this.service, profileId));
  }

  private async guard<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      // keytar's messages do not contain the secret, but a DeskError with a clear message is what the UI can show.
      throw new DeskError('keychain_unavailable', describeKeychainError(err));
    }
  }
}

/** For tests and for machines where no keychain is wanted: nothing is stored, status says why. */
export class UnavailableSecretStore implements SecretStore {
  constructor(private readonly message = `No system keychain is available. ${FALLBACK}`) {}
  get(): Promise<string | null> {
    return Promise.reject(new DeskError('keychain_unavailable', this.message));
  }
  set(): Promise<void> {
    return Promise.reject(new DeskError('keychain_unavailable', this.message));
  }
  delete(): Promise<boolean> {
    return Promise.reject(new DeskError('keychain_unavailable', this.message));
  }
  status(): Promise<KeychainStatus> {
    return Promise.resolve({ available: false, message: this.message });
  }
}

export interface KeyVaultEvents {
  /** Called with every key the vault sees, so the redactor can hide it everywhere. */
  onSecret?: (secret: string) => void;
  /** Called when the keychain fails after it looked available (the key then lives in memory). */
  onKeychainFailure?: (message: string) => void;
}

/**
 * The keychain plus a session-memory fallback. Keys set while the keychain is unavailable (or failing)
 * live only in this object's Map: never in SQLite, a file or a log.
 */
export class KeyVault {
  private readonly memory = new Map<string, string>();
  /** Profiles known to have no key in the keychain, to spare the keychain repeated lookups. */
  private readonly cache = new Map<string, string | null>();

  constructor(
    private readonly store: SecretStore,
    private readonly events: KeyVaultEvents = {},
  ) {}

  keychain(): Promise<KeychainStatus> {
    return this.store.status();
  }

  /** A key for this process only (the CLI's COMFY_API_KEY): held in memory, never stored anywhere. */
  useForSession(profileId: string, key: string): void {
    this.events.onSecret?.(key);
    this.memory.set(profileId, key);
  }

  async get(profileId: string): Promise<string | null> {
    const inMemory = this.memory.get(profileId);
    if (inMemory !== undefined) return inMemory;
    if (this.cache.has(profileId)) return this.cache.get(profileId) ?? null;
    const keychain = await this.store.status();
    if (!keychain.available) return null;
    let key: string | null;
    try {
      key = await this.store.get(profileId);
    } catch (err) {
      this.events.onKeychainFailure?.(err instanceof Error ? err.message : String(err));
      return null;
    }
    if (key) this.events.onSecret?.(key);
    this.cache.set(profileId, key);
    return key;
  }

  async set(profileId: string, key: string): Promise<KeyStatus> {
    this.events.onSecret?.(key);
    const keychain = await this.store.status();
    if (keychain.available) {
      try {
        await this.store.set(profileId, key);
        this.memory.delete(profileId);
        this.cache.set(profileId, key);
        return this.status(profileId);
      } catch (err) {
        this.events.onKeychainFailure?.(err instanceof Error ? err.message : String(err));
      }
    }
    this.memory.set(profileId, key);
    this.cache.delete(profileId);
    return this.status(profileId);
  }

  async clear(profileId: string): Promise<KeyStatus> {
    this.memory.delete(profileId);
    this.cache.set(profileId, null);
    const keychain = await this.store.status();
    if (keychain.available) {
      try {
        await this.store.delete(profileId);
      } catch (err) {
        this.cache.delete(profileId);
        this.events.onKeychainFailure?.(err instanceof Error ? err.message : String(err));
      }
    }
    return this.status(profileId);
  }

  async status(profileId: string): Promise<KeyStatus> {
    const keychain = await this.store.status();
    const inMemory = this.memory.get(profileId);
    const key = inMemory ?? (await this.get(profileId));
    return {
      profileId,
      hasKey: key !== null && key !== '',
      last4: key ? key.slice(-4) : null,
      storage: !key ? 'none' : inMemory !== undefined ? 'memory' : 'keychain',
      keychain,
    };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`keychain timed out after ${ms} ms`)), ms);
    timer.unref?.();
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
