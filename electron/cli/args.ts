// The command line's arguments and local files, checked before anything touches a server or the
// journal: a mistake is a usage error (exit 2) with a message that says what to fix, never an
// upload, a journal write or a stack trace.
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { MAX_WORKFLOW_BYTES } from '../../shared/contract';
import { DeskError } from '../../shared/errors';
import { savedPathProblem, toSavedPath, workflowNameOfFile } from '../../shared/saved-workflows';
import {
  MAX_BATCH_RUNS,
  MAX_SWEEP_AXES,
  MAX_WINDOW,
  parseSweepValues,
  sweepSize,
  type MovePlace,
  type SweepAxis,
} from '../../shared/queue';
import { gridLayout } from '../engine/jobs/grid';
import { dataPaths, defaultDataDir } from '../engine/paths';
import { checkUploadable, limitsFrom } from '../engine/uploads';
import { probeMedia } from '../engine/store/media-probe';
import { embeddedFromTags, readImageMetadata } from '../engine/workflows/metadata';
import {
  applyInputs,
  isLink,
  isUiWorkflow,
  parseApiWorkflow,
  resolveNodeRef,
  seedInputsOf,
  type ApiWorkflow,
  type SeedStrategy,
} from '../engine/workflows/api-format';

export class UsageError extends Error {}

export const COMMANDS = ['run', 'jobs', 'sync', 'check', 'convert', 'import', 'search', 'queue', 'workflows'] as const;
export type CommandWord = (typeof COMMANDS)[number];

export const EXIT = { ok: 0, jobFailed: 1, usage: 2, server: 3 } as const;

/** How long `run --wait` keeps trying while the server cannot be reached, unless --timeout says otherwise. */
export const DEFAULT_TIMEOUT_S = 120;
/** The same for `run` without --wait: it only has to hand the jobs over, so it says so sooner. */
export const DEFAULT_SUBMIT_TIMEOUT_S = 15;

const OPTIONS = {
  server: { type: 'string' },
  kind: { type: 'string' },
  set: { type: 'string', multiple: true },
  image: { type: 'string', multiple: true },
  mask: { type: 'string', multiple: true },
  count: { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string' },
  wait: { type: 'boolean' },
  timeout: { type: 'string' },
  data: { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'boolean' },
  reference: { type: 'boolean' },
  sweep: { type: 'string', multiple: true },
  servers: { type: 'string' },
  'batch-name': { type: 'string' },
  grid: { type: 'string' },
  front: { type: 'boolean' },
  back: { type: 'boolean' },
  before: { type: 'string' },
  after: { type: 'string' },
  'object-info': { type: 'string' },
  as: { type: 'string' },
} as const;

/** A server as a person names it: an address (found, or made into a profile by run) or a profile's name. */
export interface ServerRef {
  /** What was typed, for messages. */
  text: string;
  /** The flag it came with (--server, --servers). */
  flag: string;
  /** An http(s) address: origin + path, no trailing slash. */
  url?: string;
  /** Otherwise a profile's name (or id). */
  name?: string;
}

export const QUEUE_ACTIONS = ['list', 'pause', 'resume', 'move', 'window'] as const;
export type QueueAction = (typeof QUEUE_ACTIONS)[number];

export type QueueArgs =
  | { action: 'list' | 'pause' | 'resume' }
  | { action: 'move'; ids: string[]; to: MovePlace; anchor?: string }
  | { action: 'window'; window: number | null };

/** Flags that only mean something to one command: refused elsewhere rather than silently ignored. */
const ONLY_FOR: Record<string, string> = {
  sweep: 'run',
  servers: 'run',
  'batch-name': 'run',
  grid: 'run',
  front: 'queue move',
  back: 'queue move',
  before: 'queue move',
  after: 'queue move',
  'object-info': 'convert',
  as: 'workflows put',
};

const JOB_ID = /^[A-Za-z0-9_-]{1,64}$/;

export interface Args {
  command: CommandWord;
  positionals: string[];
  /** --server: an address or a profile's name. */
  server?: ServerRef;
  /** --servers: several, to spread the runs over (the first also takes the uploads). */
  servers: ServerRef[];
  kind?: 'cloud' | 'local';
  data?: string;
  json: boolean;
  reference: boolean;
  wait: boolean;
  out?: string;
  limit: number;
  count: number;
  seed: SeedStrategy;
  /** --timeout in ms, when given. */
  timeoutMs: number | null;
  batchName?: string;
  /** --grid FILE: the sweep's labelled grid image, written there when the runs are done. */
  grid?: string;
  /** For `queue`: what to do. */
  queue?: QueueArgs;
  /** For `workflows`: list, get NAME, put FILE [--as NAME]. */
  workflows?: WorkflowsArgs;
  /** For `convert`: a saved object_info JSON to convert with, instead of a server's. */
  objectInfo?: string;
  raw: { set: string[]; image: string[]; mask: string[]; sweep: string[] };
}

export function parseCommandLine(argv: string[]): Args {
  const [command, ...rest] = argv;
  if (!command) throw new UsageError('No command given.');
  if (!(COMMANDS as readonly string[]).includes(command)) throw new UsageError(`Unknown command "${command}".`);
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: rest, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    // node:util names the option ("Unknown option '--foo'"), then goes on about positionals: the
    // first sentence is the message a person needs.
    const message = (err as Error).message;
    throw new UsageError(message.split(/(?<=\.) (?=To specify)/)[0]!.replace(/\.?$/, '.'));
  }
  const v = parsed.values;
  const kind = v.kind === undefined ? undefined : oneOf(v.kind, ['cloud', 'local'] as const, '--kind');
  const word =
    command === 'queue'
      ? `queue ${parsed.positionals[0] ?? 'list'}`
      : command === 'workflows'
        ? `workflows ${parsed.positionals[0] ?? 'list'}`
        : command;
  for (const [flag, owner] of Object.entries(ONLY_FOR)) {
    if (v[flag as keyof typeof v] !== undefined && word !== owner)
      throw new UsageError(`--${flag} goes with \`${owner}\`, not \`${word}\`.`);
  }
  const servers = v.servers === undefined ? [] : serverList(v.servers);
  if (v.server !== undefined && v.servers !== undefined)
    throw new UsageError('Give --server (one) or --servers (several), not both.');
  if (v['batch-name'] !== undefined && (v['batch-name'].trim() === '' || v['batch-name'].length > 200))
    throw new UsageError('--batch-name must be a name of 1 to 200 characters.');
  if (v.grid !== undefined && !v.grid.trim()) throw new UsageError('--grid needs a file name (a .png).');
  return {
    command: command as CommandWord,
    positionals: command === 'queue' || command === 'workflows' ? parsed.positionals.slice(1) : parsed.positionals,
    ...(command === 'workflows' ? { workflows: workflowsArgs(parsed.positionals, v.as) } : {}),
    ...(v.server !== undefined ? { server: serverRef(v.server, '--server') } : {}),
    servers,
    ...(kind ? { kind } : {}),
    ...(v['batch-name'] !== undefined ? { batchName: v['batch-name'].trim() } : {}),
    ...(v.grid !== undefined ? { grid: v.grid } : {}),
    ...(command === 'queue' ? { queue: queueArgs(parsed.positionals, v) } : {}),
    ...(v.data !== undefined ? { data: v.data } : {}),
    ...(v['object-info'] !== undefined ? { objectInfo: v['object-info'] } : {}),
    ...(v.out !== undefined ? { out: v.out } : {}),
    json: v.json === true,
    reference: v.reference === true,
    wait: v.wait === true,
    limit: wholeNumber(v.limit, 20, 1, 500, '--limit'),
    count: wholeNumber(v.count, 1, 1, 100, '--count'),
    seed: oneOf(v.seed ?? 'fixed', ['fixed', 'random', 'increment'] as const, '--seed'),
    timeoutMs: v.timeout === undefined ? null : wholeNumber(v.timeout, 0, 1, 86_400, '--timeout') * 1000,
    raw: { set: v.set ?? [], image: v.image ?? [], mask: v.mask ?? [], sweep: v.sweep ?? [] },
  };
}

export type WorkflowsArgs =
  { action: 'list' } | { action: 'get'; path: string } | { action: 'put'; file: string; path: string };

/** A saved workflow's name on the command line ("fox", "portraits/fox.json") as its path, or a usage error. */
export function savedPathArg(name: string, what: string): string {
  const path = toSavedPath(name);
  const problem = savedPathProblem(path);
  if (problem) throw new UsageError(`${what} "${name.slice(0, 80)}": ${problem}`);
  return path;
}

/** `workflows [list] | get NAME | put FILE [--as NAME]`. */
function workflowsArgs(positionals: string[], as: string | undefined): WorkflowsArgs {
  const [action = 'list', ...rest] = positionals;
  if (action === 'list') {
    if (rest.length > 0) throw new UsageError(`workflows list takes no more words (got "${rest[0]}").`);
    return { action };
  }
  if (action === 'get') {
    if (rest.length !== 1) throw new UsageError('workflows get needs one name (see comfy-desk workflows list).');
    return { action, path: savedPathArg(rest[0]!, 'workflows get') };
  }
  if (action === 'put') {
    if (rest.length !== 1) throw new UsageError('workflows put needs one file (a workflow .json).');
    const file = rest[0]!;
    const base = file
      .split(/[\\/]/)
      .pop()!
      .replace(/\.json$/i, '');
    return { action, file, path: savedPathArg(as ?? base, as !== undefined ? '--as' : 'workflows put') };
  }
  throw new UsageError(`Unknown workflows command "${action}": give list, get or put.`);
}

/** `queue [list|pause|resume|move|window] …`: the words and flags each one takes. */
function queueArgs(
  positionals: string[],
  v: { front?: boolean; back?: boolean; before?: string; after?: string; server?: string },
): QueueArgs {
  const [action = 'list', ...rest] = positionals;
  if (!(QUEUE_ACTIONS as readonly string[]).includes(action))
    throw new UsageError(`Unknown queue command "${action}": give ${QUEUE_ACTIONS.join(', ')}.`);
  switch (action as QueueAction) {
    case 'list':
    case 'pause':
    case 'resume':
      if (rest.length > 0) throw new UsageError(`queue ${action} takes no more words (got "${rest[0]}").`);
      return { action: action as 'list' | 'pause' | 'resume' };
    case 'move': {
      if (rest.length === 0)
        throw new UsageError('queue move needs the jobs to move: their ids (see comfy-desk queue list).');
      for (const id of rest) if (!JOB_ID.test(id)) throw new UsageError(`queue move: "${id}" is not a job id.`);
      const places = [
        v.front ? 'front' : null,
        v.back ? 'back' : null,
        v.before !== undefined ? 'before' : null,
        v.after !== undefined ? 'after' : null,
      ].filter((p): p is MovePlace => p !== null);
      if (places.length !== 1)
        throw new UsageError(
          `queue move needs exactly one of --front, --back, --before ID, --after ID${places.length > 1 ? ` (got ${places.map((p) => `--${p}`).join(' and ')})` : ''}.`,
        );
      const to = places[0]!;
      if (to === 'front' || to === 'back') return { action: 'move', ids: rest, to };
      const anchor = (to === 'before' ? v.before : v.after)!;
      if (!JOB_ID.test(anchor)) throw new UsageError(`--${to} "${anchor}" is not a job id.`);
      if (rest.includes(anchor)) throw new UsageError(`--${to} ${anchor}: a job cannot move next to itself.`);
      return { action: 'move', ids: rest, to, anchor };
    }
    case 'window': {
      if (v.server === undefined)
        throw new UsageError('queue window needs --server (an address or a profile name) and a number or "default".');
      if (rest.length !== 1)
        throw new UsageError(
          `queue window needs one number (1 to ${MAX_WINDOW}: how many of ours may be on the server at once) or "default".`,
        );
      if (rest[0] === 'default') return { action: 'window', window: null };
      return { action: 'window', window: wholeNumber(rest[0], 0, 1, MAX_WINDOW, 'queue window N') };
    }
  }
}

/**
 * A server named on the command line. Anything with "://" is an address and must be http(s);
 * anything else is a profile's name (found once the journal is open).
 */
export function serverRef(text: string, flag: string): ServerRef {
  const trimmed = text.trim();
  if (!trimmed) throw new UsageError(`${flag}: give a server address (like http://127.0.0.1:8188) or a profile name.`);
  if (trimmed.includes('://')) return { text: trimmed, flag, url: serverUrl(trimmed, flag) };
  if (trimmed.length > 80)
    throw new UsageError(`${flag} ${trimmed.slice(0, 40)}…: not an address, and too long to be a profile name.`);
  return { text: trimmed, flag, name: trimmed };
}

/** --servers A,B,…: two to sixteen servers (a single one is --server's job, but is taken too). */
function serverList(text: string): ServerRef[] {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.some((p) => p === ''))
    throw new UsageError(`--servers ${text}: an empty entry; give addresses or profile names separated by commas.`);
  const refs = parts.map((p) => serverRef(p, '--servers'));
  const unique = [...new Map(refs.map((r) => [r.url ?? `name:${r.name!.toLowerCase()}`, r])).values()];
  if (unique.length > 16) throw new UsageError(`--servers: at most 16 servers (got ${unique.length}).`);
  return unique;
}

/**
 * A profile name can only be found in the journal. With no journal yet there is none to find:
 * said now, before anything creates one.
 */
export function checkServerNames(args: Args): void {
  const names = [args.server, ...args.servers].filter((r): r is ServerRef => r?.name !== undefined);
  if (names.length === 0) return;
  const journal = dataPaths(args.data ? resolve(args.data) : defaultDataDir()).journalPath;
  if (existsSync(journal)) return;
  const ref = names[0]!;
  throw new UsageError(
    `${ref.flag} ${ref.text}: not an address, and there is no server profile of that name (this data folder has none yet). Give an address like http://127.0.0.1:8188 or https://cloud.comfy.org.`,
  );
}

/** The address of a server: http(s) with a host, nothing else. Returns origin + path, no trailing slash. */
export function serverUrl(text: string, flag = '--server'): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(
      `${flag} ${text}: not an address. Give one like http://127.0.0.1:8188 or https://cloud.comfy.org.`,
    );
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
    throw new UsageError(`${flag} ${text}: only http:// and https:// addresses are servers.`);
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
}

/** A workflow file: exists, is a file, within the contract's size limit, JSON. */
export async function readWorkflowFile(file: string | undefined): Promise<unknown> {
  const info = await existingFile(file);
  if (info.size > MAX_WORKFLOW_BYTES) {
    throw new UsageError(
      `${file} is ${megabytes(info.size)}; a workflow can be at most ${megabytes(MAX_WORKFLOW_BYTES)}.`,
    );
  }
  try {
    return JSON.parse(await readFile(file!, 'utf8')) as unknown;
  } catch (err) {
    throw new UsageError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
}

async function existingFile(file: string | undefined) {
  if (!file) throw new UsageError('Give a workflow file (.json, or an image or video made by ComfyUI).');
  const info = await stat(file).catch(() => null);
  if (!info) throw new UsageError(`${file}: no such file.`);
  if (!info.isFile()) throw new UsageError(`${file} is not a file.`);
  return info;
}

/** An image is read whole to find its text chunks; a larger file is no ComfyUI output. */
const MAX_IMAGE_BYTES = 256 * 1024 * 1024;

/**
 * What a file holds: an API prompt, a UI-format workflow (saved from ComfyUI's editor), or both
 * (an image or video ComfyUI made carries the two). JSON, PNG, WebP, MP4 or WebM.
 */
export async function readWorkflowSource(
  file: string | undefined,
): Promise<{ prompt: Record<string, unknown> | null; ui: Record<string, unknown> | null }> {
  const ext = extname(file ?? '').toLowerCase();
  let embedded: { prompt: Record<string, unknown> | null; workflow: Record<string, unknown> | null };
  if (ext === '.png' || ext === '.webp') {
    const info = await existingFile(file);
    if (info.size > MAX_IMAGE_BYTES)
      throw new UsageError(`${file} is ${megabytes(info.size)}: too large for an image.`);
    embedded = readImageMetadata(await readFile(file!));
  } else if (ext === '.mp4' || ext === '.webm' || ext === '.mov') {
    await existingFile(file);
    const probe = await probeMedia(file!);
    if (!probe.ok) throw new UsageError(`${file} cannot be read as a video: ${probe.reason}`);
    embedded = embeddedFromTags(probe.tags);
  } else {
    const value = await readWorkflowFile(file);
    if (isUiWorkflow(value)) return { prompt: null, ui: value as Record<string, unknown> };
    return { prompt: value as Record<string, unknown>, ui: null };
  }
  const ui = isUiWorkflow(embedded.workflow) ? embedded.workflow : null;
  if (!embedded.prompt && !ui) throw new UsageError(`${file} carries no ComfyUI workflow.`);
  return { prompt: embedded.prompt, ui };
}

export interface LocalImage {
  node: string;
  file: string;
  name: string;
  bytes: Buffer;
  mask?: { file: string; name: string; bytes: Buffer };
}

export interface RunPlan {
  name: string;
  /** `run server:NAME`: the saved workflow on the server, read once it is chosen. */
  savedPath?: string;
  /** The API prompt to run; null until a UI-format workflow is converted with the server's nodes. */
  workflow: ApiWorkflow | null;
  /** The UI-format workflow (saved from ComfyUI's editor), kept with the jobs. */
  ui: Record<string, unknown> | null;
  sets: Record<string, unknown>;
  images: LocalImage[];
  /** --sweep: the inputs varied, with their values (empty: no sweep). */
  sweep: SweepAxis[];
}

/**
 * Everything `run` needs from this computer, read and checked before the engine opens. A workflow
 * saved from ComfyUI's editor is checked against --set, --sweep and --image once it is converted
 * (that needs the server's nodes): see completePlan.
 */
export async function planRun(args: Args): Promise<RunPlan> {
  const file = args.positionals[0];
  // server:NAME — a workflow saved on the server: read (and converted) once the server is chosen.
  if (file?.startsWith('server:')) {
    const savedPath = savedPathArg(file.slice('server:'.length), 'run');
    const images = await readImages(args.raw.image, args.raw.mask);
    if (args.out !== undefined) await checkOutFolder(args.out);
    const name = savedPath
      .replace(/\.json$/i, '')
      .split('/')
      .pop()!;
    return { name, workflow: null, ui: null, sets: {}, images, sweep: [], savedPath };
  }
  const source = await readWorkflowSource(file);
  const images = await readImages(args.raw.image, args.raw.mask);
  if (args.out !== undefined) await checkOutFolder(args.out);
  const name = workflowNameOfFile(file ?? 'workflow');
  const plan: RunPlan = { name, workflow: null, ui: source.ui, sets: {}, images, sweep: [] };
  return source.prompt ? completePlan(args, plan, parseWorkflow(source.prompt)) : plan;
}

/** The checks that need the prompt: --set and --sweep name inputs it has, --image a node it has. */
export async function completePlan(args: Args, plan: RunPlan, base: ApiWorkflow): Promise<RunPlan> {
  const sets = Object.fromEntries(args.raw.set.map(parseSet));
  for (const image of plan.images) {
    const id = resolveRef(base, image.node);
    if (id === null) throw new UsageError(`--image ${image.node}=…: the workflow has no node ${image.node}.`);
    image.node = id;
  }
  // The values are applied once now, so a --set naming a missing node is refused before anything else.
  const workflow = tryApply(base, sets);
  const sweep = parseSweeps(args.raw.sweep, workflow, sets, args.count, args.seed);
  if (args.grid !== undefined) await checkGridFile(args.grid, sweep);
  return { ...plan, workflow, sets, sweep };
}

function resolveRef(workflow: ApiWorkflow, ref: string): string | null {
  try {
    return resolveNodeRef(workflow, ref);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/**
 * --sweep NODE.INPUT=VALUES, at most twice: each names an input the workflow has (a value, not a
 * link), its values read by the one grammar the window uses too (shared/queue.ts), numbers where
 * the workflow holds a number there. Every run of the product (times --count) fits in one batch.
 */
export function parseSweeps(
  texts: string[],
  workflow: ApiWorkflow,
  sets: Record<string, unknown>,
  count: number,
  seed: SeedStrategy,
): SweepAxis[] {
  if (texts.length > MAX_SWEEP_AXES)
    throw new UsageError(
      `--sweep: at most ${MAX_SWEEP_AXES} (the rows and the columns of the grid); ${texts.length} were given.`,
    );
  const axes = texts.map((text): SweepAxis => {
    const shown = text.length > 80 ? `${text.slice(0, 79)}…` : text;
    const m = /^([^.=]+)\.([^.=]+)=([\s\S]*)$/.exec(text);
    if (!m)
      throw new UsageError(
        `--sweep ${shown}: expected NODE.INPUT=VALUES, e.g. 3.cfg=4,6,8 or 3.seed=1..4 or 3.denoise=0.5..1:0.25`,
      );
    const [, ref, input, valuesText] = m as unknown as [string, string, string, string];
    const nodeId = resolveRef(workflow, ref);
    const node = nodeId === null ? undefined : workflow[nodeId];
    if (nodeId === null || !node)
      throw new UsageError(`--sweep ${shown}: the workflow has no node ${ref} (by id or title).`);
    const label = `node ${nodeId} (${node._meta?.title ?? node.class_type})`;
    if (!Object.hasOwn(node.inputs, input)) {
      const values = Object.keys(node.inputs).filter((k) => !isLink(node.inputs[k]));
      throw new UsageError(
        `--sweep ${shown}: ${label} has no input "${input}"${values.length ? `; it has ${values.join(', ')}` : ''}.`,
      );
    }
    const current = node.inputs[input];
    if (isLink(current))
      throw new UsageError(
        `--sweep ${shown}: input "${input}" of ${label} is connected to node ${current[0]}; sweep an input that holds a value.`,
      );
    if (Object.hasOwn(sets, `${nodeId}.${input}`))
      throw new UsageError(`--sweep ${nodeId}.${input} and --set ${nodeId}.${input} both give it values: keep one.`);
    const numeric = typeof current === 'number';
    let values: SweepAxis['values'];
    try {
      values = parseSweepValues(valuesText, numeric);
    } catch (err) {
      throw new UsageError(
        `--sweep ${shown}: ${(err as Error).message.replace(/\.$/, '')}${numeric ? `; ${label} takes a number for ${input}` : ''}.`,
      );
    }
    if (typeof current === 'boolean') {
      values = values.map((value) => {
        if (value === 'true' || value === 'false') return value === 'true';
        throw new UsageError(
          `--sweep ${shown}: "${String(value)}" is not true or false (${label} takes one for ${input}).`,
        );
      });
    }
    return { nodeId, input, values };
  });
  if (axes.length === 2 && axes[0]!.nodeId === axes[1]!.nodeId && axes[0]!.input === axes[1]!.input)
    throw new UsageError(`--sweep ${axes[0]!.nodeId}.${axes[0]!.input} is given twice: one --sweep per input.`);
  const runs = sweepSize(axes) * count;
  if (axes.length > 0 && runs > MAX_BATCH_RUNS) {
    const sizes = axes.map((a) => a.values.length).join(' × ');
    throw new UsageError(
      `--sweep: ${sizes} values${count > 1 ? ` × --count ${count}` : ''} makes ${runs} runs; at most ${MAX_BATCH_RUNS} at once.`,
    );
  }
  if (seed === 'random') {
    const seeds = new Set(seedInputsOf(workflow).map((s) => `${s.nodeId}.${s.input}`));
    const swept = axes.find((a) => seeds.has(`${a.nodeId}.${a.input}`));
    if (swept)
      throw new UsageError(
        `--sweep ${swept.nodeId}.${swept.input} with --seed random: random seeds would replace the swept ones. Use --seed fixed (or increment).`,
      );
  }
  return axes;
}

/** --grid FILE: only for a sweep, a file (not a folder) in a folder that exists, and a grid that can be drawn. */
async function checkGridFile(file: string, sweep: SweepAxis[]): Promise<void> {
  if (sweep.length === 0) throw new UsageError("--grid needs --sweep: the grid is a sweep's runs, labelled by value.");
  const info = await stat(file).catch(() => null);
  if (info?.isDirectory()) throw new UsageError(`--grid ${file} is a folder; give a file name (a .png).`);
  const folder = await stat(dirname(resolve(file))).catch(() => null);
  if (!folder?.isDirectory())
    throw new UsageError(`--grid ${file}: the folder ${dirname(resolve(file))} does not exist.`);
  try {
    gridLayout(sweep);
  } catch (err) {
    throw new UsageError(`--grid: ${(err as Error).message}`);
  }
}

export function parseWorkflow(value: unknown): ApiWorkflow {
  try {
    return parseApiWorkflow(value);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function tryApply(workflow: ApiWorkflow, sets: Record<string, unknown>): ApiWorkflow {
  try {
    return applyInputs(workflow, sets);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function parseSet(text: string): [string, unknown] {
  const eq = text.indexOf('=');
  if (eq < 1 || !/^[^.=]+\.[^=]+$/.test(text.slice(0, eq))) {
    throw new UsageError(`--set ${text}: expected NODE.INPUT=VALUE`);
  }
  const raw = text.slice(eq + 1);
  // Numbers, booleans and JSON stay typed; anything else is a string.
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = raw;
  }
  return [text.slice(0, eq), value];
}

async function readImages(imageArgs: string[], maskArgs: string[]): Promise<LocalImage[]> {
  const pairs = (list: string[], flag: string) =>
    list.map((p) => {
      const eq = p.indexOf('=');
      if (eq < 1 || eq === p.length - 1) throw new UsageError(`--${flag} ${p}: expected NODE=FILE`);
      return [p.slice(0, eq), p.slice(eq + 1)] as const;
    });
  const images = pairs(imageArgs, 'image');
  const masks = new Map(pairs(maskArgs, 'mask'));
  for (const node of masks.keys()) {
    if (!images.some(([n]) => n === node)) {
      throw new UsageError(`--mask ${node}=…: give --image ${node}=… too (a mask belongs to an image).`);
    }
  }
  const out: LocalImage[] = [];
  for (const [node, file] of images) {
    const image: LocalImage = { node, file, ...(await readImage(file, 'image')) };
    const maskFile = masks.get(node);
    if (maskFile) image.mask = { file: maskFile, ...(await readImage(maskFile, 'mask')) };
    out.push(image);
  }
  return out;
}

/** An image file as the server would take it: the same checks the upload makes, made here first. */
async function readImage(file: string, what: 'image' | 'mask'): Promise<{ name: string; bytes: Buffer }> {
  const info = await stat(file).catch(() => null);
  if (!info) throw new UsageError(`--${what} ${file}: no such file.`);
  if (!info.isFile()) throw new UsageError(`--${what} ${file} is not a file.`);
  const limits = limitsFrom(null);
  if (info.size > limits.maxBytes) {
    throw new UsageError(
      `--${what} ${file} is ${megabytes(info.size)}; the server takes at most ${megabytes(limits.maxBytes)}.`,
    );
  }
  const bytes = await readFile(file);
  const name = file.split(/[\\/]/).pop()!;
  try {
    checkUploadable(bytes, name, limits);
  } catch (err) {
    if (err instanceof DeskError) throw new UsageError(`--${what} ${file}: ${err.message}`);
    throw err;
  }
  return { name, bytes };
}

async function checkOutFolder(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => null);
  if (info && !info.isDirectory()) throw new UsageError(`--out ${dir} is a file, not a folder.`);
}

export async function checkFolder(path: string | undefined): Promise<string> {
  if (!path) throw new UsageError('import needs a folder.');
  const info = await stat(path).catch(() => null);
  if (!info) throw new UsageError(`${path}: no such folder.`);
  if (!info.isDirectory()) throw new UsageError(`${path} is not a folder.`);
  return path;
}

function wholeNumber(text: string | undefined, fallback: number, min: number, max: number, flag: string): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max}.`);
  }
  return n;
}

function oneOf<const T extends string>(text: string, allowed: readonly T[], flag: string): T {
  if (!(allowed as readonly string[]).includes(text)) throw new UsageError(`${flag} must be ${allowed.join(', ')}.`);
  return text as T;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
