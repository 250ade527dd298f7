// ComfyUI's binary WebSocket frames. Every frame starts with a big-endian u32 event type:
//   1 PREVIEW_IMAGE: [u32 image format: 1 = JPEG, 2 = PNG][image bytes] (no prompt_id: the running job's)
//   3 TEXT:          [u32 node id length][node id (UTF-8)][text (UTF-8)]
//   4 PREVIEW_IMAGE_WITH_METADATA: [u32 metadata length][metadata JSON: {node_id, prompt_id, image_type, …}][image bytes]
// Pure functions on Uint8Array: used by the engine, the fake cloud and (if ever needed) the renderer.
// Decoding is total: any bytes give a frame or null, never a throw, with every length bounded.
import { parseJsonBounded, type JsonLimits } from './json-limits';

export const FRAME_PREVIEW = 1;
export const FRAME_TEXT = 3;
export const FRAME_PREVIEW_WITH_METADATA = 4;

export interface PreviewMetadata {
  node_id?: string;
  display_node_id?: string;
  prompt_id?: string;
  image_type?: string;
  [key: string]: unknown;
}

export type DecodedFrame =
  | { kind: 'image'; type: 1 | 4; mime: string; image: Uint8Array; promptId: string | null; nodeId: string | null }
  | { kind: 'text'; nodeId: string; text: string };

const utf8 = new TextDecoder();
const encoder = new TextEncoder();

// A hostile server's frame is bounded: ids and metadata are small in real frames.
const MAX_ID_BYTES = 1024;
const METADATA_LIMITS: JsonLimits = { maxBytes: 64 * 1024, maxDepth: 16 };
// Only types a browser shows as a plain picture (an SVG could carry script).
const PREVIEW_MIMES = new Set(['image/png', 'image/jpeg', 'image/webp', 'image/gif']);

function u32(bytes: Uint8Array, offset: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset);
}

/** Decodes a binary frame; null for unknown types or malformed frames (never throws). */
export function decodeBinaryFrame(bytes: Uint8Array): DecodedFrame | null {
  if (bytes.length < 8) return null;
  const type = u32(bytes, 0);
  if (type === FRAME_PREVIEW) {
    const format = u32(bytes, 4);
    if (bytes.length === 8) return null; // no image: nothing to show instead of the last preview
    return {
      kind: 'image',
      type: 1,
      mime: format === 2 ? 'image/png' : 'image/jpeg',
      image: bytes.subarray(8),
      promptId: null,
      nodeId: null,
    };
  }
  if (type === FRAME_TEXT) {
    const length = u32(bytes, 4);
    if (length > MAX_ID_BYTES || 8 + length > bytes.length) return null;
    return {
      kind: 'text',
      nodeId: utf8.decode(bytes.subarray(8, 8 + length)),
      text: utf8.decode(bytes.subarray(8 + length)),
    };
  }
  if (type === FRAME_PREVIEW_WITH_METADATA) {
    const length = u32(bytes, 4);
    if (length > METADATA_LIMITS.maxBytes || 8 + length > bytes.length) return null;
    let meta: unknown;
    try {
      meta = parseJsonBounded(bytes.subarray(8, 8 + length), METADATA_LIMITS);
    } catch {
      return null;
    }
    if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) return null;
    const { image_type: mime, prompt_id: promptId, node_id: nodeId } = meta as PreviewMetadata;
    if (!idOrAbsent(promptId) || !idOrAbsent(nodeId)) return null;
    if (bytes.length === 8 + length) return null; // metadata without an image
    return {
      kind: 'image',
      type: 4,
      mime: typeof mime === 'string' && PREVIEW_MIMES.has(mime) ? mime : 'image/png',
      image: bytes.subarray(8 + length),
      promptId: typeof promptId === 'string' ? promptId : null,
      nodeId: typeof nodeId === 'string' ? nodeId : null,
    };
  }
  return null;
}

/** A metadata id is a string of at most 1 KiB (UTF-8), or not a string (then ignored). */
function idOrAbsent(value: unknown): boolean {
  return typeof value !== 'string' || value.length * 3 <= MAX_ID_BYTES || encoder.encode(value).length <= MAX_ID_BYTES;
}

function header(...words: number[]): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  const view = new DataView(out.buffer);
  words.forEach((w, i) => view.setUint32(i * 4, w));
  return out;
}

function join(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function encodePreviewFrame(image: Uint8Array, format: 'jpeg' | 'png'): Uint8Array {
  return join(header(FRAME_PREVIEW, format === 'png' ? 2 : 1), image);
}

export function encodePreviewWithMetadataFrame(image: Uint8Array, metadata: PreviewMetadata): Uint8Array {
  const meta = encoder.encode(JSON.stringify(metadata));
  return join(header(FRAME_PREVIEW_WITH_METADATA, meta.length), meta, image);
}

export function encodeTextFrame(nodeId: string, text: string): Uint8Array {
  const node = encoder.encode(nodeId);
  return join(header(FRAME_TEXT, node.length), node, encoder.encode(text));
}
