// Real PNG files, made from scratch: a seeded colour field (deterministic per seed) with the
// `prompt` and `workflow` tEXt chunks that ComfyUI's SaveImage writes.
import { crc32, deflateSync } from 'node:zlib';

/** One PNG chunk: length, type, data and its CRC (tests build damaged and hostile files with it). */
export function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A small deterministic pseudo-random generator (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function makePng(width: number, height: number, seed: number, text: Record<string, string> = {}): Buffer {
  const random = rng(seed);
  const [r0, g0, b0, r1, g1, b1] = Array.from({ length: 6 }, () => Math.floor(random() * 256));
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      const t = (x + y) / (width + height);
      const noise = Math.floor(random() * 24);
      const i = row + 1 + x * 3;
      raw[i] = Math.min(255, Math.round(r0! + (r1! - r0!) * t) + noise);
      raw[i + 1] = Math.min(255, Math.round(g0! + (g1! - g0!) * t) + noise);
      raw[i + 2] = Math.min(255, Math.round(b0! + (b1! - b0!) * t) + noise);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  const texts = Object.entries(text).map(([key, value]) =>
    pngChunk('tEXt', Buffer.concat([Buffer.from(key, 'latin1'), Buffer.from([0]), Buffer.from(value, 'utf8')])),
  );
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    ...texts,
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A tiny JPEG-like preview is not needed: previews are small PNGs too (type 1 says format 2 = PNG). */
export function makePreview(seed: number, step: number): Buffer {
  return makePng(16, 16, seed * 131 + step);
}
