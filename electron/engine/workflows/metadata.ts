// Reads the `prompt` and `workflow` ComfyUI embeds in its outputs: PNG text chunks (tEXt, iTXt,
// zTXt) and animated WebP's EXIF (IFD0 Make = "workflow:{…}", Model = "prompt:{…}"). Also the
// image's size from its header. Broken or foreign files give null fields, never a throw.
import { inflateSync } from 'node:zlib';

export interface ImageMetadata {
  format: 'png' | 'webp' | 'jpeg' | 'gif' | 'unknown';
  width: number | null;
  height: number | null;
  prompt: Record<string, unknown> | null;
  workflow: Record<string, unknown> | null;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const utf8 = new TextDecoder('utf-8');
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
  const texts = new Map<string, string>();
  let offset = 8;
  while (offset + 12 <= bytes.length) {
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
      const entry = textChunk(type, data);
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

function textChunk(type: string, data: Uint8Array): [string, string] | null {
  const nul = data.indexOf(0);
  if (nul < 1) return null;
  const keyword = latin1.decode(data.subarray(0, nul));
  try {
    if (type === 'tEXt') {
      // The PNG spec says Latin-1, but ComfyUI writes UTF-8: decode as UTF-8.
      return [keyword, utf8.decode(data.subarray(nul + 1))];
    }
    if (type === 'zTXt') return [keyword, utf8.decode(inflateSync(data.subarray(nul + 2)))];
    // iTXt: keyword\0 flag method language\0 translated\0 text
    const compressed = data[nul + 1] === 1;
    let p = nul + 3;
    p = data.indexOf(0, p) + 1; // language tag
    p = data.indexOf(0, p) + 1; // translated keyword
    if (p <= 0) return null;
    const body = data.subarray(p);
    return [keyword, utf8.decode(compressed ? inflateSync(body) : body)];
  } catch {
    return null;
  }
}

function readWebp(bytes: Uint8Array): ImageMetadata {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const meta = empty('webp');
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const type = ascii(bytes, offset, 4);
    const length = view.getUint32(offset + 4, true);
    const start = offset + 8;
    const end = Math.min(bytes.length, start + length);
    if (type === 'VP8X' && length >= 10) {
      meta.width = 1 + (bytes[start + 4]! | (bytes[start + 5]! << 8) | (bytes[start + 6]! << 16));
      meta.height = 1 + (bytes[start + 7]! | (bytes[start + 8]! << 8) | (bytes[start + 9]! << 16));
    } else if (type === 'VP8 ' && length >= 10 && meta.width === null) {
      meta.width = view.getUint16(start + 6, true) & 0x3fff;
      meta.height = view.getUint16(start + 8, true) & 0x3fff;
    } else if (type === 'VP8L' && length >= 5 && meta.width === null) {
      const bits = view.getUint32(start + 1, true);
      meta.width = (bits & 0x3fff) + 1;
      meta.height = ((bits >> 14) & 0x3fff) + 1;
    } else if (type === 'EXIF') {
      for (const value of exifStrings(bytes.subarray(start, end))) {
        const colon = value.indexOf(':');
        const key = value.slice(0, colon);
        if (key === 'prompt' || key === 'workflow') meta[key] = jsonObject(value.slice(colon + 1));
      }
    }
    offset = start + length + (length % 2); // chunks are padded to even sizes
  }
  return meta;
}

/** The ASCII string values of IFD0 of a TIFF/EXIF block. */
function exifStrings(exif: Uint8Array): string[] {
  let data = exif;
  if (ascii(data, 0, 6) === 'Exif\0\0') data = data.subarray(6);
  if (data.length < 8) return [];
  const little = ascii(data, 0, 2) === 'II';
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const u16 = (o: number): number => view.getUint16(o, little);
  const u32 = (o: number): number => view.getUint32(o, little);
  const ifd = u32(4);
  if (ifd + 2 > data.length) return [];
  const count = u16(ifd);
  const values: string[] = [];
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > data.length) break;
    const type = u16(entry + 2);
    const n = u32(entry + 4);
    if (type !== 2) continue; // ASCII
    const at = n <= 4 ? entry + 8 : u32(entry + 8);
    if (at + n > data.length) continue;
    values.push(utf8.decode(data.subarray(at, at + n)).replace(/\0+$/, ''));
  }
  return values;
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

function jsonObject(text: string | undefined): Record<string, unknown> | null {
  if (!text) return null;
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  return latin1.decode(bytes.subarray(offset, offset + length));
}
