// The command line's arguments and local files, checked before anything touches a server or the
// journal: a mistake is a usage error (exit 2) with a message that says what to fix, never an
// upload, a journal write or a stack trace.
import { readFile, stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { MAX_WORKFLOW_BYTES } from '../../shared/contract';
import { DeskError } from '../../shared/errors';
import { checkUploadable, limitsFrom } from '../engine/uploads';
import { applyInputs, parseApiWorkflow, type ApiWorkflow, type SeedStrategy } from '../engine/workflows/api-format';

export class UsageError extends Error {}

export const COMMANDS = ['run', 'jobs', 'sync', 'check', 'import', 'search'] as const;
export type CommandWord = (typeof COMMANDS)[number];

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
} as const;

export interface Args {
  command: CommandWord;
  positionals: string[];
  server?: { url: string; kind?: 'cloud' | 'local' };
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
  raw: { set: string[]; image: string[]; mask: string[] };
}

export function parseCommandLine(argv: string[]): Args {
  const [command, ...rest] = argv;
  if (!command) throw new UsageError('No command given.');
  if (!(COMMANDS as readonly string[]).includes(command)) throw new UsageError(`Unknown command "${command}".`);
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: rest, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    // node:util names the option ("Unknown option '--foo'"); that is the message a person needs.
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  const kind = v.kind === undefined ? undefined : oneOf(v.kind, ['cloud', 'local'] as const, '--kind');
  return {
    command: command as CommandWord,
    positionals: parsed.positionals,
    ...(v.server !== undefined ? { server: { url: serverUrl(v.server), ...(kind ? { kind } : {}) } } : {}),
    ...(v.data !== undefined ? { data: v.data } : {}),
    ...(v.out !== undefined ? { out: v.out } : {}),
    json: v.json === true,
    reference: v.reference === true,
    wait: v.wait === true,
    limit: wholeNumber(v.limit, 20, 1, 500, '--limit'),
    count: wholeNumber(v.count, 1, 1, 100, '--count'),
    seed: oneOf(v.seed ?? 'fixed', ['fixed', 'random', 'increment'] as const, '--seed'),
    timeoutMs: v.timeout === undefined ? null : wholeNumber(v.timeout, 0, 1, 86_400, '--timeout') * 1000,
    raw: { set: v.set ?? [], image: v.image ?? [], mask: v.mask ?? [] },
  };
}

/** The address of a server: http(s) with a host, nothing else. Returns origin + path, no trailing slash. */
export function serverUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(
      `--server ${text}: not an address. Give one like http://127.0.0.1:8188 or https://cloud.comfy.org.`,
    );
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
    throw new UsageError(`--server ${text}: only http:// and https:// addresses are servers.`);
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
}

/** A workflow file: exists, is a file, within the contract's size limit, JSON, API format. */
export async function readWorkflowFile(file: string | undefined): Promise<unknown> {
  if (!file) throw new UsageError('Give a workflow file (API format).');
  const info = await stat(file).catch(() => null);
  if (!info) throw new UsageError(`${file}: no such file.`);
  if (!info.isFile()) throw new UsageError(`${file} is not a file.`);
  if (info.size > MAX_WORKFLOW_BYTES) {
    throw new UsageError(
      `${file} is ${megabytes(info.size)}; a workflow can be at most ${megabytes(MAX_WORKFLOW_BYTES)}.`,
    );
  }
  try {
    return JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch (err) {
    throw new UsageError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
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
  workflow: ApiWorkflow;
  sets: Record<string, unknown>;
  images: LocalImage[];
}

/** Everything `run` needs from this computer, read and checked before the engine opens. */
export async function planRun(args: Args): Promise<RunPlan> {
  const file = args.positionals[0];
  const base = parseWorkflow(await readWorkflowFile(file));
  const sets = Object.fromEntries(args.raw.set.map(parseSet));
  const images = await readImages(args.raw.image, args.raw.mask);
  for (const image of images) {
    if (!base[image.node]) throw new UsageError(`--image ${image.node}=…: the workflow has no node ${image.node}.`);
  }
  // The values are applied once now, so a --set naming a missing node is refused before anything else.
  const workflow = tryApply(base, sets);
  if (args.out !== undefined) await checkOutFolder(args.out);
  const name = (file ?? 'workflow')
    .split(/[\\/]/)
    .pop()!
    .replace(/\.json$/i, '');
  return { name: name || 'workflow', workflow, sets, images };
}

function parseWorkflow(value: unknown): ApiWorkflow {
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
