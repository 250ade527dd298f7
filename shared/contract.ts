// The one table of what the renderer may ask of main, and what main tells the renderer.
// The preload API, the ipcMain wiring, the host bridge and the renderer client are all derived from it:
// adding a command is one row here and one handler in the engine.
import * as v from './schema';
import type { Validator } from './schema';
import type { WireResult } from './errors';

// ---------- types that travel over the contract ----------

export type ServerKind = 'cloud' | 'local';

export interface ServerProfile {
  id: string;
  name: string;
  kind: ServerKind;
  /** Origin (and optional base path) of the server, without a trailing slash. */
  url: string;
}

export type Theme = 'system' | 'light' | 'dark';

export interface Settings {
  activeProfileId: string;
  theme: Theme;
  /** How many outputs download at once. */
  downloadConcurrency: number;
  /** Show an OS notification when a job ends while the window is not focused. */
  notifications: boolean;
}

export interface KeychainStatus {
  available: boolean;
  /** Why the keychain cannot be used, written for a person; absent when available. */
  message?: string;
}

export interface KeyStatus {
  profileId: string;
  hasKey: boolean;
  /** The last four characters, so a person can tell keys apart. Never more. */
  last4: string | null;
  /** Where the key lives: the OS keychain, or only this session's memory when there is no keychain. */
  storage: 'keychain' | 'memory' | 'none';
  keychain: KeychainStatus;
}

export interface ServerCheck {
  ok: boolean;
  /** HTTP status if the server answered. */
  status?: number;
  /** What happened, written for a person (e.g. what a 401 means and what to do). */
  message: string;
  /** The account's user name or email when the server says it. */
  user?: string;
}

export type ConnectionStateName = 'online' | 'connecting' | 'offline' | 'unauthorized' | 'no_key';

export interface ConnectionState {
  profileId: string;
  state: ConnectionStateName;
  /** Written for a person. */
  message: string;
  /** Epoch ms of the last change. */
  since: number;
}

export interface AppInfo {
  name: string;
  version: string;
  shell: 'electron' | 'host';
  platform: string;
  /** Where the journal, the output store and the logs live (shown so people can find and back them up). */
  dataDir: string;
  journalPath: string;
  storeDir: string;
  logDir: string;
  keychain: KeychainStatus;
}

export interface ProfileList {
  profiles: ServerProfile[];
  activeId: string;
}

// ---------- validators for what comes from the renderer ----------

const profileId = v.id;
const apiKey = v.string({ min: 8, max: 512, pattern: /^[\x21-\x7e]+$/ });

const settingsPatch = v.object({
  activeProfileId: v.optional(profileId),
  theme: v.optional(v.literal('system', 'light', 'dark')),
  downloadConcurrency: v.optional(v.integer({ min: 1, max: 16 })),
  notifications: v.optional(v.boolean),
});
export type SettingsPatch = v.Infer<typeof settingsPatch>;

const profileInput = v.object({
  id: v.optional(profileId),
  name: v.string({ min: 1, max: 80 }),
  kind: v.literal('cloud', 'local'),
  url: v.httpUrl,
});
export type ProfileInput = v.Infer<typeof profileInput>;

// ---------- the table ----------

/** A command's row: the validator main runs on the input; the output type rides along as a phantom. */
export interface CommandSpec<I, O> {
  readonly input: Validator<I>;
  readonly _output?: O;
}

function command<O>(): <I>(input: Validator<I>) => CommandSpec<I, O> {
  return (input) => ({ input });
}

export interface EventSpec<P> {
  readonly _payload?: P;
}

function event<P>(): EventSpec<P> {
  return {};
}

export const commands = {
  'app.info': command<AppInfo>()(v.none),
  'settings.get': command<Settings>()(v.none),
  'settings.set': command<Settings>()(settingsPatch),
  'profiles.list': command<ProfileList>()(v.none),
  'profiles.save': command<ServerProfile>()(profileInput),
  'profiles.remove': command<ProfileList>()(v.object({ id: profileId })),
  'key.status': command<KeyStatus>()(v.object({ profileId })),
  'key.set': command<KeyStatus>()(v.object({ profileId, key: apiKey })),
  'key.clear': command<KeyStatus>()(v.object({ profileId })),
  'key.test': command<ServerCheck>()(v.object({ profileId })),
  'connection.get': command<ConnectionState>()(v.none),
} as const;

export const events = {
  'connection.changed': event<ConnectionState>(),
  'settings.changed': event<Settings>(),
  'profiles.changed': event<ProfileList>(),
  'key.changed': event<KeyStatus>(),
} as const;

// ---------- types derived from the table ----------

export type Commands = typeof commands;
export type CommandName = keyof Commands;
export type CommandInput<K extends CommandName> = Commands[K] extends CommandSpec<infer I, unknown> ? I : never;
export type CommandOutput<K extends CommandName> = Commands[K] extends CommandSpec<unknown, infer O> ? O : never;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = Events[E] extends EventSpec<infer P> ? P : never;

/** Arguments of `invoke`: commands without input take none. */
export type InvokeArgs<K extends CommandName> = CommandInput<K> extends void ? [] : [input: CommandInput<K>];

/** What the engine implements: exactly one handler per command, no more, no less. */
export type CommandHandlers = {
  [K in CommandName]: (input: CommandInput<K>) => Promise<CommandOutput<K>> | CommandOutput<K>;
};

export type MediaVariant = 'thumb' | 'full';

/**
 * What carries the contract: Electron's preload exposes one as `window.desk`, the host bridge is another.
 * Results travel as data (WireResult) because errors lose their fields when they cross the context bridge.
 */
export interface DeskTransport {
  invoke(name: CommandName, input: unknown): Promise<WireResult<unknown>>;
  on(name: EventName, listener: (payload: unknown) => void): () => void;
}

/** What the renderer codes against, the same over either transport; failures throw DeskError. */
export interface DeskApi {
  invoke<K extends CommandName>(name: K, ...args: InvokeArgs<K>): Promise<CommandOutput<K>>;
  on<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void): () => void;
}

export const commandNames = Object.keys(commands) as CommandName[];
export const eventNames = Object.keys(events) as EventName[];

export function isCommandName(name: unknown): name is CommandName {
  return typeof name === 'string' && Object.hasOwn(commands, name);
}

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.hasOwn(events, name);
}

/** IPC channel names, shared by preload and main so they cannot drift. */
export const IPC_INVOKE = 'desk:invoke';
export const IPC_EVENT = 'desk:event';
/** The privileged scheme Electron serves media from; the host serves the same under /media/. */
export const MEDIA_SCHEME = 'desk-media';
