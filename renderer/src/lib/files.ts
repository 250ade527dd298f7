// Reading a dropped or picked file for the contract, which carries bytes as base64, and the small
// copies of images the window keeps with an open workflow.
export function fileToDataUrl(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(new Error('The file could not be read.'));
    reader.readAsDataURL(file);
  });
}

export async function fileToBase64(file: Blob): Promise<string> {
  return (await fileToDataUrl(file)).split(',')[1] ?? '';
}

/** An image from a Blob or a URL (same origin, data: or the media route), decoded for a canvas. */
export async function loadImage(source: Blob | string): Promise<ImageBitmap> {
  if (typeof source !== 'string') return createImageBitmap(source);
  // An <img> rather than fetch: the window's policy lets images, not requests, reach the media scheme.
  const img = new Image();
  img.src = source;
  await img.decode();
  return createImageBitmap(img);
}

/**
 * A copy of an image no larger than `maxEdge` on its long side, as a data: URL. WebP keeps
 * transparency (a painted mask) and stays small enough to keep in a draft.
 */
export async function smallCopy(
  image: ImageBitmap | OffscreenCanvas,
  maxEdge: number,
  type: 'image/webp' | 'image/png' = 'image/webp',
): Promise<string> {
  const scale = Math.min(1, maxEdge / Math.max(image.width, image.height));
  const canvas = new OffscreenCanvas(
    Math.max(1, Math.round(image.width * scale)),
    Math.max(1, Math.round(image.height * scale)),
  );
  const c = canvas.getContext('2d')!;
  c.imageSmoothingQuality = 'high';
  c.drawImage(image, 0, 0, canvas.width, canvas.height);
  return fileToDataUrl(await canvas.convertToBlob({ type, quality: 0.8 }));
}
