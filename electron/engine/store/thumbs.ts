// Thumbnails for image outputs: a fixed long edge, WebP, made once. sharp runs on libuv's thread
// pool, so the work is off the JavaScript main thread. Video and audio get theirs (a poster, a
// waveform) at the same path and size from the bundled ffmpeg: store/media-probe.ts.
import { rename, mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { randomUUID } from 'node:crypto';
import sharp, { type Metadata } from 'sharp';
import { MEDIA_EDGE } from '../../../shared/contract';
import { DeskError } from '../../../shared/errors';
import type { OutputStore } from './store';

export const THUMB_EDGE = MEDIA_EDGE.thumb;
/** The large variant: sharp on big tiles and dense screens; made when first asked for. */
export const LARGE_EDGE = MEDIA_EDGE.large;

/** `sourcePath` is for files kept outside the store (imported in place); the thumbnail is still ours. */
export async function makeThumbnail(
  store: OutputStore,
  hash: string,
  sourcePath?: string,
  size: 'thumb' | 'large' = 'thumb',
): Promise<{ width: number; height: number; phash: string | null }> {
  const source = sourcePath ?? store.pathOf(hash);
  const target = store.thumbPathOf(hash, size);
  const edge = size === 'large' ? LARGE_EDGE : THUMB_EDGE;
  let meta: Metadata;
  try {
    meta = await sharp(source).metadata();
  } catch (err) {
    throw new DeskError('bad_response', `not a readable image: ${(err as Error).message}`);
  }
  if (!meta.width || !meta.height) throw new DeskError('bad_response', 'not a readable image: no dimensions');
  if (!(await stat(target).catch(() => null))) {
    // The store's folders too: a file imported in place is the first thing a new store may see.
    await store.ensure();
    await mkdir(dirname(target), { recursive: true, mode: 0o700 });
    const temp = `${store.tmpDir}/thumb-${randomUUID()}.webp`;
    try {
      await sharp(source, { failOn: 'truncated', animated: false })
        .rotate()
        .resize(edge, edge, { fit: 'inside', withoutEnlargement: true })
        .webp({ quality: 80 })
        .toFile(temp);
    } catch (err) {
      throw new DeskError('bad_response', `not a readable image: ${(err as Error).message}`);
    }
    await rename(temp, target);
  }
  return {
    width: meta.width,
    height: meta.pageHeight && meta.pages && meta.pages > 1 ? meta.pageHeight : meta.height,
    phash: await perceptualHash(target).catch(() => null),
  };
}

/**
 * A 64-bit difference hash (dHash) as 16 hex digits: the image in grey at 9×8, each bit whether a
 * pixel is brighter than its right neighbour. Near-identical images (re-encoded, resized, a
 * different seed of the same composition) differ in few bits.
 */
export async function perceptualHash(path: string): Promise<string> {
  const pixels = await sharp(path, { animated: false }).greyscale().resize(9, 8, { fit: 'fill' }).raw().toBuffer();
  let hex = '';
  for (let row = 0; row < 8; row++) {
    let byte = 0;
    for (let col = 0; col < 8; col++)
      byte = (byte << 1) | (pixels[row * 9 + col]! > pixels[row * 9 + col + 1]! ? 1 : 0);
    hex += byte.toString(16).padStart(2, '0');
  }
  return hex;
}

/** How many of the 64 bits two perceptual hashes differ in. */
export function hammingDistance(a: string, b: string): number {
  let bits = 0;
  for (let i = 0; i < 16; i += 8) {
    let x = (parseInt(a.slice(i, i + 8), 16) ^ parseInt(b.slice(i, i + 8), 16)) >>> 0;
    while (x) {
      x &= x - 1;
      bits++;
    }
  }
  return bits;
}
