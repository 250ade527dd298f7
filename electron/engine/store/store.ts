// The output store: files named by their sha256, in sharded folders under the data folder.
// Nothing a server says (filename, subfolder) is ever part of a path here: only hashes we computed
// and keys we chose, both checked against strict patterns.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { MediaVariant } from '../../../shared/contract';
import { DeskError } from '../../../shared/errors';
import { sniffMime } from './mime';
import { heldByOther } from './part-lock';

export interface StoredFile {
  hash: string;
  size: number;
  mime: string;
}

export interface MediaFile {
  path: string;
  mime: string;
  size: number;
}

const HASH = /^[a-f0-9]{64}$/;
const KEY = /^[A-Za-z0-9_-]{1,80}$/;

export function assertHash(hash: string): void {
  if (!HASH.test(hash)) throw new DeskError('invalid_input', 'Not a content hash.');
}

export function assertKey(key: string): void {
  if (!KEY.test(key))
    throw new DeskError('invalid_input', `Not a valid download key: ${JSON.stringify(key).slice(0, 40)}`);
}

export class OutputStore {
  readonly objectsDir: string;
  readonly thumbsDir: string;
  readonly tmpDir: string;
  private ready: Promise<void> | null = null;

  /**
   * `referencedPath` says where a file imported in place lives (the journal knows); without it the
   * store knows only its own files.
   */
  constructor(
    readonly root: string,
    private readonly referencedPath: (hash: string) => string | null = () => null,
  ) {
    this.objectsDir = join(root, 'objects');
    this.thumbsDir = join(root, 'thumbs');
    this.tmpDir = join(root, 'tmp');
  }

  /** Makes the store's folders, once. */
  ensure(): Promise<void> {
    this.ready ??= Promise.all([
      mkdir(this.objectsDir, { recursive: true, mode: 0o700 }),
      mkdir(this.thumbsDir, { recursive: true, mode: 0o700 }),
      mkdir(this.tmpDir, { recursive: true, mode: 0o700 }),
    ]).then(() => undefined);
    return this.ready;
  }

  pathOf(hash: string): string {
    assertHash(hash);
    return join(this.objectsDir, hash.slice(0, 2), hash.slice(2, 4), hash);
  }

  thumbPathOf(hash: string, size: 'thumb' | 'large' = 'thumb'): string {
    assertHash(hash);
    return join(this.thumbsDir, hash.slice(0, 2), size === 'large' ? `${hash}@large.webp` : `${hash}.webp`);
  }

  /** A video's short silent hover preview (store/media-probe.ts), beside its thumbnails. */
  previewPathOf(hash: string): string {
    assertHash(hash);
    return join(this.thumbsDir, hash.slice(0, 2), `${hash}@preview.mp4`);
  }

  partPathOf(key: string): string {
    assertKey(key);
    return join(this.tmpDir, `${key}.part`);
  }

  async has(hash: string): Promise<boolean> {
    return (await stat(this.pathOf(hash)).catch(() => null))?.isFile() ?? false;
  }

  /** Deletes temp files left by a crash. Partial downloads (`*.part`) are kept: they resume. */
  async removeTemp(): Promise<void> {
    await this.ensure();
    for (const name of await readdir(this.tmpDir)) {
      if (name.endsWith('.part')) continue; // resumed by whoever downloads it next
      const path = join(this.tmpDir, name);
      // Another process sharing this data folder (the app and the command line) is downloading it.
      if (name.endsWith('.lock') && (await heldByOther(path))) continue;
      await rm(path, { force: true });
    }
  }

  /** Streams `source` into the store (hash while writing, fsync, atomic rename); same bytes are kept once. */
  async ingest(source: AsyncIterable<Uint8Array>, options: { expectedSize?: number } = {}): Promise<StoredFile> {
    await this.ensure();
    const temp = join(this.tmpDir, `ingest-${randomUUID()}`);
    const handle = await open(temp, 'w', 0o600);
    const hash = createHash('sha256');
    let size = 0;
    let head: Uint8Array = new Uint8Array(0);
    try {
      for await (const chunk of source) {
        hash.update(chunk);
        if (head.length < 16) head = concat(head, chunk.subarray(0, 16 - head.length));
        size += chunk.length;
        await writeAll(handle, chunk);
      }
      if (options.expectedSize !== undefined && size !== options.expectedSize) {
        throw new DeskError('network', `truncated download: got ${size} of ${options.expectedSize} bytes`);
      }
      await handle.sync();
      await handle.close();
      return await this.commit(temp, hash.digest('hex'), size, sniffMime(head));
    } catch (err) {
      await handle.close().catch(() => undefined);
      await rm(temp, { force: true });
      throw err;
    }
  }

  /** For imports: a file already on disk goes through the same path. */
  ingestFile(path: string): Promise<StoredFile> {
    return this.ingest(createReadStream(path));
  }

  /** Moves a finished temp file into place under its hash. */
  async commit(temp: string, hash: string, size: number, mime: string): Promise<StoredFile> {
    const target = this.pathOf(hash);
    if (await this.has(hash)) {
      await rm(temp, { force: true });
    } else {
      await mkdir(join(target, '..'), { recursive: true, mode: 0o700 });
      await rename(temp, target);
      await syncDir(join(target, '..'));
    }
    return { hash, size, mime };
  }

  /**
   * The one way from a content hash to a file on this computer: the store's copy, or the file where
   * the person keeps it (imported in place) while it is still there. Null when neither exists.
   */
  async locate(hash: string): Promise<string | null> {
    if (!HASH.test(hash)) return null;
    const own = this.pathOf(hash);
    if ((await stat(own).catch(() => null))?.isFile()) return own;
    const elsewhere = this.referencedPath(hash);
    return elsewhere && (await stat(elsewhere).catch(() => null))?.isFile() ? elsewhere : null;
  }

  async media(hash: string, variant: MediaVariant): Promise<MediaFile | null> {
    if (!HASH.test(hash)) return null;
    const path =
      variant === 'full'
        ? await this.locate(hash)
        : variant === 'preview'
          ? this.previewPathOf(hash)
          : this.thumbPathOf(hash, variant);
    const info = path ? await stat(path).catch(() => null) : null;
    if (!path || !info?.isFile()) return null;
    let mime = 'image/webp';
    if (variant === 'full' || variant === 'preview') {
      const handle = await open(path, 'r');
      try {
        const head = new Uint8Array(16);
        await handle.read(head, 0, 16, 0);
        mime = sniffMime(head);
      } finally {
        await handle.close();
      }
    }
    return { path, mime, size: info.size };
  }

  /** Local delete: the caller checks no other output still uses the hash. */
  async remove(hash: string): Promise<void> {
    await rm(this.pathOf(hash), { force: true });
    await rm(this.thumbPathOf(hash), { force: true });
    await rm(this.previewPathOf(hash), { force: true });
  }
}

async function writeAll(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** fsync on a folder makes the rename itself durable (a no-op where the OS refuses it). */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => null);
  if (!handle) return;
  await handle.sync().catch(() => undefined);
  await handle.close();
}
