// Ratings, tags, albums (by hand and smart) and lineage, through the contract on a real engine
// whose outputs came from a fake server: filters compose, tags autocomplete, a smart album follows
// what matches, and an output used as an input is linked both ways.
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../../electron/engine/engine';
import { startFakeCloud, type FakeCloud } from '../../fake-cloud/index';
import { useTempDirs } from '../engine/tmp';
import { basicWorkflow, openEngine, waitFor } from '../jobs/cloud-harness';

const tempDir = useTempDirs();
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => undefined);
});

async function withOutputs(count: number): Promise<{ engine: Engine; cloud: FakeCloud; ids: number[] }> {
  const cloud = await startFakeCloud({ mode: 'local', stepMs: 2, steps: 2 });
  cleanup.push(() => cloud.close());
  const engine = await openEngine(tempDir(), cloud);
  cleanup.push(() => engine.close());
  const jobs = await engine.invoke('jobs.submit', { workflow: basicWorkflow(), name: 'fox', count, seed: 'increment' });
  await waitFor(
    () => jobs.every((j) => engine.jobs.journal.outputs(j.id).some((o) => o.state === 'stored')),
    'the outputs to be stored',
    20_000,
  );
  const ids = jobs.map((j) => engine.jobs.journal.outputs(j.id)[0]!.id);
  return { engine, cloud, ids };
}

const idsOf = async (engine: Engine, filter: Record<string, unknown>) =>
  (await engine.invoke('gallery.page', filter)).items.map((i) => i.id).sort((a, b) => a - b);

describe('ratings and tags', () => {
  it('rate and tag in bulk; filter by rating, by tags (all of them) and find by a tag in the search box', async () => {
    const { engine, ids } = await withOutputs(3);
    const [a, b, c] = ids as [number, number, number];
    await engine.invoke('outputs.rate', { ids: [a, b], rating: 4 });
    await engine.invoke('outputs.rate', { ids: [c], rating: 2 });
    await engine.invoke('outputs.tag', { ids: [a, b, c], add: ['  Portfolio   shot ', 'fox'] });
    await engine.invoke('outputs.tag', { ids: [c], remove: ['FOX'] });
    const tile = engine.parts.gallery.tile(a)!;
    expect(tile).toMatchObject({ rating: 4, tags: ['fox', 'Portfolio shot'] });
    expect(await idsOf(engine, { minRating: 3 })).toEqual([a, b]);
    expect(await idsOf(engine, { tags: ['fox', 'portfolio shot'] })).toEqual([a, b]);
    expect(await idsOf(engine, { tags: ['portfolio shot'], minRating: 1 })).toEqual([a, b, c]);
    expect(await idsOf(engine, { search: 'portfolio' })).toEqual([a, b, c]);
    // Clearing a rating takes it out of the rated filter.
    await engine.invoke('outputs.rate', { ids: [b], rating: null });
    expect(await idsOf(engine, { minRating: 3 })).toEqual([a]);
    expect(await engine.invoke('tags.list', { prefix: 'port' })).toEqual([{ tag: 'Portfolio shot', count: 3 }]);
    expect(await engine.invoke('tags.list', {})).toEqual([
      { tag: 'Portfolio shot', count: 3 },
      { tag: 'fox', count: 2 },
    ]);
    // A "%" typed in the box is a character, not a wildcard.
    expect(await engine.invoke('tags.list', { prefix: '%' })).toEqual([]);
    await expect(engine.invoke('outputs.rate', { ids: [a], rating: 6 })).rejects.toThrow(/at most 5/);
  });
});

describe('albums', () => {
  it('an album chosen by hand holds what was put in it; a smart album follows its saved search', async () => {
    const { engine, ids } = await withOutputs(3);
    const [a, b, c] = ids as [number, number, number];
    const picks = await engine.invoke('albums.save', { name: 'Picks' });
    expect(picks).toMatchObject({ smart: false, count: 0 });
    expect(await engine.invoke('albums.add', { id: picks.id, ids: [a, c] })).toMatchObject({ count: 2 });
    expect(await idsOf(engine, { albumId: picks.id })).toEqual([a, c]);
    await engine.invoke('albums.remove', { id: picks.id, ids: [a] });
    expect(await idsOf(engine, { albumId: picks.id })).toEqual([c]);

    const best = await engine.invoke('albums.save', { name: 'Best', filter: { minRating: 5 } });
    expect(best).toMatchObject({ smart: true, count: 0 });
    await engine.invoke('outputs.rate', { ids: [b], rating: 5 });
    expect(await idsOf(engine, { albumId: best.id })).toEqual([b]);
    // Narrowed further by what the gallery filters now.
    expect(await idsOf(engine, { albumId: best.id, tags: ['none'] })).toEqual([]);
    await expect(engine.invoke('albums.add', { id: best.id, ids: [a] })).rejects.toThrow(/smart album/);
    expect((await engine.invoke('albums.list')).map((x) => [x.name, x.count])).toEqual([
      ['Best', 1],
      ['Picks', 1],
    ]);
    await engine.invoke('albums.delete', { id: picks.id });
    await expect(engine.invoke('gallery.page', { albumId: picks.id })).rejects.toThrow(/no album/);
  });
});

describe('lineage', () => {
  it('an output used as an input image is linked both ways: "made from" and "used in"', async () => {
    const { engine, ids } = await withOutputs(1);
    const [source] = ids as [number];
    const uploaded = await engine.invoke('uploads.fromOutput', { id: source });
    const workflow = {
      '1': { class_type: 'LoadImage', inputs: { image: uploaded.name } },
      '2': { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
      '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'inv' } },
    };
    const [job] = await engine.invoke('jobs.submit', { workflow, name: 'invert' });
    const made = await waitFor(
      () => engine.jobs.journal.outputs(job!.id).find((o) => o.state === 'stored'),
      'the inverted output',
      20_000,
    );
    const up = await engine.invoke('outputs.lineage', { id: made.id });
    expect(up.madeFrom.map((o) => o.id)).toEqual([source]);
    const down = await engine.invoke('outputs.lineage', { id: source });
    expect(down.madeFrom).toEqual([]);
    expect(down.usedIn.map((u) => [u.job.id, u.outputs.map((o) => o.id)])).toEqual([[job!.id, [made.id]]]);
  });
});

describe('compare', () => {
  it('two outputs of a seed batch: what differed is the seed, with both values', async () => {
    const { engine, ids } = await withOutputs(2);
    const result = await engine.invoke('outputs.compare', { ids: [ids[0]!, ids[1]!] });
    expect(result.graph).toEqual([]);
    expect(result.inputs.map((i) => [i.nodeId, i.input])).toEqual([['3', 'seed']]);
    expect(new Set(result.inputs[0]!.values).size).toBe(2);
    await expect(engine.invoke('outputs.compare', { ids: [ids[0]!] })).rejects.toThrow(/at least 2/);
  });
});
