// Resumable downloads into the store. The partial file lives at tmp/<key>.part across restarts:
// the next attempt asks for the rest (Range from its length); a 206 appends, a 200 starts over.
// Failures are retried with backoff and jitter; a clear refusal (404, 403, 401) stops at once.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rm, stat } from 'node:fs/promises';
import { DeskError } from '../../../shared/errors';
import { sniffMime } from './mime';
import type { OutputStore, StoredFile } from './store';

export interface OpenedSource {
  status: number;
  body: AsyncIterable<Uint8Array> & { destroy?: (err?: Error) => void };
  /** Total size of the resource, when known. */
  size?: number;
}

export interface DownloadOptions {
  signal?: AbortSignal;
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export async function downloadTo(
  store: OutputStore,
  key: string,
  openSource: (offset: number) => Promise<OpenedSource>,
  options: DownloadOptions = {},
): Promise<StoredFile> {
  const attempts = options.attempts ?? 5;
  const part = store.partPathOf(key);
  await store.removeTemp().catch(() => undefined); // makes sure the folders exist
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (options.signal?.aborted) throw new DeskError('network', 'The download was cancelled.');
    try {
      return await attemptDownload(store, part, openSource, options.signal);
    } catch (err) {
      lastError = err;
      if (!retryable(err) || attempt === attempts || options.signal?.aborted) break;
      await sleep(delay(attempt, options.baseDelayMs ?? 500, options.maxDelayMs ?? 30_000), options.signal);
    }
  }
  throw lastError instanceof Error ? lastError : new DeskError('network', String(lastError));
}

async function attemptDownload(
  store: OutputStore,
  part: string,
  openSource: (offset: number) => Promise<OpenedSource>,
  signal: AbortSignal | undefined,
): Promise<StoredFile> {
  const have = (await stat(part).catch(() => null))?.size ?? 0;
  const source = await openSource(have);
  const resuming = source.status === 206 && have > 0;
  const hash = createHash('sha256');
  if (resuming) await hashFile(part, hash);
  const handle = await open(part, resuming ? 'a' : 'w', 0o600);
  let size = resuming ? have : 0;
  const onAbort = (): void => source.body.destroy?.(new Error('aborted'));
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const chunk of source.body) {
      hash.update(chunk);
      let offset = 0;
      while (offset < chunk.length) offset += (await handle.write(chunk, offset, chunk.length - offset)).bytesWritten;
      size += chunk.length;
    }
    if (source.size !== undefined && size !== source.size) {
      throw new DeskError('network', `truncated download: got ${size} of ${source.size} bytes`);
    }
    await handle.sync();
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await handle.close();
  }
  const head = new Uint8Array(16);
  const reader = await open(part, 'r');
  await reader.read(head, 0, 16, 0).finally(() => reader.close());
  const stored = await store.commit(part, hash.digest('hex'), size, sniffMime(head));
  await rm(part, { force: true });
  return stored;
}

async function hashFile(path: string, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

function retryable(err: unknown): boolean {
  if (err instanceof DeskError) return err.code === 'network' || err.code === 'server_error';
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
