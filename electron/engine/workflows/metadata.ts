// Reads the `prompt` and `workflow` ComfyUI embeds in its outputs: PNG text chunks (tEXt, iTXt,
// zTXt), animated WebP's EXIF (IFD0 Make = "workflow:{…}", Model = "prompt:{…}"), and MP4/WebM
// container tags (`prompt`, `workflow`, or a `comment` holding both; read with the bundled ffprobe).
// Also the image's size from its header. Broken, foreign or hostile files give null fields, never a
// throw: inflating, chunk walking and the JSON are all bounded (a zlib bomb or a prompt nested
// 100,000 levels deep costs little and gives null).
import { inflateSync } from 'node:zlib';
import { parseJsonBounded } from '../../../shared/json-limits';
import { probeMedia, type ToolOptions } from '../store/media-probe';

export interface ImageMetadata {
  format: 'png' | 'webp' | 'jpeg' | 'gif' | 'unknown';
  width: number | null;
  height: number | null;
  prompt: Record<string, unknown> | null;
  workflow: Record<string, unknown> | null;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const MAX_CHUNKS = 10_000;
const MAX_INFLATE = 16 * 1024 * 1024; // per compressed text chunk
const MAX_INFLATE_TOTAL = 32 * 1024 * 1024; // across all of a file's chunks
// ComfyUI's workflows nest about 10 levels; the text is at most a few MB.
const JSON_LIMITS = { maxBytes: 16 * 1024 * 1024, maxDepth: 64 };
const KEYS = new Set(['prompt', 'workflow']);
const latin1 = new TextDecoder('latin1');

export function readImageMetadata(bytes: Uint8Array): ImageMetadata {
  if (PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return readPng(bytes);
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return readWebp(bytes);
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return { ...empty('jpeg'), ...jpegSize(bytes) };
  if (ascii(bytes, 0, 4) === 'GIF8') {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return {
      ...empty('gif'),
      width: bytes.length >= 10 ? view.getUint16(6, true) : null,
      height: bytes.length >= 10 ? view.getUint16(8, true) : null,
    };
  }
  return empty('unknown');
}

function empty(format: ImageMetadata['format']): ImageMetadata {
  return { format, width: null, height: null, prompt: null, workflow: null };
}

function readPng(bytes: Uint8Array): ImageMetadata {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const meta = empty('png');
  const texts = new Map<string, Uint8Array>();
  const budget = { inflate: MAX_INFLATE_TOTAL };
  let offset = 8;
  for (let n = 0; n < MAX_CHUNKS && offset + 12 <= bytes.length; n++) {
    const length = view.getUint32(offset);
    const type = ascii(bytes, offset + 4, 4);
    const start = offset + 8;
    const end = start + length;
    if (end + 4 > bytes.length) break; // truncated: keep what was read
    const data = bytes.subarray(start, end);
    if (type === 'IHDR' && length >= 8) {
      meta.width = view.getUint32(start);
      meta.height = view.getUint32(start + 4);
    } else if (type === 'tEXt' || type === 'iTXt' || type === 'zTXt') {
      const entry = textChunk(type, data, budget);
      if (entry) texts.set(entry[0], entry[1]);
    } else if (type === 'IEND') {
      break;
    }
    offset = end + 4;
  }
  meta.prompt = jsonObject(texts.get('prompt'));
  meta.workflow = jsonObject(texts.get('workflow'));
  return meta;
}

/** A `prompt` or `workflow` text chunk's keyword and UTF-8 body; null for others and broken ones. */
function textChunk(type: string, data: Uint8Array, budget: { inflate: number }): [string, Uint8Array] | null {
  const nul = data.indexOf(0);
  if (nul < 1) return null;
  const keyword = latin1.decode(data.subarray(0, nul));
  if (!KEYS.has(keyword)) return null; // nothing else is read: not worth inflating
  // The PNG spec says tEXt is Latin-1, but ComfyUI writes UTF-8: the body is read as UTF-8.
  if (type === 'tEXt') return [keyword, data.subarray(nul + 1)];
  if (type === 'zTXt') return inflated(keyword, data.subarray(nul + 2), budget);
  // iTXt: keyword\0 flag method language\0 translated\0 text
  const compressed = data[nul + 1] === 1;
  const language = data.indexOf(0, nul + 3);
  const translated = language < 0 ? -1 : data.indexOf(0, language + 1);
  if (translated < 0) return null;
  const body = data.subarray(translated + 1);
  return compressed ? inflated(keyword, body, budget) : [keyword, body];
}

/** Inflates within the file's budget; a chunk that would inflate past it is dropped. */
function inflated(keyword: string, body: Uint8Array, budget: { inflate: number }): [string, Uint8Array] | null {
  const limit = Math.min(MAX_INFLATE, budget.inflate);
  if (limit <= 0) return null;
  // Charged in full up front: a failed inflate may have produced up to the limit.
  budget.inflate -= limit;
  try {
    const out = inflateSync(body, { maxOutputLength: limit });
    budget.inflate += limit - out.length;
    return [keyword, out];
  } catch {
    return null; // corrupt, or a zlib bomb stopped at the limit
  }
}

function readWebp(bytes: Uint8Array): ImageMetadata {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const meta = empty('webp');
  let offset = 12;
  for (let n = 0; n < MAX_CHUNKS && offset + 8 <= bytes.length; n++) {
    const type = ascii(bytes, offset, 4);
    const length = view.getUint32(offset + 4, true);
    const start = offset + 8;
    const end = Math.min(bytes.length, start + length);
    const size = end - start; // what is there: the length field may claim more
    if (type === 'VP8X' && size >= 10) {
      meta.width = 1 + (bytes[start + 4]! | (bytes[start + 5]! << 8) | (bytes[start + 6]! << 16));
      meta.height = 1 + (bytes[start + 7]! | (bytes[start + 8]! << 8) | (bytes[start + 9]! << 16));
    } else if (type === 'VP8 ' && size >= 10 && meta.width === null) {
      meta.width = view.getUint16(start + 6, true) & 0x3fff;
      meta.height = view.getUint16(start + 8, true) & 0x3fff;
    } else if (type === 'VP8L' && size >= 5 && meta.width === null) {
      const bits = view.getUint32(start + 1, true);
      meta.width = (bits & 0x3fff) + 1;
      meta.height = ((bits >> 14) & 0x3fff) + 1;
    } else if (type === 'EXIF') {
      for (const [key, text] of exifTexts(bytes.subarray(start, end))) meta[key] ??= jsonObject(text);
    }
    offset = start + length + (length % 2); // chunks are padded to even sizes
  }
  return meta;
}

/**
 * The `prompt:…` and `workflow:…` ASCII values of IFD0 of a TIFF/EXIF block, the first of each.
 * Only those are decoded: many entries pointing at one large value must not multiply the work.
 */
function exifTexts(exif: Uint8Array): Map<'prompt' | 'workflow', Uint8Array> {
  const found = new Map<'prompt' | 'workflow', Uint8Array>();
  let data = exif;
  if (ascii(data, 0, 6) === 'Exif\0\0') data = data.subarray(6);
  if (data.length < 8) return found;
  const little = ascii(data, 0, 2) === 'II';
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const u16 = (o: number): number => view.getUint16(o, little);
  const u32 = (o: number): number => view.getUint32(o, little);
  const ifd = u32(4);
  if (ifd + 2 > data.length) return found;
  const count = u16(ifd);
  for (let i = 0; i < count && found.size < 2; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > data.length) break;
    const type = u16(entry + 2);
    const n = u32(entry + 4);
    if (type !== 2) continue; // ASCII
    const at = n <= 4 ? entry + 8 : u32(entry + 8);
    if (at + n > data.length) continue;
    const value = data.subarray(at, at + n);
    for (const key of ['prompt', 'workflow'] as const) {
      if (!found.has(key) && ascii(value, 0, key.length + 1) === `${key}:`) {
        let stop = value.length;
        while (stop > 0 && value[stop - 1] === 0) stop--; // NUL-terminated
        found.set(key, value.subarray(key.length + 1, stop));
      }
    }
  }
  return found;
}

function jpegSize(bytes: Uint8Array): { width: number | null; height: number | null } {
  let offset = 2;
  while (offset + 9 < bytes.length) {
    if (bytes[offset] !== 0xff) return { width: null, height: null };
    const marker = bytes[offset + 1]!;
    const length = (bytes[offset + 2]! << 8) | bytes[offset + 3]!;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return {
        height: (bytes[offset + 5]! << 8) | bytes[offset + 6]!,
        width: (bytes[offset + 7]! << 8) | bytes[offset + 8]!,
      };
    }
    offset += 2 + length;
  }
  return { width: null, height: null };
}

export interface EmbeddedMetadata {
  prompt: Record<string, unknown> | null;
  workflow: Record<string, unknown> | null;
}

/**
 * The prompt and workflow of a video or audio file at `path`, from its container tags (one
 * ffprobe run, with its time, memory and output limits). A file that cannot be read gives nulls
 * and the reason.
 */
export async function readVideoMetadata(
  path: string,
  options: ToolOptions = {},
): Promise<EmbeddedMetadata & { reason?: string }> {
  const probe = await probeMedia(path, options);
  if (!probe.ok) return { prompt: null, workflow: null, reason: probe.reason };
  return embeddedFromTags(probe.tags);
}

/**
 * `prompt` and `workflow` from container tags as ComfyUI writes them: each a JSON string under its
 * own key (any case: WebM's keys read back upper case), or both in a JSON `comment` (as
 * VideoHelperSuite writes them). A value that is a JSON string of JSON is read once more. Bounded
 * like the image reader: too large, too deep or not an object gives null.
 */
export function embeddedFromTags(tags: Record<string, string>): EmbeddedMetadata {
  const byKey = new Map<string, string>();
  for (const [key, value] of Object.entries(tags)) {
    const lower = key.toLowerCase();
    if (typeof value === 'string' && !byKey.has(lower)) byKey.set(lower, value);
  }
  const meta: EmbeddedMetadata = { prompt: tagObject(byKey.get('prompt')), workflow: tagObject(byKey.get('workflow')) };
  if (!meta.prompt || !meta.workflow) {
    const comment = tagObject(byKey.get('comment'));
    if (comment) {
      for (const key of KEYS as Set<'prompt' | 'workflow'>) {
        const value = comment[key];
        meta[key] ??= typeof value === 'string' ? tagObject(value) : isRecord(value) ? value : null;
      }
    }
  }
  return meta;
}

function tagObject(text: string | undefined): Record<string, unknown> | null {
  if (!text) return null;
  const value = jsonValue(text);
  if (typeof value === 'string') {
    const again = jsonValue(value);
    return isRecord(again) ? again : null;
  }
  return isRecord(value) ? value : null;
}

function jsonValue(text: string): unknown {
  try {
    return parseJsonBounded(text, JSON_LIMITS);
  } catch {
    return null; // not JSON, too large or too deep
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function jsonObject(text: Uint8Array | undefined): Record<string, unknown> | null {
  if (!text || text.length === 0) return null;
  try {
    const value = parseJsonBounded(text, JSON_LIMITS);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null; // not JSON, too large or too deep
  }
}

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  return latin1.decode(bytes.subarray(offset, offset + length));
}
