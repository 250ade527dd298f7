// Where two images differ, pixel by pixel (pixelmatch): the count, and a mask of the differing
// pixels on a transparent background to draw over the first image. Pure, so a worker runs it and
// a unit test checks it.
import pixelmatch from 'pixelmatch';

/** Differences brighter than the first image: drawn in one colour; darker: in another. */
const BRIGHTER: [number, number, number] = [255, 40, 120];
const DARKER: [number, number, number] = [0, 190, 255];

/**
 * The long edge the images are compared at: what the view shows of a whole image on a screen, and a
 * quarter of the pixels of 2048 (the difference of two 2048×2048 outputs in well under half a second).
 */
export const DIFF_EDGE = 1024;

export interface PixelDiff {
  width: number;
  height: number;
  /** Pixels that differ beyond the threshold (anti-aliasing ignored). */
  differing: number;
  /** RGBA, width × height × 4: the differing pixels coloured, the rest transparent. */
  mask: Uint8ClampedArray;
}

export function diffPixels(
  a: Uint8ClampedArray,
  b: Uint8ClampedArray,
  width: number,
  height: number,
  threshold = 0.1,
): PixelDiff {
  if (a.length !== width * height * 4 || b.length !== a.length) throw new Error('The images are not the same size.');
  const mask = new Uint8ClampedArray(a.length);
  const differing = pixelmatch(a, b, mask, width, height, {
    threshold,
    diffMask: true,
    diffColor: BRIGHTER,
    diffColorAlt: DARKER,
  });
  return { width, height, differing, mask };
}

/** The size both images are compared at: the first one's, fit inside `edge`. */
export function diffSize(width: number, height: number, edge = DIFF_EDGE): { width: number; height: number } {
  const scale = Math.min(1, edge / Math.max(width, height, 1));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}
