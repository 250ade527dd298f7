// Video and audio outputs: what they are (ffprobe), a poster or a waveform as their thumbnail, and
// a short silent preview played on hover (ffmpeg). Both tools ship inside npm packages
// (@ffmpeg-installer/ffmpeg, @ffprobe-installer/ffprobe: one binary per platform, nothing fetched
// at run time).
//
// Every run is a child process, off the main thread, with a time limit (killed with anything it
// started when over), a memory limit (`ulimit -v` through /bin/sh on Linux and macOS: Linux enforces
// it on the address space; macOS takes it as a resident-size limit it does not enforce; Windows has
// the time limit only), bounded output, a clean environment, and its arguments as a list: a path is
// never part of a shell string. The demuxer is chosen from the file's first bytes (never a
// playlist, a concat list or an image sequence) and only the file protocol is allowed, so a hostile
// file cannot make the tools read the network or other files. Nothing here throws: a file that
// cannot be read gives `{ ok: false, reason }`.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { MEDIA_EDGE } from '../../../shared/contract';
import { parseJsonBounded } from '../../../shared/json-limits';
import { createLimiter } from './limiter';
import { sniffMime } from './mime';
import type { OutputStore } from './store';

export interface MediaProbe {
  kind: 'video' | 'audio';
  /** The container's duration (or its longest stream's), null when the file does not say. */
  durationMs: number | null;
  /** As displayed: a stream rotated by 90° has its sides swapped. Null for audio. */
  width: number | null;
  height: number | null;
  /** Average frames per second of the video stream, null for audio or when unknown. */
  fps: number | null;
  /** The main stream's codec (h264, vp9, aac, …). */
  codec: string | null;
  hasAudio: boolean;
  /** The container's tags as the file has them (keys keep their case: WebM's are upper case). */
  tags: Record<string, string>;
  /** The stream a poster, preview or waveform is made from (ffmpeg's input stream index). */
  streamIndex: number;
  /** The demuxer the file was read with, chosen from its first bytes. */
  format: string;
}

export type MediaResult<T> = ({ ok: true } & T) | { ok: false; reason: string };
export type ProbeResult = MediaResult<MediaProbe>;

/** Limits of one run; tests make them tiny, and may name stand-in binaries. */
export interface ToolOptions {
  /** The tools to run: the bundled ones unless given. */
  ffmpeg?: string;
  ffprobe?: string;
  /** Killed after this long (default: per operation, scaled by the media's duration). */
  timeoutMs?: number;
  /** Address-space limit in bytes (Linux and macOS). */
  memoryBytes?: number;
}

export interface RunLimits {
  timeoutMs: number;
  /** Address-space limit in bytes; 0 for none. Ignored on Windows. */
  memoryBytes: number;
  /** Standard output past this many bytes kills the process. */
  maxOutputBytes: number;
}

export type RunResult = { ok: true; stdout: Buffer } | { ok: false; reason: string };

/** Long edge of the hover preview, and how many seconds of the video it shows. */
export const PREVIEW_EDGE = 320;
export const PREVIEW_SECONDS = 3;
/** A waveform thumbnail's size: as wide as a thumbnail, half as high. */
export const WAVEFORM_SIZE = { width: MEDIA_EDGE.thumb, height: Math.round(MEDIA_EDGE.thumb / 2) } as const;

const GiB = 1024 * 1024 * 1024;
const MiB = 1024 * 1024;
const PROBE_LIMITS: RunLimits = { timeoutMs: 15_000, memoryBytes: 1 * GiB, maxOutputBytes: 48 * MiB };
const FFMPEG_MEMORY = 2 * GiB;
/** The probe's JSON: tags may hold a workflow of several MB, escaped; nothing else nests deeply. */
const PROBE_JSON = { maxBytes: PROBE_LIMITS.maxOutputBytes, maxDepth: 8 };
const MAX_TAGS = 64;
const MAX_TAG_KEY = 128;
const STDERR_TAIL = 4096;

/** The demuxer for each kind the store accepts, by the file's first bytes (store/mime.ts). */
const DEMUXER: Record<string, string> = {
  'video/mp4': 'mov',
  'video/quicktime': 'mov',
  'video/webm': 'matroska',
  'audio/wav': 'wav',
  'audio/mpeg': 'mp3',
  'audio/flac': 'flac',
  'audio/ogg': 'ogg',
};

/**
 * Media work runs a few processes at a time whoever asks (downloads, imports, a hover preview):
 * each ffmpeg may use several threads of its own.
 */
const CONCURRENCY = Math.max(1, Math.min(4, availableParallelism() - 1));
const limiter = createLimiter(CONCURRENCY);

// ---------------------------------------------------------------------------------------------
// The tools

const localRequire = createRequire(import.meta.url);
const bundled = new Map<'ffmpeg' | 'ffprobe', string | Error>();

/**
 * The bundled binary's path, or an Error saying why there is none (a platform the packages do not
 * cover). In a packaged app the binaries live beside the asar archive (electron-builder.yml
 * unpacks them): a file inside an archive cannot be executed.
 */
export function bundledTool(name: 'ffmpeg' | 'ffprobe'): string | Error {
  let found = bundled.get(name);
  if (found === undefined) {
    try {
      const pkg = name === 'ffmpeg' ? '@ffmpeg-installer/ffmpeg' : '@ffprobe-installer/ffprobe';
      const path = (localRequire(pkg) as { path: string }).path;
      found = path.replace(/([\\/])app\.asar([\\/])/, '$1app.asar.unpacked$2');
    } catch (err) {
      // The installers throw plain strings for an unsupported platform.
      found = new Error(`${name} is not available on this system: ${err instanceof Error ? err.message : String(err)}`);
    }
    bundled.set(name, found);
  }
  return found;
}

function toolOf(name: 'ffmpeg' | 'ffprobe', options: ToolOptions): string | Error {
  return options[name] ?? bundledTool(name);
}

/** The environment of a child: no FFREPORT, AV_LOG_* or anything else of ours. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { LC_ALL: 'C', MALLOC_ARENA_MAX: '2' };
  for (const key of ['PATH', 'SystemRoot', 'TMPDIR', 'TEMP', 'TMP']) {
    if (process.env[key]) env[key] = process.env[key];
  }
  return env;
}

/**
 * Runs `binary` with `args` (a list: nothing is ever interpreted by a shell but our own fixed
 * script), within `limits`. Never throws.
 */
export function runTool(binary: string, args: readonly string[], limits: RunLimits): Promise<RunResult> {
  return limiter.run(() => runNow(binary, args, limits));
}

function runNow(binary: string, args: readonly string[], limits: RunLimits): Promise<RunResult> {
  const name = binary.split(/[\\/]/).pop() ?? binary;
  return new Promise<RunResult>((resolve) => {
    let settled = false;
    const done = (result: RunResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const posix = process.platform !== 'win32';
    const limitMemory = limits.memoryBytes > 0 && posix;
    const kib = Math.max(1, Math.floor(limits.memoryBytes / 1024));
    // On POSIX the child leads a process group of its own: a kill reaches anything it started.
    const spawnOptions: SpawnOptions = {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: childEnv(),
      detached: posix,
      windowsHide: true,
    };
    let child: ChildProcess;
    try {
      child = limitMemory
        ? // $0 is the binary and "$@" its arguments: the script is ours, fixed but for a number we computed.
          spawn('/bin/sh', ['-c', `ulimit -v ${kib} 2>/dev/null; exec "$0" "$@"`, binary, ...args], spawnOptions)
        : spawn(binary, args, spawnOptions);
    } catch (err) {
      resolve({ ok: false, reason: `${name} could not be started: ${(err as Error).message}` });
      return;
    }
    live.add(child);
    let stopped: 'time' | 'output' | null = null;
    const stop = (why: 'time' | 'output'): void => {
      stopped ??= why;
      kill(child);
    };
    const timer = setTimeout(() => stop('time'), limits.timeoutMs);
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limits.maxOutputBytes) return stop('output');
      chunks.push(chunk);
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL);
    });
    child.on('error', (err) => {
      live.delete(child);
      done({ ok: false, reason: `${name} could not be started: ${err.message}` });
    });
    child.on('close', (code, signal) => {
      live.delete(child);
      if (stopped === 'time') {
        return done({ ok: false, reason: `${name} took longer than ${seconds(limits.timeoutMs)} and was stopped` });
      }
      if (stopped === 'output') {
        return done({ ok: false, reason: `${name} printed more than ${bytes(limits.maxOutputBytes)}` });
      }
      if (code === 0) return done({ ok: true, stdout: Buffer.concat(chunks) });
      const last = lastLine(stderr);
      const memory =
        limitMemory &&
        (signal === 'SIGSEGV' ||
          signal === 'SIGABRT' ||
          signal === 'SIGBUS' ||
          /alloc|memory|temporarily unavailable/i.test(last))
          ? ` (it may have run out of its ${bytes(limits.memoryBytes)} of memory)`
          : '';
      const how = signal ? `was ended by ${signal}` : `failed (exit ${String(code)})`;
      done({ ok: false, reason: `${name} ${how}${memory}${last ? `: ${last}` : ''}` });
    });
  });
}

/** Children still running: killed if this process exits first (their time limits die with it). */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) kill(child);
});

function kill(child: ChildProcess): void {
  try {
    if (process.platform !== 'win32' && child.pid) process.kill(-child.pid, 'SIGKILL');
    else child.kill('SIGKILL');
  } catch {
    child.kill('SIGKILL'); // the group is gone already
  }
}

function lastLine(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  return (lines.at(-1) ?? '').slice(0, 300);
}

function bytes(n: number): string {
  return n >= MiB ? `${Math.round(n / MiB)} MiB` : `${Math.round(n / 1024)} KiB`;
}

function seconds(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}

// ---------------------------------------------------------------------------------------------
// Probing

/** The demuxer for the file at `path` from its first bytes, or why it has none. */
async function demuxerOf(path: string): Promise<{ ok: true; format: string } | { ok: false; reason: string }> {
  let head: Uint8Array;
  try {
    const file = await open(path, 'r');
    try {
      head = new Uint8Array(16);
      const { bytesRead } = await file.read(head, 0, 16, 0);
      head = head.subarray(0, bytesRead);
    } finally {
      await file.close();
    }
  } catch (err) {
    return { ok: false, reason: `the file cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` };
  }
  const mime = sniffMime(head);
  const format = DEMUXER[mime];
  return format ? { ok: true, format } : { ok: false, reason: `not a video or audio file this app reads (${mime})` };
}

/** The input arguments: the demuxer forced, the file protocol only, the path as a file: URL-less name. */
function inputArgs(format: string, path: string): string[] {
  // "file:" keeps a name such as "concat:a|b" or "C:\x" from being read as another protocol.
  return ['-protocol_whitelist', 'file', '-f', format, '-i', `file:${path}`];
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * What the file at `path` is: kind, duration, size, frame rate, codec, tags. A file ffprobe cannot
 * read, or one with neither video nor audio, gives a reason.
 */
export async function probeMedia(path: string, options: ToolOptions = {}): Promise<ProbeResult> {
  try {
    return await probe(path, options);
  } catch (err) {
    return { ok: false, reason: `the file cannot be probed: ${(err as Error).message}` };
  }
}

const ENTRIES_WITHOUT_TAGS =
  'format=duration:stream=index,codec_type,codec_name,width,height,avg_frame_rate,r_frame_rate,duration' +
  ':stream_disposition=attached_pic:stream_tags=rotate:stream_side_data=rotation';

async function probe(path: string, options: ToolOptions): Promise<ProbeResult> {
  const ffprobe = toolOf('ffprobe', options);
  if (ffprobe instanceof Error) return { ok: false, reason: ffprobe.message };
  const input = await demuxerOf(path);
  if (!input.ok) return input;
  const limits: RunLimits = {
    ...PROBE_LIMITS,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.memoryBytes !== undefined ? { memoryBytes: options.memoryBytes } : {}),
  };
  const args = (entries: string): string[] => [
    '-v',
    'error',
    '-hide_banner',
    '-print_format',
    'json',
    '-show_entries',
    entries,
    ...inputArgs(input.format, path),
  ];
  let run = await runTool(ffprobe, args(`${ENTRIES_WITHOUT_TAGS}:format_tags`), limits);
  // Tags larger than any workflow: the file is still described, without them.
  if (!run.ok && /printed more than/.test(run.reason)) run = await runTool(ffprobe, args(ENTRIES_WITHOUT_TAGS), limits);
  if (!run.ok) return run;
  let parsed: unknown;
  try {
    parsed = parseJsonBounded(run.stdout, PROBE_JSON);
  } catch (err) {
    return { ok: false, reason: `ffprobe's answer cannot be read: ${(err as Error).message}` };
  }
  if (!isObj(parsed)) return { ok: false, reason: "ffprobe's answer cannot be read" };
  const streams = (Array.isArray(parsed.streams) ? parsed.streams : []).filter(isObj);
  const format = isObj(parsed.format) ? parsed.format : {};
  const video = streams.find((s) => s.codec_type === 'video' && !(isObj(s.disposition) && s.disposition.attached_pic));
  const audio = streams.find((s) => s.codec_type === 'audio');
  const main = video ?? audio;
  if (!main || typeof main.index !== 'number') {
    return { ok: false, reason: 'the file has no video or audio stream that can be read' };
  }
  const durationSeconds =
    positive(format.duration) ??
    streams.reduce<number | null>((most, s) => {
      const d = positive(s.duration);
      return d !== null && (most === null || d > most) ? d : most;
    }, null);
  let width = video ? positiveInt(video.width) : null;
  let height = video ? positiveInt(video.height) : null;
  if (video && Math.abs(rotationOf(video)) % 180 === 90) [width, height] = [height, width];
  return {
    ok: true,
    kind: video ? 'video' : 'audio',
    durationMs: durationSeconds === null ? null : Math.round(durationSeconds * 1000),
    width,
    height,
    fps: video ? (rate(video.avg_frame_rate) ?? rate(video.r_frame_rate)) : null,
    codec: typeof main.codec_name === 'string' ? main.codec_name.slice(0, 64) : null,
    hasAudio: audio !== undefined,
    tags: tagsOf(format.tags),
    streamIndex: main.index,
    format: input.format,
  };
}

function positive(value: unknown): number | null {
  const n = typeof value === 'string' ? Number(value) : typeof value === 'number' ? value : NaN;
  return Number.isFinite(n) && n > 0 ? n : null;
}

function positiveInt(value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : null;
}

/** "30000/1001" → 29.97; "0/0", junk and absurd rates (a 90 kHz time base) → null. */
function rate(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const m = /^(\d+)\/(\d+)$/.exec(value);
  if (!m) return null;
  const fps = Number(m[1]) / Number(m[2]);
  return Number.isFinite(fps) && fps > 0 && fps <= 1000 ? Math.round(fps * 1000) / 1000 : null;
}

function rotationOf(stream: Json): number {
  const side = Array.isArray(stream.side_data_list) ? stream.side_data_list.filter(isObj) : [];
  const fromSide = side.map((s) => s.rotation).find((r) => typeof r === 'number');
  if (typeof fromSide === 'number') return Math.round(fromSide);
  const tag = isObj(stream.tags) ? Number(stream.tags.rotate) : NaN;
  return Number.isFinite(tag) ? Math.round(tag) : 0;
}

function tagsOf(value: unknown): Record<string, string> {
  const tags: Record<string, string> = {};
  if (!isObj(value)) return tags;
  let n = 0;
  for (const [key, text] of Object.entries(value)) {
    if (n >= MAX_TAGS) break;
    if (typeof text !== 'string' || key.length > MAX_TAG_KEY || key === '__proto__') continue;
    tags[key] = text;
    n++;
  }
  return tags;
}

// ---------------------------------------------------------------------------------------------
// Posters, previews, waveforms

/** Time limits by work: a fixed part, plus a part per second of media (ms), capped. */
const TIME: Record<'poster' | 'preview' | 'waveform', { base: number; perSecond: number; cap: number }> = {
  poster: { base: 20_000, perSecond: 50, cap: 120_000 },
  preview: { base: 30_000, perSecond: 50, cap: 180_000 },
  // ffmpeg decodes all of the audio to draw it.
  waveform: { base: 20_000, perSecond: 100, cap: 300_000 },
};

/** The limits in force, for callers and tests to see. */
export const MEDIA_LIMITS = {
  /** How many ffmpeg or ffprobe processes run at once. */
  concurrency: CONCURRENCY,
  probe: PROBE_LIMITS,
  ffmpegMemoryBytes: FFMPEG_MEMORY,
  timeFor(work: keyof typeof TIME, durationMs: number | null): number {
    const { base, perSecond, cap } = TIME[work];
    return Math.min(cap, base + Math.ceil(((durationMs ?? 0) / 1000) * perSecond));
  },
};

function timeLimit(options: ToolOptions, work: keyof typeof TIME, durationMs: number | null): number {
  return options.timeoutMs ?? MEDIA_LIMITS.timeFor(work, durationMs);
}

function ffmpegLimits(options: ToolOptions, timeoutMs: number): RunLimits {
  return { timeoutMs, memoryBytes: options.memoryBytes ?? FFMPEG_MEMORY, maxOutputBytes: 1 * MiB };
}

/** Two threads each way: several runs share the machine, and each thread's stack counts against the memory limit. */
const COMMON = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', '-threads', '2'];

/** Fits inside `edge`×`edge`, never enlarged (quotes are ffmpeg's filter syntax, not a shell's). */
const fitInside = (edge: number): string =>
  `scale=w='min(${edge},iw)':h='min(${edge},ih)':force_original_aspect_ratio=decrease`;

/**
 * Runs ffmpeg writing `target` through a temp file in the store (renamed into place when whole,
 * like thumbnails). `argsFor(temp)` gives the arguments.
 */
async function writeVariant(
  store: OutputStore,
  target: string,
  ffmpeg: string,
  limits: RunLimits,
  attempts: ((temp: string) => string[])[],
): Promise<MediaResult<object>> {
  try {
    await store.ensure();
    await mkdir(dirname(target), { recursive: true, mode: 0o700 });
  } catch (err) {
    return { ok: false, reason: `the store cannot be written: ${(err as Error).message}` };
  }
  let reason = 'ffmpeg made nothing';
  for (const argsFor of attempts) {
    const temp = `${store.tmpDir}/media-${randomUUID()}`;
    const run = await runTool(ffmpeg, argsFor(temp), limits);
    const size = (await stat(temp).catch(() => null))?.size ?? 0;
    if (run.ok && size > 0) {
      try {
        await rename(temp, target);
        return { ok: true };
      } catch (err) {
        reason = `the store cannot be written: ${(err as Error).message}`;
      }
    } else if (!run.ok) {
      reason = run.reason;
    }
    await rm(temp, { force: true });
    // A run that was killed is not tried again another way: it would be killed again.
    if (!run.ok && /longer than|memory/.test(run.reason)) break;
  }
  return { ok: false, reason };
}

async function probed(
  path: string,
  options: ToolOptions & { probe?: MediaProbe },
  kind: MediaProbe['kind'],
): Promise<MediaResult<MediaProbe>> {
  const probe = options.probe ? ({ ok: true, ...options.probe } as const) : await probeMedia(path, options);
  if (!probe.ok) return probe;
  if (probe.kind !== kind) return { ok: false, reason: `the file is ${probe.kind}, not ${kind}` };
  return probe;
}

/**
 * A WebP poster of the video at `path` as the output's thumbnail (store.thumbPathOf(hash), long
 * edge MEDIA_EDGE.thumb, never enlarged), from 10% into it: not a black first frame. Kept if there
 * already is one. `probe` saves a second ffprobe when the caller has one.
 */
export async function makePoster(
  store: OutputStore,
  hash: string,
  path: string,
  options: ToolOptions & { probe?: MediaProbe } = {},
): Promise<MediaResult<object>> {
  try {
    const target = store.thumbPathOf(hash, 'thumb');
    if (await stat(target).catch(() => null)) return { ok: true };
    const ffmpeg = toolOf('ffmpeg', options);
    if (ffmpeg instanceof Error) return { ok: false, reason: ffmpeg.message };
    const probe = await probed(path, options, 'video');
    if (!probe.ok) return probe;
    const at = probe.durationMs ? (probe.durationMs * 0.1) / 1000 : 0;
    const poster = (seek: number) => (temp: string) => [
      ...COMMON,
      ...(seek > 0 ? ['-ss', seek.toFixed(3)] : []),
      ...inputArgs(probe.format, path),
      ...['-map', `0:${probe.streamIndex}`, '-an', '-sn', '-dn', '-frames:v', '1'],
      ...['-vf', fitInside(MEDIA_EDGE.thumb), '-c:v', 'libwebp', '-quality', '80', '-f', 'webp', temp],
    ];
    // A seek past the last frame (a duration that lies) makes nothing: the first frame then.
    const attempts = at > 0 ? [poster(at), poster(0)] : [poster(0)];
    const limits = ffmpegLimits(options, timeLimit(options, 'poster', probe.durationMs));
    return await writeVariant(store, target, ffmpeg, limits, attempts);
  } catch (err) {
    return { ok: false, reason: `no poster: ${(err as Error).message}` };
  }
}

const encoders = new Map<string, Promise<Set<string>>>();

/** The video encoders a build of ffmpeg has (asked once per binary). */
function encodersOf(ffmpeg: string): Promise<Set<string>> {
  let found = encoders.get(ffmpeg);
  if (!found) {
    found = runTool(ffmpeg, ['-hide_banner', '-nostdin', '-encoders'], {
      timeoutMs: 15_000,
      memoryBytes: FFMPEG_MEMORY,
      maxOutputBytes: 1 * MiB,
    }).then((run) => {
      const names = new Set<string>();
      if (run.ok) for (const m of run.stdout.toString().matchAll(/^\s*V\S*\s+(\S+)/gm)) names.add(m[1]!);
      return names;
    });
    encoders.set(ffmpeg, found);
  }
  return found;
}

/**
 * A short (3 s), small (long edge 320 px), silent preview of the video for hover, without the
 * file's tags: H.264 in MP4 when this ffmpeg has libx264, else VP9 in WebM (same path; the media
 * route sniffs which). Stored at store.previewPathOf(hash); kept if there already is one.
 */
export async function makePreview(
  store: OutputStore,
  hash: string,
  path: string,
  options: ToolOptions & { probe?: MediaProbe } = {},
): Promise<MediaResult<{ mime: string }>> {
  try {
    const target = store.previewPathOf(hash);
    const ffmpeg = toolOf('ffmpeg', options);
    if (ffmpeg instanceof Error) return { ok: false, reason: ffmpeg.message };
    const h264 = (await encodersOf(ffmpeg)).has('libx264');
    const mime = h264 ? 'video/mp4' : 'video/webm';
    if (await stat(target).catch(() => null)) return { ok: true, mime };
    const probe = await probed(path, options, 'video');
    if (!probe.ok) return probe;
    const duration = (probe.durationMs ?? 0) / 1000;
    const start = duration > PREVIEW_SECONDS ? Math.min(duration * 0.1, duration - PREVIEW_SECONDS) : 0;
    const codec = h264
      ? ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '28', '-pix_fmt', 'yuv420p', '-threads', '2']
      : ['-c:v', 'libvpx-vp9', '-b:v', '0', '-crf', '40', '-deadline', 'realtime', '-cpu-used', '8', '-threads', '2'];
    const container = h264 ? ['-movflags', '+faststart', '-f', 'mp4'] : ['-f', 'webm'];
    // Even sides for the encoder, at least 2 px.
    const even = "scale=w='max(2,trunc(iw/2)*2)':h='max(2,trunc(ih/2)*2)'";
    const args = (temp: string): string[] => [
      ...COMMON,
      ...(start > 0 ? ['-ss', start.toFixed(3)] : []),
      ...['-t', String(PREVIEW_SECONDS)],
      ...inputArgs(probe.format, path),
      ...['-map', `0:${probe.streamIndex}`, '-an', '-sn', '-dn', '-map_metadata', '-1'],
      ...['-vf', `${fitInside(PREVIEW_EDGE)},${even}`, ...codec, ...container, temp],
    ];
    const limits = ffmpegLimits(options, timeLimit(options, 'preview', probe.durationMs));
    const made = await writeVariant(store, target, ffmpeg, limits, [args]);
    return made.ok ? { ok: true, mime } : made;
  } catch (err) {
    return { ok: false, reason: `no preview: ${(err as Error).message}` };
  }
}

/**
 * A WebP picture of an audio file's waveform as its thumbnail (store.thumbPathOf(hash), 384×192,
 * transparent around the wave). The audio is resampled to 4 kHz mono first: ffmpeg keeps all of it
 * in memory to draw the picture, and an hour of it must fit.
 */
export async function makeWaveform(
  store: OutputStore,
  hash: string,
  path: string,
  options: ToolOptions & { probe?: MediaProbe } = {},
): Promise<MediaResult<object>> {
  try {
    const target = store.thumbPathOf(hash, 'thumb');
    if (await stat(target).catch(() => null)) return { ok: true };
    const ffmpeg = toolOf('ffmpeg', options);
    if (ffmpeg instanceof Error) return { ok: false, reason: ffmpeg.message };
    const probe = await probed(path, options, 'audio');
    if (!probe.ok) return probe;
    const { width, height } = WAVEFORM_SIZE;
    const graph =
      `[0:${probe.streamIndex}]aresample=4000,aformat=sample_fmts=s16:channel_layouts=mono,` +
      `showwavespic=s=${width}x${height}:colors=0x8c9eff[wave]`;
    const args = (temp: string): string[] => [
      ...COMMON,
      ...inputArgs(probe.format, path),
      ...['-filter_complex', graph, '-map', '[wave]', '-frames:v', '1'],
      ...['-c:v', 'libwebp', '-quality', '80', '-f', 'webp', temp],
    ];
    const limits = ffmpegLimits(options, timeLimit(options, 'waveform', probe.durationMs));
    return await writeVariant(store, target, ffmpeg, limits, [args]);
  } catch (err) {
    return { ok: false, reason: `no waveform: ${(err as Error).message}` };
  }
}

/** The thumbnail of a stored video or audio file: a poster or a waveform, from one probe. */
export async function makeMediaThumbnail(
  store: OutputStore,
  hash: string,
  path: string,
  options: ToolOptions = {},
): Promise<MediaResult<{ probe: MediaProbe; thumb: MediaResult<object> }>> {
  const probe = await probeMedia(path, options);
  if (!probe.ok) return probe;
  const { ok: _ok, ...facts } = probe;
  const thumb =
    facts.kind === 'video'
      ? await makePoster(store, hash, path, { ...options, probe: facts })
      : await makeWaveform(store, hash, path, { ...options, probe: facts });
  return { ok: true, probe: facts, thumb };
}

const previews = new Map<string, Promise<boolean>>();

/**
 * Makes the hover preview of a stored video the first time it is asked for; one run per hash
 * however many ask at once. False when the output is not a video on this computer or ffmpeg
 * cannot read it.
 */
export function ensurePreview(store: OutputStore, hash: string, options: ToolOptions = {}): Promise<boolean> {
  let running = previews.get(hash);
  if (!running) {
    running = (async () => {
      const source = await store.locate(hash);
      if (!source) return false;
      return (await makePreview(store, hash, source, options)).ok;
    })()
      .catch(() => false)
      .finally(() => previews.delete(hash));
    previews.set(hash, running);
  }
  return running;
}
