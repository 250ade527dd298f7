// Uploads (limits, dedup, masks with original_ref) against the fake cloud, and folder import.
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { mkdirSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { importFolder } from '../../../electron/engine/import-folder';
import { checkUploadable, CLOUD_LIMITS } from '../../../electron/engine/uploads';
import { startFakeCloud } from '../../fake-cloud/index';
import { makePng } from '../../fake-cloud/png';
import { useTempDirs } from '../engine/tmp';
import { openEngine } from '../jobs/cloud-harness';
import { FIXTURES } from '../jobs/journal-helpers';

const tempDir = useTempDirs();
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const png = readFileSync(join(FIXTURES, 'comfyui-png', 'controlnet__input_scribble_example.png'));

describe('upload checks', () => {
  it('refuses empty, foreign, truncated, too large and too many pixels, with a reason', () => {
    expect(() => checkUploadable(new Uint8Array(), 'a.png', CLOUD_LIMITS)).toThrow(/empty/);
    expect(() => checkUploadable(Buffer.from('hello world, not an image'), 'a.txt', CLOUD_LIMITS)).toThrow(
      /not a PNG, JPEG or WebP/,
    );
    expect(() => checkUploadable(png.subarray(0, png.length - 30), 'cut.png', CLOUD_LIMITS)).toThrow(
      /damaged or cut short/,
    );
    expect(() => checkUploadable(png, 'big.png', { ...CLOUD_LIMITS, maxBytes: 1000 })).toThrow(
      /at most 0 MB|MB; the server takes/,
    );
    const huge = makePng(20000, 1, 1);
    expect(() => checkUploadable(huge, 'wide.png', CLOUD_LIMITS)).toThrow(/20000×1; the server takes at most 16384 px/);
    expect(checkUploadable(png, 'ok.png', CLOUD_LIMITS)).toEqual({ mime: 'image/png', width: 512, height: 512 });
  });
});

describe('uploads against the fake cloud', () => {
  it('uploads once per content hash, then reuses; a mask carries its original_ref', async () => {
    const cloud = await startFakeCloud();
    cleanup.push(() => cloud.close());
    const engine = await openEngine(tempDir(), cloud);
    cleanup.push(() => engine.close());
    const data = png.toString('base64');
    const progress: { sent: number; total: number }[] = [];
    engine.on('upload.progress', (p) => void progress.push(p));
    const first = await engine.handlers['uploads.image']({ name: 'scribble.png', data, kind: 'image' });
    expect(first.reused).toBe(false);
    // The body went up in pieces, and the last report says all of it.
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toEqual({ name: 'scribble.png', sent: png.length, total: png.length });
    expect(first.name).toMatch(/^[a-f0-9]{64}\.png$/); // Cloud names uploads by content
    const again = await engine.handlers['uploads.image']({ name: 'renamed.png', data, kind: 'image' });
    expect(again).toEqual({ ...first, reused: true });
    expect(cloud.requests.filter((r) => r.url.endsWith('/upload/image'))).toHaveLength(1);

    const mask = makePng(512, 512, 9);
    const maskRef = await engine.handlers['uploads.image']({
      name: 'mask.png',
      data: mask.toString('base64'),
      kind: 'mask',
      original: { name: first.name, subfolder: first.subfolder, type: first.type },
    });
    expect(maskRef.reused).toBe(false);
    expect(cloud.requests.filter((r) => r.url.endsWith('/upload/mask'))).toHaveLength(1);
    // The uploaded name is now a valid LoadImage value on that server.
    const wf = {
      '1': { class_type: 'LoadImage', inputs: { image: first.name } },
      '2': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } },
    };
    const [job] = await engine.handlers['jobs.submit']({ workflow: wf, name: 'uses upload' });
    const { waitFor } = await import('../jobs/cloud-harness');
    const done = await waitFor(
      () =>
        ['completed', 'failed'].includes(engine.jobs.journal.get(job!.id)!.state)
          ? engine.jobs.journal.get(job!.id)
          : null,
      'job',
    );
    expect(done.state).toBe('completed');

    await expect(
      engine.handlers['uploads.image']({ name: 'x.png', data: Buffer.from('nope').toString('base64'), kind: 'image' }),
    ).rejects.toThrow(/not a PNG/);
  });
});

describe('folder import', () => {
  it('adds images with their prompts, skips what it knows, lists what it cannot read', async () => {
    const cloud = await startFakeCloud();
    cleanup.push(() => cloud.close());
    const engine = await openEngine(tempDir(), cloud);
    cleanup.push(() => engine.close());
    const folder = join(tempDir(), 'ComfyUI-output');
    mkdirSync(join(folder, 'sub'), { recursive: true });
    copyFileSync(join(FIXTURES, 'comfyui-png', 'sdxl__sdxl_simple_example.png'), join(folder, 'a.png'));
    copyFileSync(join(FIXTURES, 'comfyui-png', 'wan__text_to_video_wan.webp'), join(folder, 'sub', 'b.webp'));
    writeFileSync(join(folder, 'broken.png'), png.subarray(0, 40));
    writeFileSync(join(folder, 'notes.txt'), 'ignored');
    const deps = {
      journal: engine.jobs.journal,
      store: engine.jobs.store,
      uiWorkflows: engine.parts.uiWorkflows,
      profileId: 'cloud',
    };
    const progress: number[] = [];
    const first = await importFolder(folder, deps, (done) => progress.push(done));
    expect(first.added).toBe(2);
    expect(first.unreadable.map((u) => u.file)).toEqual(['broken.png']);
    expect(progress).toEqual([1, 2, 3]);
    expect(engine.parts.gallery.count({})).toBe(2);
    expect(engine.parts.gallery.count({ search: 'KSamplerAdvanced' })).toBe(1);
    const again = await importFolder(folder, deps);
    expect(again).toMatchObject({ added: 0, known: 2 });
  });

  it('in place: files stay where they are, served and thumbnailed from there, nothing copied', async () => {
    const cloud = await startFakeCloud();
    cleanup.push(() => cloud.close());
    const engine = await openEngine(tempDir(), cloud);
    cleanup.push(() => engine.close());
    const folder = join(tempDir(), 'kept');
    mkdirSync(folder);
    copyFileSync(join(FIXTURES, 'comfyui-png', 'flux__flux_dev_example.png'), join(folder, 'flux.png'));
    const deps = {
      journal: engine.jobs.journal,
      store: engine.jobs.store,
      uiWorkflows: engine.parts.uiWorkflows,
      profileId: 'cloud',
    };
    const summary = await importFolder(folder, deps, undefined, 'reference');
    expect(summary.added).toBe(1);
    const [item] = engine.parts.gallery.page({}).items;
    expect(engine.jobs.store.pathOf(item!.hash!)).not.toBe(join(folder, 'flux.png'));
    expect(await engine.jobs.store.has(item!.hash!)).toBe(false); // not copied
    expect(item!.hasThumb).toBe(true);
    expect(await engine.media(item!.hash!, 'full')).toMatchObject({
      path: join(folder, 'flux.png'),
      mime: 'image/png',
    });
    expect((await engine.media(item!.hash!, 'thumb'))?.mime).toBe('image/webp');
    // The large variant is made on first use, sharper than the grid's (the source is 1024 px wide).
    const large = await engine.media(item!.hash!, 'large');
    expect(large?.path).toMatch(/@large\.webp$/);
    expect((await sharp(large!.path).metadata()).width).toBe(1024);
    expect((await sharp((await engine.media(item!.hash!, 'thumb'))!.path).metadata()).width).toBe(384);
    // One resolver from a hash to a file: "Use as input" and "Show in folder" find it where it is.
    expect(await engine.jobs.store.locate(item!.hash!)).toBe(join(folder, 'flux.png'));
    const uploaded = await engine.invoke('uploads.fromOutput', { id: item!.id });
    expect(uploaded.name).toMatch(/\.png$/);
    expect(cloud.requests.filter((r) => r.url.endsWith('/upload/image'))).toHaveLength(1);
    // Importing the same folder again knows the file.
    expect(await importFolder(folder, deps, undefined, 'reference')).toMatchObject({ added: 0, known: 1 });
  });

  it('an input image on the server comes here by hash: its preview and its pixels for a mask', async () => {
    const cloud = await startFakeCloud({ mode: 'local' });
    cleanup.push(() => cloud.close());
    const engine = await openEngine(tempDir(), cloud);
    cleanup.push(() => engine.close());
    const bytes = readFileSync(join(FIXTURES, 'comfyui-png', 'controlnet__input_scribble_example.png'));
    const ref = await engine.invoke('uploads.image', {
      name: 'scribble.png',
      data: bytes.toString('base64'),
      kind: 'image',
    });
    const fetched = await engine.invoke('uploads.fetch', { name: ref.name });
    expect(fetched.hash).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(fetched.width).toBeGreaterThan(0);
    expect((await engine.media(fetched.hash, 'thumb'))?.mime).toBe('image/webp');
    expect((await engine.media(fetched.hash, 'full'))?.size).toBe(bytes.length);
    // A name the server does not have: said, not stored.
    await expect(engine.invoke('uploads.fetch', { name: 'nowhere.png' })).rejects.toMatchObject({ code: 'not_found' });
  });
});
