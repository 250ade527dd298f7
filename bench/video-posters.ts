// Poster thumbnails for 100 short videos through the engine's path (ffprobe for the length, size
// and frame rate, then ffmpeg for a WebP poster 10% in; each a child process under time and memory
// limits, through the media limiter, written to a temp file renamed into the store) against the
// same two commands run directly on the same files (execFile, no limits, no wrapper), and against
// ffmpeg alone with the seek already known (no probe at all: less work than the engine does), at
// the same concurrency, in the same run. Goal: at most 2× the time for both. Rounds alternate; the
// best of each counts.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MEDIA_EDGE } from '../shared/contract';
import { makeMediaThumbnail, MEDIA_LIMITS, OutputStore } from '../electron/engine/store';
import { FFMPEG, FFPROBE, makeVideo } from '../tests/unit/store/media-files';
import { report } from './report';

const run = promisify(execFile);
const VIDEOS = 100;
const DISTINCT = 10;
const ROUNDS = 3;

export async function benchVideoPosters(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-posters-'));
  try {
    // 10 distinct clips (1–2.8 s, 320×240 to 608×456, H.264 and VP9, some with sound), each copied 10 times.
    const sources = Array.from({ length: DISTINCT }, (_, i) =>
      makeVideo(join(dir, `source-${i}.${i % 3 === 2 ? 'webm' : 'mp4'}`), {
        width: 320 + 32 * i,
        height: 240 + 24 * i,
        fps: 24,
        seconds: 1 + 0.2 * i,
        audio: i % 2 === 0,
      }),
    );
    mkdirSync(join(dir, 'videos'));
    const files = Array.from({ length: VIDEOS }, (_, i) => {
      const source = sources[i % DISTINCT]!;
      const copy = join(dir, 'videos', `video-${i}${source.slice(source.lastIndexOf('.'))}`);
      copyFileSync(source, copy);
      return copy;
    });
    const secondsOf = (i: number): number => 1 + 0.2 * (i % DISTINCT);

    const best = { engine: Infinity, direct: Infinity, ffmpegOnly: Infinity };
    let made = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const out = join(dir, `round-${round}`);
      mkdirSync(out);
      const store = new OutputStore(join(out, 'store'));
      const engineMs = await time(async () => {
        const results = await Promise.all(
          files.map((file, i) => makeMediaThumbnail(store, i.toString(16).padStart(64, '0'), file)),
        );
        made = results.filter((r) => r.ok && r.thumb.ok).length;
      });
      const directMs = await time(() =>
        pool(files, async (file, i) => {
          const { stdout } = await run(FFPROBE, [
            '-v',
            'error',
            '-print_format',
            'json',
            '-show_format',
            '-show_streams',
            file,
          ]);
          const duration = Number((JSON.parse(stdout) as { format: { duration: string } }).format.duration);
          await poster(file, duration, join(out, `direct-${i}.webp`));
        }),
      );
      const ffmpegOnlyMs = await time(() =>
        pool(files, (file, i) => poster(file, secondsOf(i), join(out, `only-${i}.webp`))),
      );
      best.engine = Math.min(best.engine, engineMs);
      best.direct = Math.min(best.direct, directMs);
      best.ffmpegOnly = Math.min(best.ffmpegOnly, ffmpegOnlyMs);
      rmSync(out, { recursive: true, force: true });
    }

    const ratio = best.engine / best.direct;
    report('video_posters_made', made, `of ${VIDEOS}`, `${VIDEOS}`, made === VIDEOS);
    report('video_poster_engine_per_video', best.engine / VIDEOS, 'ms', 'info', true);
    report('video_poster_direct_per_video', best.direct / VIDEOS, 'ms', 'info', true);
    report('video_posters_vs_direct', ratio, 'x', '<=2', ratio <= 2);
    const alone = best.engine / best.ffmpegOnly;
    report('video_posters_vs_ffmpeg_alone', alone, 'x', '<=2', alone <= 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function time(work: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

/** The engine's poster command by hand: 10% in, fit inside the thumbnail edge, WebP. */
async function poster(file: string, seconds: number, out: string): Promise<void> {
  const fit = `scale=w='min(${MEDIA_EDGE.thumb},iw)':h='min(${MEDIA_EDGE.thumb},ih)':force_original_aspect_ratio=decrease`;
  await run(FFMPEG, [
    ...['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', '-threads', '2'],
    ...['-ss', (seconds * 0.1).toFixed(3), '-i', file, '-an', '-sn', '-dn', '-frames:v', '1'],
    ...['-vf', fit, '-c:v', 'libwebp', '-quality', '80', '-f', 'webp', out],
  ]);
}

/** `work` over `items`, as many at once as the engine's media limiter allows. */
async function pool<T>(items: T[], work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: MEDIA_LIMITS.concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i]!, i);
      }
    }),
  );
}
