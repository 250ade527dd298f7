// The difference view's comparison (run in a worker in the window): identical images differ
// nowhere, a changed square is counted exactly and drawn in the mask, the rest of the mask is
// transparent, and the comparison size is the first image's, bounded.
import { describe, expect, it } from 'vitest';
import { diffPixels, diffSize, DIFF_EDGE } from '../../../renderer/src/lib/pixel-diff';

function image(
  width: number,
  height: number,
  paint: (x: number, y: number) => [number, number, number],
): Uint8ClampedArray {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const [r, g, b] = paint(x, y);
      data.set([r, g, b, 255], (y * width + x) * 4);
    }
  return data;
}

describe('pixel difference', () => {
  const grey = image(32, 32, () => [128, 128, 128]);

  it('finds nothing between an image and itself', () => {
    const diff = diffPixels(grey, grey.slice(), 32, 32);
    expect(diff.differing).toBe(0);
    expect(diff.mask.every((v) => v === 0)).toBe(true);
  });

  it('counts a changed square and draws only it', () => {
    const square = image(32, 32, (x, y) => (x >= 8 && x < 16 && y >= 8 && y < 16 ? [250, 250, 250] : [128, 128, 128]));
    const diff = diffPixels(grey, square, 32, 32);
    expect(diff.differing).toBe(64);
    const at = (x: number, y: number) => [...diff.mask.slice((y * 32 + x) * 4, (y * 32 + x) * 4 + 4)];
    expect(at(10, 10)[3]).toBe(255);
    expect(at(10, 10)).toEqual([255, 40, 120, 255]); // lighter in the second
    expect(at(0, 0)[3]).toBe(0);
    // Darker in the second: the other colour.
    expect([...diffPixels(square, grey, 32, 32).mask.slice((10 * 32 + 10) * 4, (10 * 32 + 10) * 4 + 4)]).toEqual([
      0, 190, 255, 255,
    ]);
  });

  it('refuses images of other sizes', () => {
    expect(() =>
      diffPixels(
        grey,
        image(16, 16, () => [0, 0, 0]),
        32,
        32,
      ),
    ).toThrow(/not the same size/);
  });

  it("compares at the first image's size, never above the bound", () => {
    expect(diffSize(512, 256)).toEqual({ width: 512, height: 256 });
    expect(diffSize(8192, 4096)).toEqual({ width: DIFF_EDGE, height: DIFF_EDGE / 2 });
    expect(diffSize(0, 0)).toEqual({ width: 1, height: 1 });
  });
});
