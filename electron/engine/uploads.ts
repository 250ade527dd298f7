// Images and masks going up to a server: checked first against the server's limits (a clear
// refusal, nothing sent), uploaded once per server per content hash, and remembered in the journal.
import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Database, Statement } from 'better-sqlite3';
import { DeskError } from '../../shared/errors';
import type { ComfyHttp } from './cloud/http';
import { existsSync } from 'node:fs';
import { checkImageWhole, type OutputStore } from './store';
import { readImageMetadata } from './workflows/metadata';

export interface UploadLimits {
  maxBytes: number;
  maxEdge: number;
  maxPixels: number;
}

/** Comfy Cloud's published limits; a server's /api/features may say otherwise. */
export const CLOUD_LIMITS: UploadLimits = { maxBytes: 50 * 1024 * 1024, maxEdge: 16384, maxPixels: 64 * 1024 * 1024 };

export interface CheckedImage {
  mime: 'image/png' | 'image/jpeg' | 'image/webp';
  width: number;
  height: number;
}

export interface UploadRef {
  name: string;
  subfolder: string;
  type: string;
}

export interface UploadResult extends UploadRef {
  /** True when this exact file was uploaded to this server before and reused. */
  reused: boolean;
}

/** Refuses what the server would refuse, or what is not a whole PNG/JPEG/WebP, with a reason. */
export function checkUploadable(bytes: Uint8Array, name: string, limits: UploadLimits): CheckedImage {
  if (bytes.length === 0) throw new DeskError('invalid_input', `${name} is empty (0 bytes).`);
  if (bytes.length > limits.maxBytes) {
    throw new DeskError(
      'invalid_input',
      `${name} is ${(bytes.length / 1024 / 1024).toFixed(1)} MB; the server takes at most ${Math.round(limits.maxBytes / 1024 / 1024)} MB.`,
    );
  }
  const meta = readImageMetadata(bytes);
  const mime =
    meta.format === 'png'
      ? 'image/png'
      : meta.format === 'jpeg'
        ? 'image/jpeg'
        : meta.format === 'webp'
          ? 'image/webp'
          : null;
  if (!mime) throw new DeskError('invalid_input', `${name} is not a PNG, JPEG or WebP image.`);
  // Every PNG chunk's CRC, JPEG's end marker, WebP's RIFF size: a damaged file is not sent.
  const broken = checkImageWhole(bytes, mime);
  if (broken || !meta.width || !meta.height) {
    throw new DeskError('invalid_input', `${name} is damaged or cut short: ${broken ?? 'it has no image size'}.`);
  }
  if (meta.width > limits.maxEdge || meta.height > limits.maxEdge || meta.width * meta.height > limits.maxPixels) {
    throw new DeskError(
      'invalid_input',
      `${name} is ${meta.width}×${meta.height}; the server takes at most ${limits.maxEdge} px per edge and ${Math.round(limits.maxPixels / 1024 / 1024)} megapixels.`,
    );
  }
  return { mime, width: meta.width, height: meta.height };
}

/** Reads the server's limits from /api/features, where it says them. */
export function limitsFrom(features: Record<string, unknown> | null): UploadLimits {
  const num = (v: unknown, fallback: number) => (typeof v === 'number' && v > 0 ? v : fallback);
  return {
    maxBytes: num(features?.max_upload_size, CLOUD_LIMITS.maxBytes),
    maxEdge: num(features?.max_image_edge, CLOUD_LIMITS.maxEdge),
    maxPixels: num(features?.max_image_pixels, CLOUD_LIMITS.maxPixels),
  };
}

export class UploadService {
  /** `store` keeps a copy of each uploaded image, so a job can take it to another server. */
  /** The newest upload under a name ("name" or "subfolder/name"), to any server or to one. */
  private readonly byName: Statement<[string, string], { hash: string; kind: 'image' | 'mask' }>;
  private readonly onServer: Statement<[string, string, string], unknown>;

  constructor(
    private readonly db: Database,
    private readonly store?: OutputStore,
  ) {
    // Prepared once: routing asks for every string input of every job it plans.
    this.byName = db.prepare(
      `SELECT hash, kind FROM uploads WHERE remote_name = ? OR (subfolder <> '' AND subfolder || '/' || remote_name = ?)
       ORDER BY created_at DESC LIMIT 1`,
    );
    this.onServer = db.prepare(
      `SELECT 1 FROM uploads WHERE profile_id = ?
         AND (remote_name = ? OR (subfolder <> '' AND subfolder || '/' || remote_name = ?)) LIMIT 1`,
    );
  }

  /** Whether we uploaded a file of this name ("name" or "subfolder/name") to any server. */
  known(name: string): boolean {
    return this.source(name) !== null;
  }

  /** The content hash and kind of the newest file we uploaded under this name, to any server. */
  source(name: string): { hash: string; kind: 'image' | 'mask' } | null {
    const row = this.byName.get(name, name);
    // A mask's key is its hash and its original's name: the server made the file from both.
    return row ? { hash: row.hash.split(':')[0]!, kind: row.kind } : null;
  }

  /**
   * The content hashes behind a file we uploaded under this name: the file's, and for a mask also
   * its original's (a painted mask belongs to the image it was painted on).
   */
  hashesOf(name: string): string[] {
    const row = this.byName.get(name, name);
    if (!row) return [];
    const [hash, original] = row.hash.split(/:(.*)/s) as [string, string?];
    const originalHash = original ? this.source(original)?.hash : undefined;
    return [hash, ...(originalHash ? [originalHash] : [])];
  }

  /** Whether an uploaded image of this name is on this computer, so it can go up to another server. */
  canBring(name: string): boolean {
    const source = this.source(name);
    return source?.kind === 'image' && this.store !== undefined && existsSync(this.store.pathOf(source.hash));
  }

  /** Whether a file of this name ("name" or "subfolder/name") was uploaded to this server by us. */
  has(profileId: string, name: string): boolean {
    return this.onServer.get(profileId, name, name) !== undefined;
  }

  async upload(
    http: ComfyHttp,
    profileId: string,
    file: { name: string; bytes: Uint8Array },
    options: {
      kind: 'image' | 'mask';
      limits: UploadLimits;
      originalRef?: UploadRef;
      onProgress?: (sent: number, total: number) => void;
    },
  ): Promise<UploadResult> {
    const checked = checkUploadable(file.bytes, file.name, options.limits);
    const hash = createHash('sha256').update(file.bytes).digest('hex');
    // A mask belongs to its original: the same mask on another image is another upload.
    const key = options.kind === 'mask' ? `${hash}:${options.originalRef?.name ?? ''}` : hash;
    const known = this.db
      .prepare('SELECT remote_name, subfolder, type FROM uploads WHERE profile_id = ? AND hash = ? AND kind = ?')
      .get(profileId, key, options.kind) as { remote_name: string; subfolder: string; type: string } | undefined;
    if (options.kind === 'image') await this.keep(hash, file.bytes);
    if (known) return { name: known.remote_name, subfolder: known.subfolder, type: known.type, reused: true };

    const form = new FormData();
    const ext = checked.mime.split('/')[1] === 'jpeg' ? 'jpg' : checked.mime.split('/')[1];
    const name =
      file.name
        .split(/[\\/]/)
        .pop()!
        .replace(/[^\w.-]+/g, '_') || `upload.${ext}`;
    form.set('image', new Blob([new Uint8Array(file.bytes)], { type: checked.mime }), name);
    form.set('type', 'input');
    form.set('overwrite', 'false');
    if (options.kind === 'mask') {
      if (!options.originalRef) throw new DeskError('invalid_input', 'A mask needs the image it belongs to.');
      form.set(
        'original_ref',
        JSON.stringify({
          filename: options.originalRef.name,
          subfolder: options.originalRef.subfolder,
          type: options.originalRef.type,
        }),
      );
    }
    // The multipart body is streamed, counting what was sent for the progress bar.
    const encoded = new Response(form);
    let sent = 0;
    const total = file.bytes.length;
    const counting = new Transform({
      transform(chunk: Buffer, _enc, done) {
        sent = Math.min(total, sent + chunk.length);
        options.onProgress?.(sent, total);
        done(null, chunk);
      },
    });
    const body = Readable.fromWeb(encoded.body as WebReadableStream<Uint8Array>).pipe(counting);
    const answer = (await http.json('POST', options.kind === 'mask' ? '/upload/mask' : '/upload/image', {
      rawBody: body,
      headers: { 'content-type': encoded.headers.get('content-type')! },
      idempotent: false,
      timeoutMs: 300_000,
    })) as { name?: unknown; subfolder?: unknown; type?: unknown };
    if (typeof answer?.name !== 'string')
      throw new DeskError('bad_response', 'The server did not say the uploaded file’s name.');
    const ref = {
      name: answer.name,
      subfolder: typeof answer.subfolder === 'string' ? answer.subfolder : '',
      type: typeof answer.type === 'string' ? answer.type : 'input',
    };
    this.db
      .prepare(
        'INSERT OR REPLACE INTO uploads (profile_id, hash, kind, remote_name, subfolder, type, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(profileId, key, options.kind, ref.name, ref.subfolder, ref.type, Date.now());
    return { ...ref, reused: false };
  }

  private async keep(hash: string, bytes: Uint8Array): Promise<void> {
    if (!this.store || (await this.store.has(hash))) return;
    await this.store.ingest(Readable.from([bytes]));
  }
}
