// HTTP range requests for stored media (video seeking, large files), one reading of the Range
// header for the headless host's /media/ route and Electron's desk-media:// protocol alike.
import type { MediaFile } from './store';

export type MediaAnswer =
  | { status: 200 | 206; headers: Record<string, string>; start: number; end: number }
  | { status: 416; headers: Record<string, string> };

/**
 * What to answer for `file` given the request's Range header: the whole file (200), one range
 * (206, a single `bytes=a-b`, `a-` or `-n`), or 416 for a range outside the file. Several ranges
 * or a malformed header are answered with the whole file, as the HTTP spec allows.
 */
export function answerMedia(file: MediaFile, range: string | null | undefined): MediaAnswer {
  const common = {
    'Content-Type': file.mime,
    'Accept-Ranges': 'bytes',
    'Cache-Control': 'private, max-age=31536000, immutable',
  };
  const whole: MediaAnswer = {
    status: 200,
    headers: { ...common, 'Content-Length': String(file.size) },
    start: 0,
    end: file.size - 1,
  };
  const m = /^bytes=(\d*)-(\d*)$/.exec((range ?? '').trim());
  if (!m || (m[1] === '' && m[2] === '')) return whole;
  let start: number;
  let end: number;
  if (m[1] === '') {
    // The last n bytes.
    const n = Number(m[2]);
    if (n === 0) return { status: 416, headers: { ...common, 'Content-Range': `bytes */${file.size}` } };
    start = Math.max(0, file.size - n);
    end = file.size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? file.size - 1 : Math.min(Number(m[2]), file.size - 1);
  }
  if (!Number.isSafeInteger(start) || start >= file.size || end < start) {
    return { status: 416, headers: { ...common, 'Content-Range': `bytes */${file.size}` } };
  }
  return {
    status: 206,
    headers: {
      ...common,
      'Content-Length': String(end - start + 1),
      'Content-Range': `bytes ${start}-${end}/${file.size}`,
    },
    start,
    end,
  };
}
