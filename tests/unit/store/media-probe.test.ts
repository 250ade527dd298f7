// Video and audio through the bundled ffprobe and ffmpeg, on real files made in the test: what a
// file is (kind, length, size, frame rate, codec, tags), its poster, hover preview and waveform
// where thumbnails live, and what a broken, hostile or stuck file gives: a reason, never a throw or
// a hang.
import { chmodSync, copyFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  makeMediaThumbnail,
  makePoster,
  makePreview,
  makeWaveform,
  OutputStore,
  probeMedia,
  runTool,
  MEDIA_LIMITS,
  type MediaProbe,
} from '../../../electron/engine/store';
import { MEDIA_EDGE } from '../../../shared/contract';
import { useTempDirs } from '../engine/tmp';
import { ffprobeJson, makeAudio, makeVideo } from './media-files';

const tempDir = useTempDirs();
const posix = process.platform !== 'win32';
const HASH = (c: string): string => c.repeat(64);

// Made once for the file (the temp folders of useTempDirs are per test).
let media: string;
beforeAll(async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  media = mkdtempSync(join(tmpdir(), 'comfy-desk-media-'));
  makeVideo(join(media, 'clip.mp4'), { audio: true, tags: { prompt: '{"3":{"class_type":"KSampler","inputs":{}}}' } });
  makeVideo(join(media, 'clip.webm'), { width: 64, height: 48, fps: 10 });
  makeVideo(join(media, 'wide.mp4'), { width: 800, height: 400, fps: 12, seconds: 4 });
  makeVideo(join(media, 'fade.mp4'), { fps: 10, seconds: 2, fadeIn: true });
  makeVideo(join(media, 'rotated.mp4'), { width: 64, height: 32, rotate: 90 });
  makeAudio(join(media, 'tone.flac'));
  makeAudio(join(media, 'tone.wav'), 1);
  return () => rmSync(media, { recursive: true, force: true });
}, 60_000);

const probeOf = async (path: string): Promise<MediaProbe> => {
  const probe = await probeMedia(path);
  if (!probe.ok) throw new Error(probe.reason);
  return probe;
};

describe('probeMedia', () => {
  it('an MP4 with sound: kind, length, size, frame rate, codec, tags', async () => {
    const probe = await probeOf(join(media, 'clip.mp4'));
    expect(probe).toMatchObject({ kind: 'video', width: 64, height: 64, fps: 24, codec: 'h264', hasAudio: true });
    expect(probe.durationMs).toBeGreaterThanOrEqual(990);
    expect(probe.durationMs).toBeLessThanOrEqual(1100);
    expect(probe.tags.prompt).toBe('{"3":{"class_type":"KSampler","inputs":{}}}');
    expect(probe.format).toBe('mov');
  });

  it('a silent VP9 WebM, a rotated phone video (sides as displayed), FLAC and WAV audio', async () => {
    expect(await probeOf(join(media, 'clip.webm'))).toMatchObject({
      kind: 'video',
      width: 64,
      height: 48,
      fps: 10,
      codec: 'vp9',
      hasAudio: false,
      durationMs: 1000,
      format: 'matroska',
    });
    expect(await probeOf(join(media, 'rotated.mp4'))).toMatchObject({ width: 32, height: 64 });
    const flac = await probeOf(join(media, 'tone.flac'));
    expect(flac).toMatchObject({ kind: 'audio', width: null, height: null, fps: null, codec: 'flac', hasAudio: true });
    expect(flac.durationMs).toBe(2000);
    expect(await probeOf(join(media, 'tone.wav'))).toMatchObject({ kind: 'audio', durationMs: 1000 });
  });

  it('garbage, a cut-off MP4, a missing file and a text file give reasons, not exceptions', async () => {
    const dir = tempDir();
    const whole = readFileSync(join(media, 'wide.mp4'));
    const garbage = join(dir, 'garbage.mp4');
    // "ftyp" at 4: the store takes it for an MP4, ffprobe finds nothing in it.
    writeFileSync(garbage, Buffer.concat([Buffer.from('\0\0\0\x18ftypisom'), Buffer.alloc(5000, 0x5a)]));
    const cut = join(dir, 'cut.mp4');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2))); // the index (moov) is at the end
    const text = join(dir, 'page.mp4');
    writeFileSync(text, '<html>error</html>');
    for (const path of [garbage, cut, text, join(dir, 'missing.mp4')]) {
      const probe = await probeMedia(path);
      expect(probe.ok, path).toBe(false);
      if (!probe.ok) expect(probe.reason.length).toBeGreaterThan(5);
    }
    expect(await probeMedia(text)).toEqual({ ok: false, reason: expect.stringMatching(/not a video or audio/) });
    // Posters of them: reasons too, and nothing left in the store's temp folder.
    const store = new OutputStore(join(dir, 'store'));
    expect(await makePoster(store, HASH('a'), garbage)).toMatchObject({ ok: false });
    expect(await makeWaveform(store, HASH('b'), cut)).toMatchObject({ ok: false });
    expect(await makePreview(store, HASH('c'), text)).toMatchObject({ ok: false });
    expect(existsSync(store.thumbPathOf(HASH('a')))).toBe(false);
  });

  it('file names from servers are only ever arguments: quotes, $(…), a leading dash, a protocol name', async () => {
    const dir = tempDir();
    const names = ['$(touch pwned).mp4', 'it\'s "quoted"; rm -rf x.mp4', '-i.mp4', 'concat:a|b.mp4', 'über 🎞.mp4'];
    for (const name of names) {
      const path = join(dir, name);
      copyFileSync(join(media, 'clip.webm'), path);
      expect(await probeOf(path), name).toMatchObject({ kind: 'video', width: 64 });
    }
    expect(readdirSync(dir).sort()).toEqual([...names].sort());
    expect(existsSync(join(process.cwd(), 'pwned'))).toBe(false);
  });
});

describe('posters, previews and waveforms', () => {
  it('a poster is a WebP at the thumbnail path: never enlarged, long edge at most the thumbnail edge', async () => {
    const store = new OutputStore(join(tempDir(), 'store'));
    expect(await makePoster(store, HASH('1'), join(media, 'clip.mp4'))).toEqual({ ok: true });
    expect(await makePoster(store, HASH('2'), join(media, 'wide.mp4'))).toEqual({ ok: true });
    const small = await sharp(store.thumbPathOf(HASH('1'))).metadata();
    expect(small).toMatchObject({ format: 'webp', width: 64, height: 64 });
    const wide = await sharp(store.thumbPathOf(HASH('2'))).metadata();
    expect(wide).toMatchObject({ format: 'webp', width: MEDIA_EDGE.thumb, height: MEDIA_EDGE.thumb / 2 });
    // It decodes to pixels, and the store's media route serves it like an image's thumbnail.
    expect(
      (
        await sharp(store.thumbPathOf(HASH('2')))
          .raw()
          .toBuffer()
      ).length,
    ).toBeGreaterThan(0);
    expect(await store.media(HASH('2'), 'thumb')).toMatchObject({ mime: 'image/webp' });
    expect(readdirSync(store.tmpDir)).toEqual([]); // written through a temp file, renamed
  });

  it('the poster is taken 10% in, not from a first frame that is black', async () => {
    const store = new OutputStore(join(tempDir(), 'store'));
    expect(await makePoster(store, HASH('3'), join(media, 'fade.mp4'))).toEqual({ ok: true });
    const stats = await sharp(store.thumbPathOf(HASH('3'))).stats();
    const mean = stats.channels.slice(0, 3).reduce((sum, c) => sum + c.mean, 0) / 3;
    expect(mean).toBeGreaterThan(60);
    // Where a video does not say how long it is, the first frame: black here.
    const first = await probeOf(join(media, 'fade.mp4'));
    await makePoster(store, HASH('4'), join(media, 'fade.mp4'), { probe: { ...first, durationMs: null } });
    const dark = await sharp(store.thumbPathOf(HASH('4'))).stats();
    expect(dark.channels.slice(0, 3).every((c) => c.mean < 5)).toBe(true);
  });

  it('a preview is a short, small, silent H.264 MP4 without the tags, served as the preview variant', async () => {
    const store = new OutputStore(join(tempDir(), 'store'));
    const made = await makePreview(store, HASH('4'), join(media, 'wide.mp4'));
    expect(made).toEqual({ ok: true, mime: 'video/mp4' });
    const path = store.previewPathOf(HASH('4'));
    const info = ffprobeJson(path);
    expect(info.streams.map((s) => s.codec_type)).toEqual(['video']);
    expect(info.streams[0]).toMatchObject({ codec_name: 'h264', width: 320, height: 160 });
    expect(Number(info.format.duration)).toBeLessThanOrEqual(3.1);
    expect(info.format.tags?.prompt).toBeUndefined();
    expect(await store.media(HASH('4'), 'preview')).toMatchObject({ path, mime: 'video/mp4' });
    // One with sound and tags: silent, tags gone.
    await makePreview(store, HASH('5'), join(media, 'clip.mp4'));
    const second = ffprobeJson(store.previewPathOf(HASH('5')));
    expect(second.streams.map((s) => s.codec_type)).toEqual(['video']);
    expect(second.format.tags?.prompt).toBeUndefined();
  });

  it('audio gets a waveform picture as its thumbnail; a video asked for a waveform says why not', async () => {
    const store = new OutputStore(join(tempDir(), 'store'));
    expect(await makeWaveform(store, HASH('6'), join(media, 'tone.flac'))).toEqual({ ok: true });
    const meta = await sharp(store.thumbPathOf(HASH('6'))).metadata();
    expect(meta).toMatchObject({ format: 'webp', width: 384, height: 192 });
    const { channels } = await sharp(store.thumbPathOf(HASH('6'))).stats();
    expect(channels[3]!.max).toBe(255); // something is drawn on the transparent background
    expect(await makeWaveform(store, HASH('7'), join(media, 'clip.webm'))).toEqual({
      ok: false,
      reason: 'the file is video, not audio',
    });
  });

  it('makeMediaThumbnail: one probe, then a poster for a video or a waveform for audio', async () => {
    const store = new OutputStore(join(tempDir(), 'store'));
    const video = await makeMediaThumbnail(store, HASH('8'), join(media, 'clip.webm'));
    expect(video).toMatchObject({ ok: true, probe: { kind: 'video', fps: 10 }, thumb: { ok: true } });
    const audio = await makeMediaThumbnail(store, HASH('9'), join(media, 'tone.wav'));
    expect(audio).toMatchObject({ ok: true, probe: { kind: 'audio', durationMs: 1000 }, thumb: { ok: true } });
    expect(existsSync(store.thumbPathOf(HASH('8')))).toBe(true);
    expect(existsSync(store.thumbPathOf(HASH('9')))).toBe(true);
  });
});

describe('limits', () => {
  it.skipIf(!posix)('a stuck tool is killed at its time limit, with whatever it started', async () => {
    const dir = tempDir();
    const slow = join(dir, 'slow-ffprobe');
    // Not exec: the sleep is a grandchild, killed with its process group.
    writeFileSync(slow, '#!/bin/sh\nsleep 30\necho done\n');
    chmodSync(slow, 0o755);
    const started = Date.now();
    const probe = await probeMedia(join(media, 'clip.mp4'), { ffprobe: slow, timeoutMs: 300 });
    expect(probe).toEqual({ ok: false, reason: 'slow-ffprobe took longer than 300 ms and was stopped' });
    expect(Date.now() - started).toBeLessThan(5000);
    const store = new OutputStore(join(dir, 'store'));
    const poster = await makePoster(store, HASH('a'), join(media, 'clip.mp4'), { ffmpeg: slow, timeoutMs: 300 });
    expect(poster).toEqual({ ok: false, reason: expect.stringMatching(/longer than 300 ms/) });
    expect(readdirSync(store.tmpDir)).toEqual([]);
  });

  it.skipIf(process.platform !== 'linux')('a tool over its memory limit fails with a reason', async () => {
    const probe = await probeMedia(join(media, 'clip.mp4'), { memoryBytes: 16 * 1024 * 1024 });
    expect(probe).toEqual({ ok: false, reason: expect.stringMatching(/memory/) });
    const store = new OutputStore(join(tempDir(), 'store'));
    const probed = await probeOf(join(media, 'clip.mp4'));
    const poster = await makePoster(store, HASH('b'), join(media, 'clip.mp4'), {
      probe: probed,
      memoryBytes: 24 * 1024 * 1024,
    });
    expect(poster).toMatchObject({ ok: false });
  });

  it.skipIf(!posix)('output past its bound kills the tool; a binary that is not there is a reason', async () => {
    const yes = await runTool('/bin/sh', ['-c', 'while :; do echo yyyyyyyyyyyyyyyy; done'], {
      ...MEDIA_LIMITS.probe,
      maxOutputBytes: 64 * 1024,
    });
    expect(yes).toEqual({ ok: false, reason: 'sh printed more than 64 KiB' });
    const missing = await probeMedia(join(media, 'clip.mp4'), { ffprobe: join(tempDir(), 'no-such-ffprobe') });
    expect(missing).toMatchObject({ ok: false, reason: expect.stringMatching(/no-such-ffprobe/) });
  });

  it('the time limit grows with the length of the media, to a cap', () => {
    expect(MEDIA_LIMITS.timeFor('poster', null)).toBe(20_000);
    expect(MEDIA_LIMITS.timeFor('poster', 600_000)).toBe(20_000 + 600 * 50);
    expect(MEDIA_LIMITS.timeFor('waveform', 3_600_000)).toBe(300_000);
  });
});
