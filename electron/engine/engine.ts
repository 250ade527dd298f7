// The engine: composes the journal, the keychain, the logger and the connection monitor, and
// implements every command of the contract. Plain Node: never imports 'electron'.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Database } from 'better-sqlite3';
import type {
  CommandHandlers,
  CommandName,
  InvokeArgs,
  CommandOutput,
  ConnectionState,
  EventName,
  EventPayload,
  MediaVariant,
} from '../../shared/contract';
import { DeskError } from '../../shared/errors';
import { dispatch } from './dispatch';
import { ConnectionMonitor } from './connection';
import { integrityCheck, openJournal, type IntegrityReport } from './journal/db';
import { upgradeJournal, type UpgradeStep } from './journal/upgrade';
import { SettingsStore } from './journal/settings';
import { Logger, Redactor, type LogLevel } from './log';
import { ensureDataPaths, type DataPaths } from './paths';
import { KeyVault, KeytarSecretStore, type SecretStore } from './secrets';
import { JobsModule, type JobsTimings } from './jobs/module';
import { ensurePreview, type MediaFile } from './store';
import { appCommands, checkProfile } from './commands/app';
import { jobCommands } from './commands/jobs';
import { queueCommands } from './commands/queue';
import { organizeCommands } from './commands/organize';
import { libraryCommands } from './commands/library';
import { savedWorkflowCommands } from './commands/saved-workflows';
import { SavedWorkflows } from './jobs/saved-workflows';
import { buildParts, type EngineParts } from './parts';
import { outputCommands } from './commands/outputs';
import type { DesktopActions, Emit } from './commands/types';
import { workflowCommands } from './commands/workflows';

export interface EngineOptions {
  /** The data folder; defaults to COMFY_DESK_DATA or the platform's app-data folder for "Comfy Desk". */
  dataDir?: string;
  shell: 'electron' | 'host';
  /** Where keys live; defaults to the OS keychain through keytar. */
  secrets?: SecretStore;
  /** The keychain service name for the default store (tests use their own). */
  keychainService?: string;
  /** How often the active server is probed while online (default 15 s). */
  probeIntervalMs?: number;
  /** Set false to never probe the server on its own (tests); key.test still works. Default true. */
  monitor?: boolean;
  version?: string;
  /** A folder with Electron-ABI builds of native modules (better_sqlite3.node), when running under Electron. */
  nativeDir?: string;
  logLevel?: LogLevel;
  /** Timings of the job machinery (tests make them short). */
  timings?: JobsTimings;
  /** The address of the seeded Comfy Cloud profile on first start (COMFY_DESK_CLOUD_URL: staging or the fake cloud). */
  cloudUrl?: string;
  /** Desktop actions the shell provides (Electron); the headless host has none. */
  desktop?: DesktopActions;
  /** Set false to open the journal without connecting or resuming jobs (CLI read-only commands). */
  startJobs?: boolean;
  /** The journal upgrade's worker script (built: journal-upgrade.js beside the entry); absent, it runs in this thread. */
  upgradeWorker?: string;
  /** Told as each step of upgrading a journal an older version wrote starts (the shell says so). */
  onUpgrade?: (step: UpgradeStep) => void;
}

/** A stored media file, for the desk-media:// protocol and the host's /media/ route. */
export type { MediaFile };

type Listener<E extends EventName> = (payload: EventPayload<E>) => void;
type AnyListener = (name: EventName, payload: unknown) => void;

export class Engine {
  readonly handlers: CommandHandlers;
  readonly redact: (text: string) => string;
  private readonly listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  private readonly anyListeners = new Set<AnyListener>();
  private closed = false;

  private constructor(
    readonly paths: DataPaths,
    readonly shell: 'electron' | 'host',
    readonly version: string,
    readonly redactor: Redactor,
    readonly log: Logger,
    /** The journal; later modules (jobs, outputs) build on it. */
    readonly journal: Database,
    readonly settings: SettingsStore,
    readonly keys: KeyVault,
    private readonly monitor: ConnectionMonitor,
    timings: JobsTimings | undefined,
    desktop: EngineOptions['desktop'],
  ) {
    this.redact = redactor.redact;
    this.parts = buildParts(journal, {
      storeDir: paths.storeDir,
      // What the journal keeps is redacted (keys the engine has seen, token= values).
      redact: (value) => redactor.redactValue(value),
      log,
    });
    this.jobs = new JobsModule({
      db: journal,
      parts: this.parts,
      settings,
      keys,
      log,
      emit: (name, payload) => this.emit(name, payload),
      reportConnection: (update) => {
        if (update.profileId === this.activeId) this.monitor.report(update);
      },
      ...(timings ? { timings } : {}),
    });
    this.handlers = this.makeHandlers(desktop);
  }

  /** The journal's parts and the store, built once here. */
  readonly parts: EngineParts;
  /** Sessions with each server, the job service, downloads and sync. */
  readonly jobs: JobsModule;

  static async open(options: EngineOptions): Promise<Engine> {
    const paths = ensureDataPaths(options.dataDir);
    const redactor = new Redactor();
    const log = new Logger({ dir: paths.logDir, redactor, level: options.logLevel ?? 'info' });
    let journal: Database;
    try {
      await upgradeJournal(paths.journalPath, {
        ...(options.nativeDir ? { nativeDir: options.nativeDir } : {}),
        ...(options.upgradeWorker ? { workerScript: options.upgradeWorker } : {}),
        ...(options.onUpgrade ? { onStep: options.onUpgrade } : {}),
        onFallback: (reason) => log.warn('the journal upgrade ran in the main thread', { reason }),
      });
      journal = openJournal(paths.journalPath, options.nativeDir ? { nativeDir: options.nativeDir } : {});
    } catch (err) {
      log.error('journal open failed', { path: paths.journalPath, error: err });
      throw err;
    }
    const settings = new SettingsStore(journal, options.cloudUrl ? { cloudUrl: options.cloudUrl } : {});
    const store =
      options.secrets ??
      new KeytarSecretStore({
        ...(options.keychainService ? { service: options.keychainService } : {}),
        ...(options.nativeDir ? { nativeDir: options.nativeDir } : {}),
      });
    const keys = new KeyVault(store, {
      onSecret: (secret) => redactor.add(secret),
      onKeychainFailure: (message) =>
        log.warn('keychain failed; the key is kept in memory for this session', { message }),
    });
    const version = options.version ?? readVersion();

    // The monitor needs the engine to emit; the engine needs the monitor. Tie them with a late binding.
    let emit: (state: ConnectionState) => void = () => undefined;
    const monitor = new ConnectionMonitor({
      activeProfileId: () => settings.getSettings().activeProfileId,
      probe: async (profileId) => {
        const profile = settings.getProfile(profileId);
        if (!profile)
          return { outcome: 'other', check: { ok: false, message: 'The active server profile no longer exists.' } };
        return checkProfile(profile, keys, redactor);
      },
      onChange: (state) => emit(state),
      ...(options.probeIntervalMs !== undefined ? { intervalMs: options.probeIntervalMs } : {}),
    });
    const engine = new Engine(
      paths,
      options.shell,
      version,
      redactor,
      log,
      journal,
      settings,
      keys,
      monitor,
      options.timings,
      options.desktop,
    );
    emit = (state) => {
      engine.log.info('connection', { profileId: state.profileId, state: state.state, message: state.message });
      engine.emit('connection.changed', state);
    };

    const keychain = await keys.keychain();
    log.info('engine opened', {
      version,
      shell: options.shell,
      dataDir: paths.dataDir,
      keychain: keychain.available ? 'available' : 'unavailable',
    });
    if (!keychain.available) log.warn('keychain unavailable', { message: keychain.message });
    if (options.monitor !== false) void monitor.start();
    if (options.startJobs !== false) await engine.jobs.start();
    return engine;
  }

  get dataDir(): string {
    return this.paths.dataDir;
  }

  /**
   * Runs a command through the same door as the window (the contract's validators, redacted
   * errors): the command line uses this, so every entry point shares one validation path.
   */
  async invoke<K extends CommandName>(name: K, ...args: InvokeArgs<K>): Promise<CommandOutput<K>> {
    const result = await dispatch(this.handlers, name, args[0], this.log, this.redact);
    if (!result.ok) throw DeskError.fromInfo(result.error);
    return result.value as CommandOutput<K>;
  }

  /** Subscribe to one event; returns the unsubscribe function. */
  on<E extends EventName>(name: E, listener: Listener<E>): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    const wrapped = listener as (payload: unknown) => void;
    set.add(wrapped);
    return () => void set.delete(wrapped);
  }

  /** Subscribe to every event (the ipcMain wiring and the host bridge forward these). */
  onAny(listener: AnyListener): () => void {
    this.anyListeners.add(listener);
    return () => void this.anyListeners.delete(listener);
  }

  private emit<E extends EventName>(name: E, rawPayload: EventPayload<E>): void {
    if (this.closed) return;
    // Nothing leaves the engine with a secret in it. A preview's image data is only bytes.
    const payload = (name === 'job.preview' ? rawPayload : this.redactor.redactValue(rawPayload)) as EventPayload<E>;
    for (const listener of [...(this.listeners.get(name) ?? [])]) this.safely(name, () => listener(payload));
    for (const listener of [...this.anyListeners]) this.safely(name, () => listener(name, payload));
  }

  private safely(name: EventName, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error('event listener failed', { event: name, error: err });
    }
  }

  /** The connection state of the active profile. */
  get connection(): ConnectionState {
    return this.monitor.state;
  }

  /** For the WebSocket (later): feed its view of the connection in. */
  reportConnection(update: { state: ConnectionState['state']; message: string; profileId?: string }): void {
    this.monitor.report(update);
  }

  /** Probe the active server now; resolves when the answer is in. */
  probeConnection(): Promise<void> {
    return this.monitor.probeNow();
  }

  integrityCheck(): IntegrityReport {
    return integrityCheck(this.journal);
  }

  /** A stored output by content hash, for the media protocol (Electron) and /media/ (host). */
  async media(hash: string, variant: MediaVariant): Promise<MediaFile | null> {
    const found = await this.jobs.media(hash, variant);
    if (found || variant !== 'preview') return found;
    // A video's hover preview is made the first time it is asked for (none for other kinds).
    return (await ensurePreview(this.jobs.store, hash)) ? this.jobs.media(hash, 'preview') : null;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.jobs.close();
    this.monitor.stop();
    this.log.info('engine closed');
    this.closed = true;
    this.listeners.clear();
    this.anyListeners.clear();
    this.journal.close();
  }

  private get activeId(): string {
    return this.settings.getSettings().activeProfileId;
  }

  private makeHandlers(desktop: EngineOptions['desktop']): CommandHandlers {
    const activeProfileId = (): string => this.activeId;
    const emit: Emit = (name, payload) => this.emit(name, payload);
    const profiles = { active: activeProfileId, exists: (id: string) => this.settings.getProfile(id) !== null };
    return {
      ...appCommands({
        version: this.version,
        shell: this.shell,
        paths: this.paths,
        settings: this.settings,
        keys: this.keys,
        monitor: this.monitor,
        log: this.log,
        redactor: this.redactor,
        jobs: this.jobs,
        emit,
        activeProfileId,
      }),
      ...jobCommands(this.parts, this.jobs, profiles),
      ...queueCommands(this.jobs, profiles),
      ...outputCommands(this.parts, this.jobs, emit, desktop),
      ...organizeCommands(this.parts, emit),
      ...workflowCommands({ parts: this.parts, jobs: this.jobs, activeProfileId, emit }),
      ...libraryCommands(this.parts, (id) => this.jobs.objectInfo(id), activeProfileId),
      ...savedWorkflowCommands(
        this.jobs,
        new SavedWorkflows({
          journal: this.parts.savedWorkflows,
          http: (id) => this.jobs.session(id).http,
          serverName: (id) => this.jobs.profileName(id),
          log: this.log,
        }),
      ),
    } satisfies CommandHandlers;
  }
}

/** The app version from package.json, found by walking up from this file (works from source and from out/). */
function readVersion(): string {
  let dir = import.meta.dirname;
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'comfy-desk' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // keep walking
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return '0.0.0';
}
