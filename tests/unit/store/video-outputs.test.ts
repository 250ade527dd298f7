// Video and audio outputs through a real engine: a job on the fake cloud whose output is an MP4 (or
// FLAC, or a broken "MP4") is downloaded, verified and stored with its size, length, frame rate and
// a poster (or waveform); the hover preview is made the first time it is asked for. A folder of
// ComfyUI videos imports with the workflows inside them.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../../electron/engine/engine';
import { importFolder } from '../../../electron/engine/import-folder';
import type { OutputItem } from '../../../shared/jobs';
import { startFakeCloud, type FakeCloud } from '../../fake-cloud/index';
import { useTempDirs } from '../engine/tmp';
import { basicWorkflow, openEngine, waitFor } from '../jobs/cloud-harness';
import { ffprobeJson, makeAudio, makeVideo } from './media-files';

const tempDir = useTempDirs();
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const prompt = basicWorkflow();
const workflow = { last_node_id: 9, nodes: [{ id: 3, type: 'KSampler' }], links: [] };
const tags = { prompt: JSON.stringify(prompt), workflow: JSON.stringify(workflow) };

let media: string;
beforeAll(() => {
  media = mkdtempSync(join(tmpdir(), 'comfy-desk-video-out-'));
  makeVideo(join(media, 'clip.mp4'), { width: 96, height: 64, fps: 24, seconds: 1, audio: true, tags });
  makeVideo(join(media, 'clip.webm'), { width: 64, height: 48, fps: 10, seconds: 1, tags });
  makeAudio(join(media, 'tone.flac'), 2, tags);
  writeFileSync(join(media, 'broken.mp4'), Buffer.concat([Buffer.from('\0\0\0\x18ftypisom'), Buffer.alloc(8192, 3)]));
}, 60_000);
afterAll(() => rmSync(media, { recursive: true, force: true }));

async function setup(): Promise<{ cloud: FakeCloud; engine: Engine }> {
  const cloud = await startFakeCloud({ stepMs: 2, steps: 2 });
  cleanup.push(() => cloud.close());
  const engine = await openEngine(tempDir(), cloud);
  cleanup.push(() => engine.close());
  return { cloud, engine };
}

/** Runs one job whose outputs are `file`'s bytes under its extension; resolves with them stored. */
async function runWithOutput(cloud: FakeCloud, engine: Engine, file: string): Promise<OutputItem[]> {
  cloud.outputFile({ bytes: readFileSync(join(media, file)), ext: file.split('.').pop()! });
  const [job] = await engine.handlers['jobs.submit']({ workflow: basicWorkflow(), name: 'video', count: 1 });
  const outputs = await waitFor(() => {
    const list = engine.jobs.journal.outputs(job!.id);
    return list.length > 0 && list.every((o) => o.state === 'stored' || o.state === 'failed') ? list : null;
  }, `${file} stored`);
  await engine.jobs.settled();
  return engine.jobs.journal.outputs(outputs[0]!.jobId);
}

describe('video and audio outputs from a server', () => {
  it('an MP4 is stored with its size, length, frame rate and a poster; the preview is made when asked', async () => {
    const { cloud, engine } = await setup();
    const [output] = await runWithOutput(cloud, engine, 'clip.mp4');
    expect(output).toMatchObject({
      state: 'stored',
      kind: 'video',
      mime: 'video/mp4',
      width: 96,
      height: 64,
      fps: 24,
      hasThumb: true,
    });
    expect(output!.durationMs).toBeGreaterThanOrEqual(990);
    expect(output!.durationMs).toBeLessThanOrEqual(1100);
    // The poster is where an image's thumbnail is, and decodes.
    const thumb = await engine.media(output!.hash!, 'thumb');
    expect(thumb).toMatchObject({ mime: 'image/webp' });
    expect(await sharp(thumb!.path).metadata()).toMatchObject({ format: 'webp', width: 96, height: 64 });
    // The gallery sees the same.
    const [tile] = engine.parts.gallery.page({}).items;
    expect(tile).toMatchObject({ kind: 'video', durationMs: output!.durationMs, fps: 24 });
    // No preview until one is asked for; then a small silent H.264 clip, the same one after.
    expect(await engine.jobs.media(output!.hash!, 'preview')).toBeNull();
    const preview = await engine.media(output!.hash!, 'preview');
    expect(preview).toMatchObject({ mime: 'video/mp4', path: engine.jobs.store.previewPathOf(output!.hash!) });
    expect(ffprobeJson(preview!.path).streams.map((s) => s.codec_type)).toEqual(['video']);
    expect(await engine.media(output!.hash!, 'preview')).toEqual(preview);
    // The full file is served as it came, for the player (ranges: media-range.ts).
    expect(await engine.media(output!.hash!, 'full')).toMatchObject({ mime: 'video/mp4' });
  });

  it('a FLAC output gets a waveform as its thumbnail and its length; no preview', async () => {
    const { cloud, engine } = await setup();
    const [output] = await runWithOutput(cloud, engine, 'tone.flac');
    expect(output).toMatchObject({
      state: 'stored',
      kind: 'audio',
      mime: 'audio/flac',
      durationMs: 2000,
      fps: null,
      width: null,
      height: null,
      hasThumb: true,
    });
    const thumb = await engine.media(output!.hash!, 'thumb');
    expect(await sharp(thumb!.path).metadata()).toMatchObject({ format: 'webp', width: 384, height: 192 });
    expect(await engine.media(output!.hash!, 'preview')).toBeNull();
  });

  it('a "video" ffmpeg cannot read is kept as the server sent it, without a poster or a length', async () => {
    const { cloud, engine } = await setup();
    const [output] = await runWithOutput(cloud, engine, 'broken.mp4');
    expect(output).toMatchObject({
      state: 'stored',
      mime: 'video/mp4',
      hasThumb: false,
      durationMs: null,
      fps: null,
      width: null,
    });
    expect(await engine.media(output!.hash!, 'thumb')).toBeNull();
    expect(await engine.media(output!.hash!, 'preview')).toBeNull();
  });
});

describe('folder import of videos', () => {
  it('brings videos and audio with the workflows inside them; a broken video is listed with its reason', async () => {
    const { engine } = await setup();
    const folder = join(tempDir(), 'ComfyUI-output');
    mkdirSync(join(folder, 'video'), { recursive: true });
    copyFileSync(join(media, 'clip.mp4'), join(folder, 'video', 'ComfyUI_00001_.mp4'));
    copyFileSync(join(media, 'clip.webm'), join(folder, 'video', 'ComfyUI_00002_.webm'));
    copyFileSync(join(media, 'tone.flac'), join(folder, 'ComfyUI_00003_.flac'));
    copyFileSync(join(media, 'broken.mp4'), join(folder, 'broken.mp4'));
    const deps = {
      journal: engine.jobs.journal,
      store: engine.jobs.store,
      uiWorkflows: engine.parts.uiWorkflows,
      profileId: 'cloud',
    };
    const summary = await importFolder(folder, deps);
    expect(summary.added).toBe(3);
    expect(summary.unreadable).toEqual([{ file: 'broken.mp4', reason: expect.stringMatching(/ffprobe/) }]);
    const items = engine.parts.gallery.page({}).items;
    const byName = new Map(items.map((i) => [i.filename, i]));
    expect(byName.get(join('video', 'ComfyUI_00001_.mp4'))).toMatchObject({
      kind: 'video',
      width: 96,
      height: 64,
      fps: 24,
      hasThumb: true,
    });
    expect(byName.get(join('video', 'ComfyUI_00002_.webm'))).toMatchObject({ kind: 'video', fps: 10, hasThumb: true });
    expect(byName.get('ComfyUI_00003_.flac')).toMatchObject({ kind: 'audio', durationMs: 2000, hasThumb: true });
    // Each job's prompt is the one in the file's tags (the WebM's keys are upper case), searchable.
    for (const item of items) expect(engine.jobs.journal.get(item.jobId)!.prompt).toEqual(prompt);
    expect(engine.parts.gallery.count({ search: 'KSampler' })).toBe(3);
    expect(await importFolder(folder, deps)).toMatchObject({ added: 0, known: 3 });
  });

  it('in place: the poster and the preview are made from the file where it is', async () => {
    const { engine } = await setup();
    const folder = join(tempDir(), 'kept');
    mkdirSync(folder);
    copyFileSync(join(media, 'clip.mp4'), join(folder, 'clip.mp4'));
    const deps = {
      journal: engine.jobs.journal,
      store: engine.jobs.store,
      uiWorkflows: engine.parts.uiWorkflows,
      profileId: 'cloud',
    };
    expect(await importFolder(folder, deps, undefined, 'reference')).toMatchObject({ added: 1 });
    const [item] = engine.parts.gallery.page({}).items;
    expect(await engine.jobs.store.has(item!.hash!)).toBe(false); // not copied
    expect(item).toMatchObject({ kind: 'video', hasThumb: true, fps: 24 });
    expect(await engine.media(item!.hash!, 'full')).toMatchObject({ path: join(folder, 'clip.mp4') });
    expect(await engine.media(item!.hash!, 'preview')).toMatchObject({ mime: 'video/mp4' });
  });
});
