// Resumable downloads into the store. The partial file lives at tmp/<key>.part across restarts:
// the next attempt asks for the rest, starting a little before its end, and compares the bytes
// it already has with what the server sends for them; a server that answers another range, or
// other bytes, makes it start over from zero. Whatever the framing, the length is checked against
// what the server promised, a stall or a trickle is cut off, an answer that never comes is cut
// off, each attempt has a deadline that scales with its size, and the file is verified (verify.ts)
// before it is committed. Failures are retried with backoff and jitter; a clear refusal (404, 403,
// 401) stops at once. All attempts together end within a bound a person can wait for (90 s for a
// file up to 1 MiB, more for the bytes beyond it), which is known, and told, from the start.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rm, stat, type FileHandle } from 'node:fs/promises';
import { DeskError, dispositionOf } from '../../../shared/errors';
import { sniffMime } from './mime';
import { lockPart } from './part-lock';
import type { OutputStore, StoredFile } from './store';
import type { VerifyResult } from './verify';

export interface OpenedSource {
  status: number;
  body: AsyncIterable<Uint8Array> & { destroy?: (err?: Error) => void };
  /** Total size of the resource, when known. */
  size?: number;
  /** Where a 206's Content-Range says its bytes start. */
  rangeStart?: number;
}

export interface DownloadOptions {
  signal?: AbortSignal;
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A download that receives fewer than `minBytesPerWindow` bytes in this window has stalled (default 30 s). */
  stallWindowMs?: number;
  minBytesPerWindow?: number;
  /** The overall deadline: this much time, plus the size at `minBytesPerSecond` (defaults 60 s, 64 KiB/s). */
  deadlineBaseMs?: number;
  minBytesPerSecond?: number;
  /** Checks the finished file before it is committed; a failure is final for this download. */
  verify?: (path: string) => Promise<VerifyResult>;
  /** Told about each failed attempt that will be tried again, so a person hears at once. */
  onRetry?: (attempt: number, error: Error, delayMs: number) => void;
  /**
   * All attempts together end within this, plus the time the bytes past the first MiB take at
   * `minBytesPerSecond` (default 90 s: a file up to 1 MiB is given up within 90 s).
   */
  budgetMs?: number;
  /** An attempt whose answer (its headers) has not come within this is cut (default 30 s). */
  openTimeoutMs?: number;
  /** Told as an attempt starts, as its answer comes, and as bytes arrive. */
  onProgress?: (progress: DownloadProgress) => void;
}

export interface DownloadProgress {
  attempt: number;
  attempts: number;
  /** Bytes of the file there are so far (a resume counts from where it starts again). */
  received: number;
  /** The file's size, once the storage has said it. */
  size?: number;
  /** When the download started, and when it is given up at the latest (all attempts together). */
  startedAt: number;
  giveUpAt: number;
}

const DEFAULT_BUDGET_MS = 90_000;
const DEFAULT_MIN_BYTES_PER_SECOND = 64 * 1024;
/** A file up to this size is given up within the budget alone; a larger one gets time for the rest. */
const BUDGET_FREE_BYTES = 1024 * 1024;

/** How long all attempts at a file of `size` bytes (unknown: up to 1 MiB) may take together. */
export function downloadBudgetMs(
  size: number | undefined,
  options: Pick<DownloadOptions, 'budgetMs' | 'minBytesPerSecond'> = {},
): number {
  const rest = Math.max(0, (size ?? 0) - BUDGET_FREE_BYTES);
  const rate = options.minBytesPerSecond ?? DEFAULT_MIN_BYTES_PER_SECOND;
  return (options.budgetMs ?? DEFAULT_BUDGET_MS) + Math.ceil((rest / rate) * 1000);
}

/** The whole download's bound, known from the start and extended once a large size is known. */
interface Budget {
  readonly startedAt: number;
  giveUpAt: number;
  sized(size: number | undefined): void;
}

/**
 * How many bytes before the end of a partial file a resume asks for again, to compare them with
 * what it has: 4 to 64 KiB. A partial of 4 KiB or less is simply fetched again.
 */
export function resumeOverlap(have: number): number {
  return have <= 4096 ? have : Math.min(64 * 1024, Math.max(4096, Math.floor(have / 8)));
}

export async function downloadTo(
  store: OutputStore,
  key: string,
  /** Opens the bytes from `offset`; `signal` aborts an attempt that is cut (no answer, the bound). */
  openSource: (offset: number, signal?: AbortSignal) => Promise<OpenedSource>,
  options: DownloadOptions = {},
): Promise<StoredFile> {
  const attempts = options.attempts ?? 5;
  const part = store.partPathOf(key);
  // Folders only: cleaning the temp folder here would delete what concurrent downloads are writing.
  await store.ensure();
  const release = await lockPart(part);
  const startedAt = Date.now();
  const budget: Budget = {
    startedAt,
    giveUpAt: startedAt + downloadBudgetMs(undefined, options),
    sized(size) {
      this.giveUpAt = Math.max(this.giveUpAt, startedAt + downloadBudgetMs(size, options));
    },
  };
  let lastError: unknown;
  let attempt = 1;
  try {
    for (; attempt <= attempts; attempt++) {
      if (options.signal?.aborted) throw new DeskError('network', 'The download was cancelled.');
      try {
        return await attemptDownload(store, part, openSource, options, budget, attempt);
      } catch (err) {
        lastError = err;
        if (!retryable(err) || attempt === attempts || options.signal?.aborted) break;
        const wait = Math.max(
          (err as DeskError).retryAfterMs ?? 0,
          delay(attempt, options.baseDelayMs ?? 500, options.maxDelayMs ?? 30_000),
        );
        // No attempt would have time left after the wait: given up now, not after it.
        if (Date.now() + wait >= budget.giveUpAt - 250) break;
        options.onRetry?.(attempt, err as Error, wait);
        await sleep(wait, options.signal);
      }
    }
  } finally {
    await release();
  }
  if (!(lastError instanceof Error)) throw new DeskError('network', String(lastError));
  if (!retryable(lastError) || options.signal?.aborted) throw lastError;
  // Tried and given up: the reason, and how long and how often it was tried.
  const tries = Math.min(attempt, attempts);
  const seconds = Math.round((Date.now() - startedAt) / 1000);
  const e = lastError as DeskError;
  throw new DeskError(
    e instanceof DeskError ? e.code : 'network',
    `${e.message} (gave up after ${tries} attempt${tries === 1 ? '' : 's'} in ${seconds} s)`,
    { ...(e.status !== undefined ? { status: e.status } : {}), cause: e },
  );
}

async function attemptDownload(
  store: OutputStore,
  part: string,
  openSource: (offset: number, signal?: AbortSignal) => Promise<OpenedSource>,
  options: DownloadOptions,
  budget: Budget,
  attempt: number,
): Promise<StoredFile> {
  const have = (await stat(part).catch(() => null))?.size ?? 0;
  const from = Math.max(0, have - resumeOverlap(have));
  const progress = { attempt, attempts: options.attempts ?? 5, received: from, startedAt: budget.startedAt };
  const report = (size?: number): void =>
    options.onProgress?.({ ...progress, ...(size !== undefined ? { size } : {}), giveUpAt: budget.giveUpAt });
  report();
  const watch = watchdog(options, budget);
  let source: OpenedSource;
  try {
    source = await watch.opening(openSource(from, watch.signal));
  } catch (err) {
    watch.stop();
    throw watch.failure ?? err;
  }
  budget.sized(source.size);
  report(source.size);
  const resuming = from > 0 && source.status === 206;
  if (resuming && source.rangeStart !== from) {
    watch.stop();
    discard(source.body);
    await rm(part, { force: true });
    throw new DeskError(
      'network',
      `storage sent bytes from ${source.rangeStart ?? '?'} when asked for ${from}; starting over`,
    );
  }
  const hash = createHash('sha256');
  const known = resuming ? await readTail(part, from, have) : null;
  if (resuming) await hashFile(part, hash, from);
  const handle = await open(part, resuming ? 'r+' : 'w', 0o600).catch((err: unknown) => {
    watch.stop();
    discard(source.body);
    throw err;
  });
  watch.opened(source);
  // Resuming: the bytes from `from` are written again over what was there (the same bytes, checked).
  const writer = new PartWriter(handle, resuming ? from : 0);
  let size = resuming ? from : 0;
  let checked = 0;
  // The first bytes, for the type when no verifier says it (a resume reads them from the file).
  let head: Uint8Array | null = resuming ? null : new Uint8Array(0);
  try {
    for await (const chunk of source.body) {
      watch.received(chunk.length);
      progress.received += chunk.length;
      report(source.size);
      if (known && checked < known.length) {
        const n = Math.min(known.length - checked, chunk.length);
        if (Buffer.compare(chunk.subarray(0, n), known.subarray(checked, checked + n)) !== 0) {
          throw new DeskError('network', 'storage sent other bytes than before for the same range; starting over', {
            details: { restart: true },
          });
        }
        checked += n;
      }
      hash.update(chunk);
      if (head && head.length < SNIFF_BYTES) head = Buffer.concat([head, chunk.subarray(0, SNIFF_BYTES - head.length)]);
      await writer.write(chunk);
      size += chunk.length;
    }
    await writer.flush();
    watch.check();
    if (resuming && size < have)
      throw new DeskError('network', `truncated download: got ${size} bytes, had ${have} before`);
    if (source.size !== undefined && size !== source.size) {
      throw new DeskError('network', `truncated download: got ${size} of ${source.size} bytes`);
    }
    // A fresh part was empty and has every byte from 0 to `size`; a resumed one may be longer.
    if (resuming) await handle.truncate(size);
    await handle.sync();
  } catch (err) {
    const failure = watch.failure ?? err;
    const restart =
      failure instanceof DeskError && (failure.details as { restart?: boolean } | undefined)?.restart === true;
    // Every byte received is on disk for the next attempt to resume from (unless it starts over),
    // and nothing is left writing to the file when it is closed or removed.
    await writer.settle(!restart);
    if (restart) {
      await handle.close().catch(() => undefined);
      await rm(part, { force: true });
    }
    throw failure;
  } finally {
    watch.stop();
    await handle.close().catch(() => undefined);
  }
  const verdict = options.verify ? await options.verify(part) : null;
  if (verdict && !verdict.ok) {
    await rm(part, { force: true });
    throw new DeskError('bad_response', verdict.reason);
  }
  const mime = verdict?.mime ?? (head ? sniffMime(padded(head)) : await sniff(part));
  // The part is gone after this: renamed into the store, or removed when the store had the bytes.
  return store.commit(part, hash.digest('hex'), size, mime);
}

/** How many first bytes tell a file's type (sniffMime). */
const SNIFF_BYTES = 16;
/** The most a download holds in memory while its previous write is still going to the disk. */
const WRITE_BATCH_BYTES = 1024 * 1024;
/** At most this many chunks in one writev. */
const WRITE_BATCH_CHUNKS = 256;

/**
 * Writes a download's chunks in order at their offsets, one write at a time, while the network
 * goes on: a chunk goes to the disk at once when nothing is being written, and what arrives
 * meanwhile goes in the next write (one writev: one thread-pool trip for many chunks). So a slow
 * download is on disk as it arrives (it resumes from there), a fast one needs few writes, and at
 * most about 1 MiB waits in memory. A failed write fails the next call (or `flush`).
 */
class PartWriter {
  private batch: Uint8Array[] = [];
  private batchBytes = 0;
  private inFlight: Promise<void> | null = null;
  private failure: unknown = null;

  constructor(
    private readonly handle: FileHandle,
    private position: number,
  ) {}

  /** Takes a chunk; waits only while a full batch is held behind a write still under way. */
  async write(chunk: Uint8Array): Promise<void> {
    if (this.failure) throw this.failure;
    if (chunk.length === 0) return;
    this.batch.push(chunk);
    this.batchBytes += chunk.length;
    if (!this.inFlight) this.next();
    while (this.inFlight && (this.batchBytes >= WRITE_BATCH_BYTES || this.batch.length >= WRITE_BATCH_CHUNKS)) {
      await this.inFlight;
    }
    if (this.failure) throw this.failure;
  }

  /** Everything taken is written (or its failure thrown). */
  async flush(): Promise<void> {
    if (!this.inFlight && !this.failure && this.batch.length > 0) this.next();
    while (this.inFlight) await this.inFlight;
    if (this.failure) throw this.failure;
  }

  /**
   * Ends the writing after a failure: what is held is written too when `keep` (the part resumes
   * from it) or dropped, and the write under way is waited for, whatever its outcome. Nothing
   * touches the file after this; a write that fails here is the part being shorter, not an error.
   */
  async settle(keep: boolean): Promise<void> {
    if (!keep) {
      this.batch = [];
      this.batchBytes = 0;
    } else if (!this.inFlight && !this.failure && this.batch.length > 0) {
      this.next();
    }
    while (this.inFlight) await this.inFlight;
    this.batch = [];
    this.batchBytes = 0;
  }

  /** Writes what is held now; when that is done, what came meanwhile. */
  private next(): void {
    const buffers = this.batch;
    const at = this.position;
    this.position += this.batchBytes;
    this.batch = [];
    this.batchBytes = 0;
    this.inFlight = writeAllAt(this.handle, buffers, at).then(
      () => {
        this.inFlight = null;
        if (this.batch.length > 0) this.next();
      },
      (err: unknown) => {
        this.inFlight = null;
        this.failure = err;
        this.batch = [];
        this.batchBytes = 0;
      },
    );
  }
}

/** Writes the buffers at `position`, in one writev, finishing a short write with plain writes. */
async function writeAllAt(handle: FileHandle, buffers: Uint8Array[], position: number): Promise<void> {
  const total = buffers.reduce((n, b) => n + b.length, 0);
  let written = buffers.length === 1 ? 0 : (await handle.writev(buffers, position)).bytesWritten;
  if (written >= total) return;
  const rest = buffers.length === 1 ? buffers[0]! : Buffer.concat(buffers);
  while (written < total) {
    written += (await handle.write(rest, written, total - written, position + written)).bytesWritten;
  }
}

/** The first bytes as a read of SNIFF_BYTES from the file gives them: zeros past a short file's end. */
function padded(head: Uint8Array): Uint8Array {
  if (head.length >= SNIFF_BYTES) return head;
  const out = new Uint8Array(SNIFF_BYTES);
  out.set(head, 0);
  return out;
}

/**
 * Cuts an attempt whose answer does not come, a download that stalls or trickles (each byte would
 * reset a plain idle timer), one that outlives its deadline, and one that reaches the end of the
 * whole download's bound. The request is aborted or the body destroyed; the reason is kept for
 * the caller.
 */
function watchdog(options: DownloadOptions, budget: Budget) {
  const windowMs = options.stallWindowMs ?? 30_000;
  const minBytes = options.minBytesPerWindow ?? 1024;
  const abort = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, abort.signal]) : abort.signal;
  let body: OpenedSource['body'] | null = null;
  let inWindow = 0;
  let failure: DeskError | null = null;
  let onCut: ((err: DeskError) => void) | null = null;
  const timers: NodeJS.Timeout[] = [];
  const cut = (message: string): void => {
    if (failure) return;
    failure = new DeskError('network', message);
    abort.abort(failure);
    body?.destroy?.(failure);
    onCut?.(failure);
  };
  const left = (): number => Math.max(0, budget.giveUpAt - Date.now());
  const inAll = (): string =>
    `the download took longer than ${Math.round((budget.giveUpAt - budget.startedAt) / 1000)} s in all`;
  const openMs = options.openTimeoutMs ?? 30_000;
  const noAnswer = `the storage did not answer within ${Math.round(openMs / 1000)} s`;
  const openCut = openMs < left() ? noAnswer : inAll();
  timers.push(setTimeout(() => cut(openCut), Math.min(openMs, left())));
  return {
    signal,
    get failure(): DeskError | null {
      return failure;
    },
    /** The opening, cut short with the attempt: a source that comes after all is closed at once. */
    opening(opened: Promise<OpenedSource>): Promise<OpenedSource> {
      return new Promise((resolve, reject) => {
        onCut = reject;
        opened.then(
          (source) => {
            if (failure) return discard(source.body, failure);
            for (const t of timers.splice(0)) clearTimeout(t); // it answered
            resolve(source);
          },
          (err: unknown) => reject(failure ?? err),
        );
      });
    },
    /** The body flows: from now on a stall, the attempt's deadline and the bound cut it. */
    opened(source: OpenedSource): void {
      onCut = null;
      body = source.body;
      const deadlineMs =
        (options.deadlineBaseMs ?? 60_000) +
        ((source.size ?? 0) / (options.minBytesPerSecond ?? DEFAULT_MIN_BYTES_PER_SECOND)) * 1000;
      const stall = setInterval(() => {
        if (inWindow < minBytes) cut(`the download stalled: ${inWindow} bytes in ${Math.round(windowMs / 1000)} s`);
        inWindow = 0;
      }, windowMs);
      const own = deadlineMs < left();
      const message = own ? `the download took longer than ${Math.round(deadlineMs / 1000)} s` : inAll();
      const deadline = setTimeout(() => cut(message), Math.min(deadlineMs, left()));
      timers.push(stall, deadline);
    },
    received(n: number): void {
      inWindow += n;
    },
    check(): void {
      if (failure) throw failure;
    },
    stop(): void {
      for (const t of timers.splice(0)) clearTimeout(t);
    },
  };
}

/** Closes a body nobody reads: the error its stream may emit then has nobody to tell. */
function discard(body: OpenedSource['body'], reason?: Error): void {
  (body as { on?: (event: 'error', listener: () => void) => void }).on?.('error', () => undefined);
  body.destroy?.(reason);
}

async function readTail(path: string, from: number, to: number): Promise<Buffer> {
  const handle: FileHandle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(to - from);
    await handle.read(buffer, 0, buffer.length, from);
    return buffer;
  } finally {
    await handle.close();
  }
}

async function hashFile(path: string, hash: Hash, end: number): Promise<void> {
  if (end === 0) return;
  for await (const chunk of createReadStream(path, { start: 0, end: end - 1 })) hash.update(chunk as Buffer);
}

async function sniff(path: string): Promise<string> {
  const head = new Uint8Array(16);
  const reader = await open(path, 'r');
  await reader.read(head, 0, 16, 0).finally(() => reader.close());
  return sniffMime(head);
}

function retryable(err: unknown): boolean {
  if (err instanceof DeskError) return dispositionOf(err) === 'retry';
  const flagged = (err as { retryable?: unknown })?.retryable;
  return flagged !== false;
}

function delay(attempt: number, base: number, cap: number): number {
  const exp = Math.min(cap, base * 2 ** (attempt - 1));
  return exp / 2 + Math.random() * (exp / 2);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
