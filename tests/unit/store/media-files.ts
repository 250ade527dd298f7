// Small real videos and audio files for tests, made by the bundled ffmpeg as ComfyUI's savers make
// them: MP4 (H.264) and WebM (VP9) with `prompt` and `workflow` container tags, FLAC and WAV audio.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { bundledTool } from '../../../electron/engine/store';

function tool(name: 'ffmpeg' | 'ffprobe'): string {
  const path = bundledTool(name);
  if (path instanceof Error) throw path;
  return path;
}

export const FFMPEG = tool('ffmpeg');
export const FFPROBE = tool('ffprobe');

/** Runs the bundled ffmpeg (arguments as a list, no shell). */
export function ffmpeg(args: string[]): void {
  execFileSync(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args], { stdio: 'pipe' });
}

export interface VideoSpec {
  width?: number;
  height?: number;
  fps?: number;
  seconds?: number;
  /** A sine tone as an audio stream. */
  audio?: boolean;
  /** Tags as ComfyUI writes them (`-metadata key=value`; use_metadata_tags for MP4). */
  tags?: Record<string, string>;
  /** The first two frames fade in from black (a poster must not be the first frame). */
  fadeIn?: boolean;
  /** Rotation tag on the video stream (degrees), as phones write it. */
  rotate?: number;
}

/** A test-pattern video at `path`; MP4 (H.264) or WebM (VP9) by its extension. */
export function makeVideo(path: string, spec: VideoSpec = {}): string {
  const { width = 64, height = 64, fps = 24, seconds = 1, tags = {} } = spec;
  const webm = path.endsWith('.webm');
  const filter = `testsrc=size=${width}x${height}:rate=${fps}:duration=${seconds}${spec.fadeIn ? ',fade=in:0:2' : ''}`;
  const args = ['-f', 'lavfi', '-i', filter];
  if (spec.audio) args.push('-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`);
  for (const [key, value] of Object.entries(tags)) args.push('-metadata', `${key}=${value}`);
  args.push(...(webm ? ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8'] : ['-c:v', 'libx264']));
  args.push('-pix_fmt', 'yuv420p');
  if (spec.audio) args.push(...(webm ? ['-c:a', 'libopus'] : ['-c:a', 'aac']), '-shortest');
  if (!webm) args.push('-movflags', 'use_metadata_tags');
  if (spec.rotate === undefined) {
    ffmpeg([...args, path]);
  } else {
    // A rotation is kept only when the stream is copied (an encoder applies or drops it).
    const plain = `${path}.plain${webm ? '.webm' : '.mp4'}`;
    ffmpeg([...args, plain]);
    ffmpeg(['-i', plain, '-c', 'copy', '-metadata:s:v:0', `rotate=${spec.rotate}`, path]);
    rmSync(plain);
  }
  return path;
}

/** A sine tone at `path` (FLAC, WAV, MP3 by extension), with tags. */
export function makeAudio(path: string, seconds = 2, tags: Record<string, string> = {}): string {
  const args = ['-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`];
  for (const [key, value] of Object.entries(tags)) args.push('-metadata', `${key}=${value}`);
  ffmpeg([...args, path]);
  return path;
}

/**
 * Replaces the tag value `placeholder` in the MP4 at `path` with `value`, however long: a command
 * line takes at most 128 KiB in one argument (and ffmpeg's metadata files cut lines at 1 KiB), so
 * a hostile tag of many MiB is written here. Every box around the value grows by the difference;
 * the index (moov) is after the media data, so no chunk offset moves.
 */
export function replaceMp4Tag(path: string, placeholder: string, value: string): void {
  const file = readFileSync(path);
  const at = file.indexOf(placeholder);
  if (at < 0 || file.indexOf(placeholder, at + 1) >= 0) throw new Error('the placeholder must be there once');
  const replacement = Buffer.from(value, 'utf8');
  const delta = replacement.length - Buffer.byteLength(placeholder);
  const path_: number[] = [];
  let start = 0;
  let end = file.length;
  for (;;) {
    let box = start;
    while (box + 8 <= end && !(box <= at && at < box + file.readUInt32BE(box))) box += file.readUInt32BE(box);
    if (box + 8 > end) break;
    path_.push(box);
    const type = file.toString('latin1', box + 4, box + 8);
    if (type === 'data') break;
    end = box + file.readUInt32BE(box);
    start = box + (type === 'meta' ? 12 : 8); // meta is a full box: version and flags first
  }
  if (file.toString('latin1', path_.at(-1)! + 4, path_.at(-1)! + 8) !== 'data') throw new Error('no data box');
  for (const box of path_) file.writeUInt32BE(file.readUInt32BE(box) + delta, box);
  const end_ = at + Buffer.byteLength(placeholder);
  writeFileSync(path, Buffer.concat([file.subarray(0, at), replacement, file.subarray(end_)]));
}

/** What ffprobe says of a file's streams and format (for checking what was made). */
export function ffprobeJson(path: string): {
  streams: { codec_type: string; codec_name: string; width?: number; height?: number }[];
  format: { duration?: string; tags?: Record<string, string> };
} {
  const out = execFileSync(FFPROBE, ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', path], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(out.toString()) as ReturnType<typeof ffprobeJson>;
}
