// A stored output is what its name and kind say: the bytes are the promised kind of media (not an
// error page saved as x.png), the file is whole (PNG chunks' CRCs and IEND, JPEG's end
// marker, WebP's RIFF size, GIF's trailer) and an image decodes to its last scanline. Video and
// audio get the magic check only: no decoder ships with the app.
import { open, type FileHandle } from 'node:fs/promises';
import { extname } from 'node:path';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { sniffMime } from './mime';

export type VerifyResult =
  { ok: true; mime: string; width: number | null; height: number | null } | { ok: false; reason: string };

type MediaKind = 'image' | 'video' | 'audio';

const KIND_OF_EXTENSION: Record<string, MediaKind> = {
  '.png': 'image',
  '.jpg': 'image',
  '.jpeg': 'image',
  '.webp': 'image',
  '.gif': 'image',
  '.mp4': 'video',
  '.webm': 'video',
  '.mov': 'video',
  '.wav': 'audio',
  '.mp3': 'audio',
  '.flac': 'audio',
  '.ogg': 'audio',
};

const NOUN: Record<MediaKind, string> = { image: 'an image', video: 'a video', audio: 'audio' };
const HEAD = 64;
const TAIL = 64 * 1024; // JPEG's end marker may be followed by zero padding
const READ_PIECE = 1024 * 1024;
const MAX_PIXELS = 268_402_689; // sharp's default, said out loud
const PNG_SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Checks the file at `path` against what its name says (or `mimeHint`, for a name without a known
 * extension). Never throws: an unreadable file is a failure with a reason.
 */
export async function verifyMediaFile(
  path: string,
  expected: { filename: string; mimeHint?: string },
): Promise<VerifyResult> {
  try {
    return await verify(path, expected.filename, expectedKind(expected));
  } catch (err) {
    return { ok: false, reason: `${expected.filename} cannot be read: ${(err as Error).message}` };
  }
}

async function verify(path: string, filename: string, kind: MediaKind | null): Promise<VerifyResult> {
  const file = await open(path, 'r');
  let mime: string;
  try {
    const size = (await file.stat()).size;
    const head = await readAt(file, 0, HEAD);
    mime = sniffMime(head);
    if (kind && !mime.startsWith(`${kind}/`)) {
      return { ok: false, reason: `${filename} is ${describe(head, size, mime)}, not ${NOUN[kind]}` };
    }
    if (!mime.startsWith('image/')) return { ok: true, mime, width: null, height: null };
    const broken =
      mime === 'image/png'
        ? await walkPngFile(file)
        : checkEnds(mime, head, await readAt(file, Math.max(0, size - TAIL), TAIL), size);
    if (broken) return { ok: false, reason: `${filename}: ${broken}` };
  } finally {
    await file.close();
  }
  return decodes(path, filename, mime);
}

/** Decodes every scanline (and frame): a cheap 1×1 resize still reads the whole image. */
async function decodes(path: string, filename: string, mime: string): Promise<VerifyResult> {
  try {
    const image = sharp(path, { failOn: 'truncated', limitInputPixels: MAX_PIXELS, animated: true });
    const meta = await image.metadata();
    await image.resize(1, 1).raw().toBuffer();
    return { ok: true, mime, width: meta.width ?? null, height: meta.pageHeight ?? meta.height ?? null };
  } catch (err) {
    return { ok: false, reason: `${filename} cannot be decoded as an image: ${(err as Error).message}` };
  }
}

function expectedKind(expected: { filename: string; mimeHint?: string }): MediaKind | null {
  const byName = KIND_OF_EXTENSION[extname(expected.filename).toLowerCase()];
  if (byName) return byName;
  const hinted = expected.mimeHint?.split('/')[0];
  return hinted === 'image' || hinted === 'video' || hinted === 'audio' ? hinted : null;
}

/** What a file that is not the promised media holds, for a person. */
function describe(head: Uint8Array, size: number, mime: string): string {
  if (size === 0) return 'empty (0 bytes)';
  if (mime !== 'application/octet-stream') return `${mime} data`;
  const text = new TextDecoder()
    .decode(head, { stream: true }) // a character cut at the end is left out
    .replace(/^\uFEFF/, '')
    .trimStart()
    .toLowerCase();
  if (/^<(!doctype html|html|head|body|!--)/.test(text)) return 'a web page (HTML)';
  if (text.startsWith('<?xml')) return 'an XML document';
  if (text.startsWith('{') || text.startsWith('[')) return 'JSON data';
  // eslint-disable-next-line no-control-regex -- control characters are what binary data has
  if (text.length > 0 && !/[\u0000-\u0008\u000e-\u001f\ufffd]/.test(text)) return 'text';
  return 'unrecognized data';
}

/**
 * Walks a PNG's chunks as its bytes arrive, checking the CRC of each critical chunk, that it
 * starts with IHDR and that it reaches IEND. The one implementation for a buffer (uploads) and a file (verify).
 */
export class PngChunkWalker {
  private position = 0; // bytes consumed so far
  private phase: 'signature' | 'header' | 'data' | 'crc' | 'done' = 'signature';
  private readonly field = new Uint8Array(8); // the fixed-size field being filled
  private filled = 0;
  private need = 8;
  private type = '';
  private chunkStart = 0; // for messages
  private remaining = 0; // data bytes of the current chunk still to come
  private crc = 0;
  private chunks = 0;
  private problem: string | null = null;

  /** True once the walk needs no more bytes: it reached IEND or found a problem. */
  get settled(): boolean {
    return this.phase === 'done' || this.problem !== null;
  }

  push(bytes: Uint8Array): void {
    let i = 0;
    while (i < bytes.length && !this.settled) {
      if (this.phase === 'data') {
        const take = Math.min(this.remaining, bytes.length - i);
        this.crc = crc32(bytes.subarray(i, i + take), this.crc);
        this.remaining -= take;
        this.position += take;
        i += take;
        if (this.remaining === 0) this.expect('crc', 4);
      } else {
        const take = Math.min(this.need - this.filled, bytes.length - i);
        this.field.set(bytes.subarray(i, i + take), this.filled);
        this.filled += take;
        this.position += take;
        i += take;
        if (this.filled === this.need) this.fieldDone();
      }
    }
  }

  /** Null for a whole PNG; otherwise why it is not, for a person. */
  finish(): string | null {
    if (this.problem) return this.problem;
    if (this.phase === 'done') return null;
    if (this.position === 0) return 'the file is empty';
    if (this.phase === 'signature' && !PNG_SIGNATURE.subarray(0, this.filled).every((b, i) => this.field[i] === b)) {
      return 'not a PNG file';
    }
    return `the file is incomplete (cut off after ${this.position} bytes)`;
  }

  private expect(phase: 'header' | 'crc', need: number): void {
    this.phase = phase;
    this.need = need;
    this.filled = 0;
  }

  private fieldDone(): void {
    const view = new DataView(this.field.buffer);
    if (this.phase === 'signature') {
      if (!PNG_SIGNATURE.every((b, i) => this.field[i] === b)) this.problem = 'not a PNG file';
      this.expect('header', 8);
    } else if (this.phase === 'header') {
      const length = view.getUint32(0);
      const typeBytes = this.field.subarray(4, 8);
      this.type = String.fromCharCode(...typeBytes);
      this.chunkStart = this.position - 8;
      if (!typeBytes.every((c) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a))) {
        this.problem = `the file is damaged at byte ${this.chunkStart} (no PNG chunk there)`;
      } else if (length > 0x7fffffff) {
        this.problem = `the ${this.type} chunk claims an impossible length (${length} bytes)`;
      } else if (this.chunks === 0 && this.type !== 'IHDR') {
        this.problem = 'the PNG does not start with its header (IHDR)';
      }
      this.crc = crc32(typeBytes);
      this.remaining = length;
      if (length === 0) this.expect('crc', 4);
      else this.phase = 'data';
    } else if (this.phase === 'crc') {
      this.chunks += 1;
      // Like libpng and ComfyUI's loader: a bad CRC in a critical chunk (upper-case first letter:
      // IHDR, PLTE, IDAT, IEND) is damage; in an ancillary one (tEXt…) the image is still whole.
      // Real published ComfyUI images have tEXt chunks edited without fixing the CRC.
      const critical = this.type.charCodeAt(0) < 0x61;
      if (critical && view.getUint32(0) !== this.crc) {
        this.problem = `the ${this.type} chunk at byte ${this.chunkStart} is damaged (its checksum does not match)`;
      } else if (this.type === 'IEND') {
        this.phase = 'done';
      } else {
        this.expect('header', 8);
      }
    }
  }
}

/** The PNG chunk walk over bytes in memory: null when whole, otherwise why not. */
export function checkPngChunks(bytes: Uint8Array): string | null {
  const walker = new PngChunkWalker();
  walker.push(bytes);
  return walker.finish();
}

/** Whether an image held in memory is whole by its format's rules: null when it is, otherwise why not. */
export function checkImageWhole(bytes: Uint8Array, mime: string): string | null {
  if (mime === 'image/png') return checkPngChunks(bytes);
  return checkEnds(mime, bytes.subarray(0, HEAD), bytes.subarray(Math.max(0, bytes.length - TAIL)), bytes.length);
}

/** The end checks of JPEG, WebP and GIF, which need only the first and last bytes. */
function checkEnds(mime: string, head: Uint8Array, tail: Uint8Array, size: number): string | null {
  const cut = `the file is incomplete (cut off after ${size} bytes)`;
  if (mime === 'image/jpeg') {
    let end = tail.length;
    while (end > 0 && tail[end - 1] === 0) end--; // zero padding after the end marker is harmless
    return end >= 2 && tail[end - 2] === 0xff && tail[end - 1] === 0xd9
      ? null
      : `${cut}: the JPEG end marker is missing`;
  }
  if (mime === 'image/webp') {
    if (head.length < 12) return cut;
    const riff = new DataView(head.buffer, head.byteOffset, head.byteLength).getUint32(4, true) + 8;
    if (riff > size) return `${cut}: the WebP header says ${riff} bytes`;
    if (riff < size) return `the WebP header says ${riff} bytes but the file has ${size}`;
    return null;
  }
  if (mime === 'image/gif') return tail[tail.length - 1] === 0x3b ? null : `${cut}: the GIF trailer is missing`;
  return null;
}

/** Streams a PNG file through the chunk walk, stopping at IEND or the first problem. */
async function walkPngFile(file: FileHandle): Promise<string | null> {
  const walker = new PngChunkWalker();
  const buffer = new Uint8Array(READ_PIECE);
  for (let position = 0; !walker.settled;) {
    const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) break;
    walker.push(buffer.subarray(0, bytesRead));
    position += bytesRead;
  }
  return walker.finish();
}

async function readAt(file: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await file.read(buffer, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buffer.subarray(0, got);
}
