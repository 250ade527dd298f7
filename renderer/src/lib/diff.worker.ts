// The difference view's work, off the window's thread: both images read and decoded, the second
// scaled to the first's size, compared with pixelmatch; the mask comes back as a transferred buffer.
import { diffPixels, diffSize, DIFF_EDGE } from './pixel-diff';

export interface DiffRequest {
  id: number;
  /** Media URLs (same origin), the first one's size is the comparison's. */
  a: string;
  b: string;
  threshold?: number;
}

export type DiffAnswer =
  | { id: number; ok: true; width: number; height: number; differing: number; mask: ArrayBuffer; scaled: boolean }
  | { id: number; ok: false; error: string };

interface WorkerScope {
  onmessage: ((event: MessageEvent<DiffRequest>) => void) | null;
  postMessage(message: DiffAnswer, transfer?: Transferable[]): void;
}

const scope = self as unknown as WorkerScope;

async function bitmapOf(url: string): Promise<ImageBitmap> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`An image could not be read (${response.status}).`);
  return createImageBitmap(await response.blob());
}

function pixelsOf(bitmap: ImageBitmap, width: number, height: number): Uint8ClampedArray {
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) throw new Error('No canvas to compare on.');
  context.drawImage(bitmap, 0, 0, width, height);
  return context.getImageData(0, 0, width, height).data;
}

scope.onmessage = async (event) => {
  const { id, a, b, threshold } = event.data;
  try {
    const [first, second] = await Promise.all([bitmapOf(a), bitmapOf(b)]);
    const { width, height } = diffSize(first.width, first.height, DIFF_EDGE);
    const diff = diffPixels(pixelsOf(first, width, height), pixelsOf(second, width, height), width, height, threshold);
    const scaled = first.width !== second.width || first.height !== second.height;
    first.close();
    second.close();
    const mask = diff.mask.buffer as ArrayBuffer;
    scope.postMessage({ id, ok: true, width, height, differing: diff.differing, mask, scaled }, [mask]);
  } catch (err) {
    scope.postMessage({ id, ok: false, error: err instanceof Error ? err.message : String(err) });
  }
};
