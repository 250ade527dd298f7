// The one table of what the renderer may ask of main, and what main tells the renderer.
// The preload API, the ipcMain wiring, the host bridge and the renderer client are all derived from it:
// adding a command is one row here and one handler in the engine.
import * as v from './schema';
import type { Validator } from './schema';
import type { WireResult } from './errors';
import { JOB_STATES, type GalleryItem, type JobEvent, type JobState, type JobSummary, type OutputItem } from './jobs';
import { MAX_TAG_LENGTH, type Album, type Comparison, type Lineage, type SimilarItem, type TagCount } from './organize';
import {
  MAX_BATCH_RUNS,
  MAX_SWEEP_AXES,
  MAX_WINDOW,
  type BatchDetail,
  type BatchSummary,
  type QueueState,
} from './queue';
import {
  MAX_SAVED_BYTES,
  savedWorkflowPath,
  type SavedWorkflowEntry,
  type SavedWorkflowFile,
  type SavedWorkflowList,
  type SavedWorkflowSaveResult,
  type TemplatePack,
} from './saved-workflows';

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
  /** Download the outputs of jobs imported from the account's other clients (sync). */
  syncDownloads: boolean;
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

export interface JobDetail {
  job: JobSummary;
  /** The API-format prompt that ran (never with a key in it). */
  prompt: Record<string, unknown>;
  /** The UI-format workflow it was made from (saved in ComfyUI, or carried by an imported file), if any. */
  uiWorkflow: Record<string, unknown> | null;
  inputs: Record<string, unknown>;
  events: JobEvent[];
  outputs: OutputItem[];
}

export interface JobPage {
  items: JobSummary[];
  /** Pass back as `before` for the next page; null at the end. */
  nextCursor: string | null;
}

export interface RemoteQueueEntry {
  promptId: string;
  /** Our job, when the entry is one of ours. */
  jobId: string | null;
  number: number;
}

export interface RemoteQueue {
  running: RemoteQueueEntry[];
  pending: RemoteQueueEntry[];
}

export interface GalleryPage {
  items: GalleryItem[];
  nextCursor: string | null;
}

export interface JobPreview {
  jobId: string;
  /** image/jpeg or image/png */
  mime: string;
  /** The frame as base64, latest wins. */
  data: string;
}

export interface JobFinished {
  jobId: string;
  state: JobState;
  title: string;
  body: string;
}

export interface WorkflowReport {
  format: 'api' | 'ui' | 'invalid';
  /** Why the workflow cannot run as it is (broken shape, node types the server lacks), for a person. */
  message?: string;
  /**
   * A UI-format workflow converted with the server's node definitions, as ComfyUI's frontend would:
   * the prompt to run and the form's layout (titles, groups, display order, bypassed and muted nodes).
   * Absent when it could not be converted (then `message` says why).
   */
  prompt?: Record<string, unknown>;
  layout?: import('./workflow-layout').WorkflowLayout;
  /** Problems against the server's node definitions, each naming node and input. */
  problems: import('./jobs').NodeProblem[];
  /** False when no node definitions are known yet for the server (never been online). */
  checkedAgainstServer: boolean;
}

export interface EmbeddedWorkflow {
  prompt: Record<string, unknown> | null;
  workflow: Record<string, unknown> | null;
  width: number | null;
  height: number | null;
}

/** A workflow as the gallery's filter lists it: once per name (each edit or seed is a version of it). */
export interface WorkflowEntry {
  name: string;
  lastUsedAt: number | null;
  /** Outputs in the gallery made by any version of it. */
  outputCount: number;
  /** Of those, the saved ones (not ComfyUI's temporary previews): what the gallery shows by default. */
  savedCount: number;
}

export interface LibraryEntry {
  id: string;
  name: string;
  nodeCount: number;
  updatedAt: number;
  lastUsedAt: number | null;
  /** The newest image output of a run from this entry, for its card. */
  coverHash: string | null;
}

/** What the desktop app's menu can ask of the window. */
export type MenuCommand =
  | 'run.new'
  | 'workflow.import'
  | 'import.folder'
  | 'search'
  | 'view.gallery'
  | 'view.queue'
  | 'view.workflows'
  | 'view.settings';

/** An open workflow (a tab): the workflow and what the window set up for it. */
export interface Draft {
  id: string;
  name: string;
  position: number;
  updatedAt: number;
  workflow: Record<string, unknown>;
  /** The window's own state for it (form values, chosen images and masks, runs, seed): opaque to the engine. */
  state: Record<string, unknown>;
  /** The UI-format workflow `workflow` is converted from (with the modes switched in the form), if any. */
  uiWorkflow: Record<string, unknown> | null;
}

export interface ImportSummary {
  added: number;
  known: number;
  unreadable: { file: string; reason: string }[];
}

export interface UploadedFile {
  name: string;
  subfolder: string;
  type: string;
  /** The same file was uploaded to this server before: nothing was sent. */
  reused: boolean;
}

// ---------- validators for what comes from the renderer ----------

const profileId = v.id;
const apiKey = v.string({ min: 8, max: 512, pattern: /^[\x21-\x7e]+$/ });

const settingsPatch = v.object({
  activeProfileId: v.optional(profileId),
  theme: v.optional(v.literal('system', 'light', 'dark')),
  downloadConcurrency: v.optional(v.integer({ min: 1, max: 16 })),
  notifications: v.optional(v.boolean),
  syncDownloads: v.optional(v.boolean),
});
export type SettingsPatch = v.Infer<typeof settingsPatch>;

const profileInput = v.object({
  id: v.optional(profileId),
  name: v.string({ min: 1, max: 80 }),
  kind: v.literal('cloud', 'local'),
  url: v.httpUrl,
});
export type ProfileInput = v.Infer<typeof profileInput>;

const jobId = v.string({ min: 1, max: 64, pattern: /^[A-Za-z0-9_-]+$/ });
const jobState = v.literal(...JOB_STATES);
const cursor = v.string({ min: 1, max: 200 });
const libraryId = v.string({ min: 1, max: 64, pattern: /^[A-Za-z0-9_-]+$/ });
const outputIds = v.array(v.integer({ min: 1 }), { min: 1, max: 10_000 });
/** A folder or file on this computer, absolute (POSIX or a Windows drive). */
const absolutePath = v.string({ min: 1, max: 4096, pattern: /^(\/|[A-Za-z]:[\\/])/ });
/** The largest API-format workflow any entry point accepts (the window, the command line, a drop). */
export const MAX_WORKFLOW_BYTES = 8_000_000;
/** A file's bytes as base64: bounded to a little over the 50 MB upload limit. */
const fileData = v.string({ min: 1, max: 72_000_000, pattern: /^[A-Za-z0-9+/=]+$/ });

const sweepValue = v.union(v.string({ max: 2000 }), v.number(), v.boolean);
const sweepAxis = v.object({
  nodeId: v.string({ min: 1, max: 64 }),
  input: v.string({ min: 1, max: 200 }),
  values: v.array(sweepValue, { min: 1, max: MAX_BATCH_RUNS }),
});
const batchColor = v.string({ pattern: /^#[0-9a-fA-F]{6}$/, max: 7 });
const jobIds = v.array(jobId, { min: 1, max: MAX_BATCH_RUNS * 10 });
const batchId = v.string({ min: 1, max: 64, pattern: /^[A-Za-z0-9_-]+$/ });
/** Servers a job may run on: one profile, or several for a spread. */
const profileIds = v.array(profileId, { min: 1, max: 16 });

/** A UI-format workflow (what ComfyUI's Save writes): a JSON object, bounded here, read by the engine. */
const uiWorkflowJson = v.jsonObject({ maxBytes: MAX_WORKFLOW_BYTES });

/** A template pack's or template's name: one path segment, no control characters. */
// eslint-disable-next-line no-control-regex -- control characters are what it refuses
const templatePart = v.string({ min: 1, max: 200, pattern: /^(?!\.\.?$)[^\x00-\x1f/\\]+$/ });

const submitInput = v.object({
  profileId: v.optional(profileId),
  /** Spread the runs over these servers too: each goes where it would finish first. */
  profileIds: v.optional(profileIds),
  /** Vary one or two inputs: a run for every combination (times `count`). */
  sweep: v.optional(v.array(sweepAxis, { min: 1, max: MAX_SWEEP_AXES })),
  batchName: v.optional(v.string({ min: 1, max: 200 })),
  batchColor: v.optional(batchColor),
  /** API-format workflow: checked for shape by the engine, bounded here. */
  workflow: v.json({ maxBytes: MAX_WORKFLOW_BYTES }),
  /** The UI-format workflow it was converted from: kept with the job and sent as extra_pnginfo. */
  uiWorkflow: v.optional(uiWorkflowJson),
  name: v.string({ min: 1, max: 200 }),
  inputs: v.optional(v.record(v.json({ maxBytes: 1_000_000 }), { maxKeys: 2000 })),
  count: v.optional(v.integer({ min: 1, max: 100 })),
  seed: v.optional(v.literal('fixed', 'random', 'increment')),
  /** The library entry this run came from, if any. */
  libraryId: v.optional(v.string({ min: 1, max: 64 })),
});
export type SubmitInput = v.Infer<typeof submitInput>;

const jobsQuery = v.object({
  profileId: v.optional(profileId),
  states: v.optional(v.array(jobState, { max: 9 })),
  limit: v.optional(v.integer({ min: 1, max: 500 })),
  before: v.optional(cursor),
});
export type JobsQuery = v.Infer<typeof jobsQuery>;

const tagName = v.string({ min: 1, max: MAX_TAG_LENGTH * 2 });
const albumId = v.string({ min: 1, max: 64, pattern: /^[A-Za-z0-9_-]+$/ });

const galleryFilter = {
  search: v.optional(v.string({ max: 500 })),
  profileId: v.optional(profileId),
  jobStates: v.optional(v.array(jobState, { max: 9 })),
  kinds: v.optional(v.array(v.literal('image', 'video', 'audio', 'text'), { max: 4 })),
  from: v.optional(v.number({ min: 0 })),
  to: v.optional(v.number({ min: 0 })),
  favorites: v.optional(v.boolean),
  /** Only saved outputs: ComfyUI's temporary previews (PreviewImage, type "temp") left out. */
  saved: v.optional(v.boolean),
  /** A workflow by name: every version of it (the journal keeps one per edit and per seed). */
  workflowName: v.optional(v.string({ min: 1, max: 200 })),
  /** Rated at least this. */
  minRating: v.optional(v.integer({ min: 1, max: 5 })),
  /** Has every one of these tags. */
  tags: v.optional(v.array(tagName, { max: 20 })),
  /** In this album (a smart album: matching its saved search). */
  albumId: v.optional(albumId),
};
const galleryQuery = v.object({
  ...galleryFilter,
  sort: v.optional(v.literal('newest', 'oldest')),
  limit: v.optional(v.integer({ min: 1, max: 1000 })),
  after: v.optional(cursor),
});
export type GalleryQuery = v.Infer<typeof galleryQuery>;
const galleryCount = v.object(galleryFilter);
/** A smart album's saved search: a gallery filter, without another smart album in it. */
const savedFilter = v.object({ ...galleryFilter, albumId: v.optional(albumId) });
export type GalleryFilter = v.Infer<typeof galleryCount>;

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
  'jobs.submit': command<JobSummary[]>()(submitInput),
  'jobs.list': command<JobPage>()(jobsQuery),
  'jobs.get': command<JobDetail>()(v.object({ id: jobId })),
  'jobs.cancel': command<JobSummary>()(v.object({ id: jobId })),
  'jobs.interrupt': command<void>()(v.object({ id: v.optional(jobId), profileId: v.optional(profileId) })),
  'jobs.clearPending': command<{ cleared: number }>()(v.object({ profileId: v.optional(profileId) })),
  'jobs.rerun': command<JobSummary>()(v.object({ id: jobId, newSeed: v.optional(v.boolean) })),
  'queue.remote': command<RemoteQueue>()(v.object({ profileId: v.optional(profileId) })),
  /** The app's own queue: every server's window, pause, and what it has of ours. */
  'queue.state': command<QueueState>()(v.none),
  /** Pauses all dispatch, or one server's (nothing more is sent; what is there runs on). Survives restarts. */
  'queue.pause': command<QueueState>()(v.object({ profileId: v.optional(profileId) })),
  'queue.resume': command<QueueState>()(v.object({ profileId: v.optional(profileId) })),
  /** How many of ours may be on a server at once; null for the default of its kind. */
  'queue.setWindow': command<QueueState>()(
    v.object({ profileId, window: v.nullable(v.integer({ min: 1, max: MAX_WINDOW })) }),
  ),
  /** Moves held jobs to the front, the back, or before/after another held job (`anchor`). */
  'queue.move': command<{ moved: number }>()(
    v.object({ ids: jobIds, to: v.literal('front', 'back', 'before', 'after'), anchor: v.optional(jobId) }),
  ),
  /** Changes the servers held jobs may run on. */
  'queue.route': command<{ changed: number }>()(v.object({ ids: jobIds, profileIds })),
  /** Cancels these jobs (held ones at once; ones on a server through it). */
  'queue.cancel': command<{ cancelled: number }>()(v.object({ ids: jobIds })),
  'batches.list': command<BatchSummary[]>()(v.object({ limit: v.optional(v.integer({ min: 1, max: 500 })) })),
  'batches.get': command<BatchDetail>()(v.object({ id: batchId })),
  'batches.update': command<BatchSummary>()(
    v.object({
      id: batchId,
      name: v.optional(v.string({ min: 1, max: 200 })),
      color: v.optional(v.nullable(batchColor)),
    }),
  ),
  'batches.pause': command<BatchSummary>()(v.object({ id: batchId })),
  'batches.resume': command<BatchSummary>()(v.object({ id: batchId })),
  'batches.cancel': command<BatchSummary>()(v.object({ id: batchId })),
  /** Runs the batch's failed jobs again, in the batch, in their place (stopped ones stay stopped). */
  'batches.retryFailed': command<BatchSummary>()(v.object({ id: batchId })),
  /** Runs the whole batch again as a new batch. */
  'batches.rerun': command<BatchSummary>()(v.object({ id: batchId, newSeed: v.optional(v.boolean) })),
  /** Runs a selection of jobs again, as one new batch. */
  'batches.fromJobs': command<BatchSummary>()(
    v.object({ ids: jobIds, newSeed: v.optional(v.boolean), name: v.optional(v.string({ min: 1, max: 200 })) }),
  ),
  /** A sweep's grid as one PNG with its rows and columns labelled: stored, returned by hash. */
  'batches.grid': command<{ hash: string; width: number; height: number }>()(v.object({ id: batchId })),
  'sync.run': command<{ imported: number }>()(v.object({ profileId: v.optional(profileId) })),
  'gallery.page': command<GalleryPage>()(galleryQuery),
  /** `estimated`: an estimate (said as one), where an exact count would visit too many outputs in time. */
  'gallery.count': command<{ count: number; estimated?: boolean }>()(galleryCount),
  'outputs.favorite': command<void>()(v.object({ ids: outputIds, favorite: v.boolean })),
  /** Removes outputs from the gallery (kept on disk until purged, so it can be undone). */
  'outputs.delete': command<void>()(v.object({ ids: outputIds })),
  'outputs.restore': command<void>()(v.object({ ids: outputIds })),
  'workflows.list': command<WorkflowEntry[]>()(v.none),
  /** Adds a folder of ComfyUI outputs (on this computer) to the gallery. */
  'import.folder': command<ImportSummary>()(
    v.object({
      path: absolutePath,
      /** copy into the store (default), or reference the files where they are. */
      mode: v.optional(v.literal('copy', 'reference')),
    }),
  ),
  /** Open workflows, in tab order. */
  'drafts.list': command<Draft[]>()(v.none),
  'drafts.save': command<Draft>()(
    v.object({
      id: v.optional(v.string({ min: 1, max: 64, pattern: /^[A-Za-z0-9_-]+$/ })),
      name: v.string({ min: 1, max: 200 }),
      workflow: v.json({ maxBytes: MAX_WORKFLOW_BYTES }),
      state: v.json({ maxBytes: 1_000_000 }),
      uiWorkflow: v.optional(v.nullable(uiWorkflowJson)),
    }),
  ),
  'drafts.remove': command<void>()(v.object({ id: v.string({ min: 1, max: 64, pattern: /^[A-Za-z0-9_-]+$/ }) })),
  'library.list': command<LibraryEntry[]>()(v.none),
  'library.get': command<{ entry: LibraryEntry; workflow: Record<string, unknown> }>()(v.object({ id: libraryId })),
  'library.save': command<LibraryEntry>()(
    v.object({
      id: v.optional(libraryId),
      name: v.string({ min: 1, max: 200 }),
      /** API format, or UI format (kept as the graph, converted when opened). */
      workflow: v.json({ maxBytes: MAX_WORKFLOW_BYTES }),
      /** The UI workflow `workflow` (API) was converted from: its values are written into it and it is kept. */
      uiWorkflow: v.optional(uiWorkflowJson),
    }),
  ),
  'library.rename': command<LibraryEntry>()(v.object({ id: libraryId, name: v.string({ min: 1, max: 200 }) })),
  'library.duplicate': command<LibraryEntry>()(v.object({ id: libraryId })),
  'library.delete': command<void>()(v.object({ id: libraryId })),
  /** A server's saved workflows (its workflows/ user data) as the journal keeps them; `refresh` asks the server first. */
  'saved.list': command<SavedWorkflowList>()(v.object({ profileId, refresh: v.optional(v.boolean) })),
  /** A saved workflow: the server's newest, or the copy kept here when the server is out of reach. */
  'saved.open': command<SavedWorkflowFile>()(v.object({ profileId, path: savedWorkflowPath })),
  /**
   * Saves a workflow to a server: a graph (`uiWorkflow`) with the form's values (`workflow`, API) written in,
   * or a workflow as it is. `base`: the server's modified time it was opened at (null: a new name).
   */
  'saved.save': command<SavedWorkflowSaveResult>()(
    v.object({
      profileId,
      path: savedWorkflowPath,
      base: v.nullable(v.number({ min: 0 })),
      workflow: v.json({ maxBytes: MAX_SAVED_BYTES }),
      uiWorkflow: v.optional(uiWorkflowJson),
    }),
  ),
  /** Renames or moves (to another folder) a saved workflow. */
  'saved.rename': command<SavedWorkflowEntry>()(
    v.object({ profileId, from: savedWorkflowPath, to: savedWorkflowPath }),
  ),
  'saved.delete': command<void>()(v.object({ profileId, path: savedWorkflowPath })),
  /** Copies a saved workflow to another server's saved workflows. */
  'saved.copy': command<SavedWorkflowSaveResult>()(
    v.object({ from: profileId, path: savedWorkflowPath, to: profileId, as: v.optional(savedWorkflowPath) }),
  ),
  /** The template packs a server offers (custom node templates); none is an empty list. */
  'saved.templates': command<TemplatePack[]>()(v.object({ profileId })),
  'saved.template': command<{ workflow: Record<string, unknown> }>()(
    v.object({
      profileId,
      pack: templatePart,
      name: templatePart,
    }),
  ),
  /** Rates outputs 1 to 5, or clears their rating (null). */
  'outputs.rate': command<void>()(v.object({ ids: outputIds, rating: v.nullable(v.integer({ min: 1, max: 5 })) })),
  /** Adds and removes tags on outputs. */
  'outputs.tag': command<void>()(
    v.object({
      ids: outputIds,
      add: v.optional(v.array(tagName, { max: 50 })),
      remove: v.optional(v.array(tagName, { max: 50 })),
    }),
  ),
  /** What an output was made from (outputs used as its job's inputs) and what used it since. */
  'outputs.lineage': command<Lineage>()(v.object({ id: v.integer({ min: 1 }) })),
  /**
   * Exports outputs, each with its workflow in its metadata and a JSON sidecar (API prompt): to a
   * folder on this computer, or (no folder) as a ZIP kept by hash for the window to save.
   */
  'outputs.export': command<{ files: number; bytes: number; zip: { hash: string; name: string } | null }>()(
    v.object({ ids: outputIds, folder: v.optional(absolutePath) }),
  ),
  /** An output as a PNG with its job's workflow embedded ("Save job as PNG + workflow"): by hash. */
  'outputs.withWorkflow': command<{ hash: string; name: string }>()(v.object({ id: v.integer({ min: 1 }) })),
  /** Images like this one (by perceptual hash), nearest first. */
  'outputs.similar': command<SimilarItem[]>()(
    v.object({
      id: v.integer({ min: 1 }),
      limit: v.optional(v.integer({ min: 1, max: 500 })),
      maxDistance: v.optional(v.integer({ min: 0, max: 64 })),
    }),
  ),
  /** 2 to 4 outputs side by side: what differed in how they were made. */
  'outputs.compare': command<Comparison>()(v.object({ ids: v.array(v.integer({ min: 1 }), { min: 2, max: 4 }) })),
  /** Tags in use, most used first; those starting with `prefix` for autocomplete. */
  'tags.list': command<TagCount[]>()(
    v.object({
      prefix: v.optional(v.string({ max: MAX_TAG_LENGTH })),
      limit: v.optional(v.integer({ min: 1, max: 200 })),
    }),
  ),
  'albums.list': command<Album[]>()(v.none),
  /** Creates (no id) or renames an album; a filter makes it a smart album (a saved search). */
  'albums.save': command<Album>()(
    v.object({
      id: v.optional(albumId),
      name: v.string({ min: 1, max: 200 }),
      filter: v.optional(v.nullable(savedFilter)),
    }),
  ),
  'albums.delete': command<void>()(v.object({ id: albumId })),
  /** Puts outputs in, or takes them out of, an album chosen by hand. */
  'albums.add': command<Album>()(v.object({ id: albumId, ids: outputIds })),
  'albums.remove': command<Album>()(v.object({ id: albumId, ids: outputIds })),
  /** Opens an output's file with the system's default app for it (desktop app only). */
  'outputs.open': command<void>()(v.object({ id: v.integer({ min: 1 }) })),
  /** Starts a native drag of these outputs' files, out to the desktop or another app (desktop app only). */
  'outputs.drag': command<void>()(v.object({ ids: v.array(v.integer({ min: 1 }), { min: 1, max: 100 }) })),
  /**
   * Saves a copy of a stored file (an output, a grid image, an export) where the person chooses, with
   * a save dialog (desktop app only: in a browser its link downloads it).
   */
  'media.save': command<{ saved: boolean }>()(
    v.object({ hash: v.string({ pattern: /^[a-f0-9]{64}$/, max: 64 }), name: v.string({ min: 1, max: 255 }) }),
  ),
  /** Shows an output's file in the system file manager (desktop app only). */
  'outputs.reveal': command<void>()(v.object({ id: v.integer({ min: 1 }) })),
  /** Uploads a stored output to a server as an input image ("use as input"). */
  'uploads.fromOutput': command<UploadedFile>()(
    v.object({ id: v.integer({ min: 1 }), profileId: v.optional(profileId) }),
  ),
  /**
   * Brings an input image that is on the server (named in a workflow, or listed by a local server)
   * to this computer, by content hash: its preview, and the pixels a mask is painted on.
   */
  'uploads.fetch': command<{ hash: string; width: number | null; height: number | null }>()(
    v.object({
      profileId: v.optional(profileId),
      name: v.string({ min: 1, max: 512 }),
      subfolder: v.optional(v.string({ max: 512 })),
    }),
  ),
  'workflows.inspect': command<WorkflowReport>()(
    v.object({ workflow: v.json({ maxBytes: MAX_WORKFLOW_BYTES }), profileId: v.optional(profileId) }),
  ),
  /** Bypasses, mutes or enables a node of a UI-format workflow: the changed workflow, converted again. */
  'workflows.setNodeMode': command<{ workflow: Record<string, unknown>; report: WorkflowReport }>()(
    v.object({
      workflow: uiWorkflowJson,
      uiId: v.string({ min: 1, max: 200, pattern: /^-?\d+(:-?\d+)*$/ }),
      mode: v.literal('always', 'mute', 'bypass'),
      profileId: v.optional(profileId),
    }),
  ),
  'workflows.fromImage': command<EmbeddedWorkflow>()(v.object({ data: fileData })),
  'objectInfo.get': command<Record<string, unknown> | null>()(v.object({ profileId: v.optional(profileId) })),
  'uploads.image': command<UploadedFile>()(
    v.object({
      profileId: v.optional(profileId),
      name: v.string({ min: 1, max: 255 }),
      data: fileData,
      kind: v.literal('image', 'mask'),
      original: v.optional(
        v.object({
          name: v.string({ min: 1, max: 512 }),
          subfolder: v.string({ max: 512 }),
          type: v.string({ max: 32 }),
        }),
      ),
    }),
  ),
} as const;

export const events = {
  'connection.changed': event<ConnectionState>(),
  'settings.changed': event<Settings>(),
  'profiles.changed': event<ProfileList>(),
  'key.changed': event<KeyStatus>(),
  'job.changed': event<JobSummary>(),
  /** The app's queue changed: a pause, a window, what a server has of ours. */
  'queue.changed': event<QueueState>(),
  'batch.changed': event<BatchSummary>(),
  'job.preview': event<JobPreview>(),
  /** A job reached a final state: the shell shows an OS notification if the window is not focused. */
  'job.finished': event<JobFinished>(),
  /** An output changed (new, downloaded, favorite, deleted): the gallery tile itself, ready to show. */
  'output.changed': event<GalleryItem>(),
  'import.progress': event<{ done: number; total: number }>(),
  /** The desktop app's menu (or its shortcut) asks the window to do something. */
  'menu.command': event<{ command: MenuCommand }>(),
  /** The OS opened a workflow with the app (file association, "Open with", a second launch): its bytes, no path. */
  'app.openFile': event<{ name: string; kind: 'json' | 'png'; data: string }>(),
  /** The person clicked a job's OS notification. */
  'app.openJob': event<{ jobId: string }>(),
  /** Bytes of an upload sent to the server so far (the name is the file's). */
  'upload.progress': event<{ name: string; sent: number; total: number }>(),
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

/**
 * thumb: the grid's small image (a video's poster, an audio file's waveform); large: a sharp one for
 * big tiles and dense screens (made on first use); preview: a video's short silent clip for hover
 * (made on first use); full: the file.
 */
export type MediaVariant = 'thumb' | 'large' | 'preview' | 'full';

/** The long edge of each made variant, in px (fit inside, never enlarged): the window picks by them. */
export const MEDIA_EDGE = { thumb: 384, large: 1024 } as const;

/** The variant a media URL's `v=` names; anything else is the full file. */
export function mediaVariantOf(value: string | null): MediaVariant {
  return value === 'thumb' || value === 'large' || value === 'preview' ? value : 'full';
}

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
