// Perceptual hashes: near-identical images (resized, re-encoded) are close, different ones far;
// "similar images" finds the copy first; images stored before hashes existed are hashed in the
// background, and one that cannot be read is marked ('') and not tried again.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { Engine } from '../../../electron/engine/engine';
import { openJournal } from '../../../electron/engine/journal/db';
import { hammingDistance, perceptualHash } from '../../../electron/engine/store';
import { useTempDirs } from '../engine/tmp';
import { memorySecrets } from '../jobs/cloud-harness';
import { FIXTURES } from '../jobs/journal-helpers';

const tempDir = useTempDirs();
const PNGS = join(FIXTURES, 'comfyui-png');
const engines: Engine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.close();
});

describe('perceptualHash', () => {
  it('a resized, re-encoded copy is within a few bits; another picture is far', async () => {
    const dir = tempDir();
    const original = join(PNGS, 'sdxl__sdxl_simple_example.png');
    const smaller = join(dir, 'small.jpg');
    await sharp(original).resize(300).jpeg({ quality: 70 }).toFile(smaller);
    const a = await perceptualHash(original);
    const b = await perceptualHash(smaller);
    const c = await perceptualHash(join(PNGS, 'flux__flux_dev_example.png'));
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(hammingDistance(a, a)).toBe(0);
    expect(hammingDistance(a, b)).toBeLessThanOrEqual(6);
    expect(hammingDistance(a, c)).toBeGreaterThan(12);
    expect(hammingDistance('ffffffffffffffff', '0000000000000000')).toBe(64);
  });
});

describe('similar images', () => {
  it('finds the near-identical copy first, after hashing in the background what was stored without a hash', async () => {
    const folder = tempDir();
    mkdirSync(join(folder, 'set'));
    const names = ['sdxl__sdxl_simple_example.png', 'flux__flux_dev_example.png', 'img2img__img2img_workflow.png'];
    for (const name of names) copyFileSync(join(PNGS, name), join(folder, 'set', name));
    await sharp(join(PNGS, names[0]!))
      .resize(512)
      .png()
      .toFile(join(folder, 'set', 'copy.png'));
    writeFileSync(join(folder, 'set', 'broken.png'), Buffer.from('not a png at all'));
    const dataDir = tempDir();
    const engine = await Engine.open({
      shell: 'host',
      dataDir,
      monitor: false,
      secrets: memorySecrets(),
      startJobs: false,
    });
    engines.push(engine);
    await engine.invoke('import.folder', { path: join(folder, 'set') });
    const items = (await engine.invoke('gallery.page', {})).items;
    const byName = new Map(items.map((i) => [i.filename, i]));
    expect(byName.get('copy.png')?.phash).toMatch(/^[0-9a-f]{16}$/);
    // A stored "image" whose bytes no decoder reads: marked, not tried again.
    const garbage = await engine.jobs.store.ingest(Readable.from([Buffer.from('garbage, not pixels')]));
    const job = engine.jobs.journal.createJob({
      id: 'garbage',
      profileId: 'cloud',
      workflowId: engine.jobs.journal.saveWorkflow({}, 'x'),
      prompt: {},
      state: 'completed',
      cause: 'test',
    });
    const { item } = engine.jobs.journal.addOutput(job.id, {
      nodeId: '1',
      kind: 'image',
      filename: 'g.png',
      subfolder: '',
      type: 'output',
    });
    engine.jobs.journal.outputStored(item.id, { ...garbage, width: null, height: null, hasThumb: false });
    // As if they were stored before hashes existed (another connection, as a migration would):
    // the background indexer makes them again.
    const other = openJournal(join(dataDir, 'journal.sqlite3'));
    other.prepare('UPDATE outputs SET phash = NULL').run();
    other.close();
    await engine.parts.images.run();
    expect(engine.parts.images.indexed).toBe(5);
    expect(engine.parts.gallery.tile(item.id)?.phash).toBeNull();
    await engine.parts.images.run();
    expect(engine.parts.images.indexed).toBe(5);
    const similar = await engine.invoke('outputs.similar', { id: byName.get(names[0]!)!.id });
    expect(similar[0]).toMatchObject({ filename: 'copy.png' });
    expect(similar[0]!.distance).toBeLessThanOrEqual(6);
    expect(similar.map((s) => s.filename)).not.toContain(names[0]);
    // Only those within the distance asked for.
    const close = await engine.invoke('outputs.similar', { id: byName.get(names[0]!)!.id, maxDistance: 6 });
    expect(close.map((s) => s.filename)).toEqual(['copy.png']);
  });
});
