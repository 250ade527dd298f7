// The gallery's organizing logic without a window: look-alike neighbours folded by perceptual hash,
// the rows of "What was different" and what their buttons submit, the rating keys, tags typed in one
// go, a selection's tags, and the media lengths, frame rates and shares the views print.
import { describe, expect, it } from 'vitest';
import type { GalleryItem } from '../../../shared/jobs';
import type { InputChange } from '../../../shared/organize';
import { clock, fpsLabel, share } from '../../../renderer/src/lib/format';
import {
  changeRow,
  foldNeighbours,
  graphLine,
  phashDistance,
  promptWith,
  ratingOfKey,
  splitTags,
  starsText,
  tagsOf,
} from '../../../renderer/src/lib/organize';

function item(id: number, phash: string | null, extra: Partial<GalleryItem> = {}): GalleryItem {
  return {
    id,
    jobId: `job-${id}`,
    nodeId: '9',
    kind: 'image',
    filename: `out_${id}.png`,
    subfolder: '',
    type: 'output',
    state: 'stored',
    error: null,
    hash: 'a'.repeat(64),
    hasThumb: true,
    size: 1,
    mime: 'image/png',
    width: 64,
    height: 64,
    durationMs: null,
    fps: null,
    favorite: false,
    createdAt: id,
    profileId: 'cloud',
    rating: null,
    tags: [],
    phash,
    workflowName: 'wf',
    promptText: null,
    jobState: 'completed',
    ...extra,
  };
}

describe('perceptual hashes', () => {
  it('counts the differing bits of two 16-hex-digit hashes', () => {
    expect(phashDistance('0000000000000000', '0000000000000000')).toBe(0);
    expect(phashDistance('0000000000000000', '0000000000000001')).toBe(1);
    expect(phashDistance('ffffffffffffffff', '0000000000000000')).toBe(64);
    expect(phashDistance('f0f0f0f0f0f0f0f0', '0f0f0f0f0f0f0f0f')).toBe(64);
    expect(phashDistance('8000000000000000', '0000000000000000')).toBe(1);
  });

  it('calls anything that is not a hash as far as can be', () => {
    expect(phashDistance(null, '0000000000000000')).toBe(64);
    expect(phashDistance('', '0000000000000000')).toBe(64);
    expect(phashDistance('xyz', 'xyz')).toBe(64);
  });

  it('folds near-identical neighbours (≤ 6 bits from the group’s first), keeping the order', () => {
    const items = [
      item(1, '0000000000000000'),
      item(2, '000000000000003f'), // 6 bits: same picture
      item(3, '000000000000007f'), // 7 bits from the first: a new tile, even if near the second
      item(4, 'ffffffffffffffff'),
      item(5, null),
      item(6, null),
      item(7, 'fffffffffffffffe'),
      item(8, 'ffffffffffffffff'),
    ];
    const { leaders, groups } = foldNeighbours(items);
    expect(leaders.map((i) => i.id)).toEqual([1, 3, 4, 5, 6, 7]);
    expect(groups.get(1)?.map((i) => i.id)).toEqual([1, 2]);
    expect(groups.get(7)?.map((i) => i.id)).toEqual([7, 8]);
    expect(groups.has(5)).toBe(false);
    // Look-alikes apart in the grid stay apart: only neighbours fold.
    expect(
      foldNeighbours([item(1, '0000000000000000'), item(2, null), item(3, '0000000000000000')]).leaders,
    ).toHaveLength(3);
  });

  it('folds nothing with a threshold of zero bits but the same hash', () => {
    const { leaders } = foldNeighbours([item(1, '00000000000000ff'), item(2, '00000000000000ff')], 0);
    expect(leaders.map((i) => i.id)).toEqual([1]);
  });
});

describe('what was different', () => {
  const seed: InputChange = { nodeId: '3', classType: 'KSampler', title: null, input: 'seed', values: [1, 2] };

  it('names the node by its title, else its class, and reads each value', () => {
    const row = changeRow({ ...seed, title: 'Sampler', values: [0.8700000000000001, null] });
    expect(row.node).toBe('Sampler');
    expect(row.shown).toEqual(['0.87', '—']);
    expect(changeRow(seed).node).toBe('KSampler');
    expect(changeRow(seed).key).toBe('3.seed');
  });

  it('offers each other value once to run with, and a sweep over the distinct values', () => {
    const row = changeRow({ ...seed, values: [1, 2, 2, 5] });
    expect(row.others).toEqual([
      { index: 1, value: 2 },
      { index: 3, value: 5 },
    ]);
    expect(row.sweep).toEqual({ nodeId: '3', input: 'seed', values: [1, 2, 5] });
  });

  it('leaves out values a run cannot take (absent, objects) and a sweep of one value', () => {
    const row = changeRow({ ...seed, values: [1, null] });
    expect(row.others).toEqual([]);
    expect(row.sweep).toBeNull();
    expect(changeRow({ ...seed, values: ['a', { x: 1 }] }).sweep).toBeNull();
    expect(changeRow({ ...seed, values: [true, false] }).sweep?.values).toEqual([true, false]);
  });

  it('says which output a graph change is about', () => {
    expect(
      graphLine({
        kind: 'node_removed',
        nodeId: '7',
        classType: 'VAEDecode',
        index: 1,
        detail: 'VAE Decode (node 7) is not in this workflow',
      }),
    ).toBe('B: VAE Decode (node 7) is not in this workflow');
  });

  it('changes one input of a copy of the prompt, never the prompt itself', () => {
    const prompt = { '3': { class_type: 'KSampler', inputs: { seed: 1, steps: 20, model: ['4', 0] } } };
    const changed = promptWith(prompt, '3', 'seed', 42) as typeof prompt;
    expect(changed['3'].inputs).toEqual({ seed: 42, steps: 20, model: ['4', 0] });
    expect(prompt['3'].inputs.seed).toBe(1);
    expect(() => promptWith(prompt, '99', 'seed', 1)).toThrow(/no node 99/);
  });
});

describe('ratings and tags', () => {
  it('reads 1–5 as a rating and 0 as clearing it; not with a modifier', () => {
    expect(ratingOfKey({ key: '4' })).toBe(4);
    expect(ratingOfKey({ key: '0' })).toBeNull();
    expect(ratingOfKey({ key: '6' })).toBeUndefined();
    expect(ratingOfKey({ key: 'a' })).toBeUndefined();
    expect(ratingOfKey({ key: '3', ctrlKey: true })).toBeUndefined();
    expect(ratingOfKey({ key: '3', metaKey: true })).toBeUndefined();
  });

  it('splits typed tags on commas, as the journal keeps them, once each', () => {
    expect(splitTags(' cat ,  night   sky,cat,, ')).toEqual(['cat', 'night sky']);
    expect(splitTags('')).toEqual([]);
  });

  it('draws a rating in stars', () => {
    expect(starsText(3)).toBe('★★★☆☆');
    expect(starsText(null)).toBe('☆☆☆☆☆');
  });

  it("tells a selection's tags that all have from those only some have", () => {
    const { all, some } = tagsOf([{ tags: ['cat', 'sky'] }, { tags: ['sky', 'cat', 'dog'] }, { tags: ['sky'] }]);
    expect(all).toEqual(['sky']);
    expect(some).toEqual(['cat', 'dog']);
    expect(tagsOf([])).toEqual({ all: [], some: [] });
  });
});

describe('lengths, frame rates and shares', () => {
  it('prints a media length as players do', () => {
    expect(clock(4_400)).toBe('0:04');
    expect(clock(125_000)).toBe('2:05');
    expect(clock(3_723_000)).toBe('1:02:03');
    expect(clock(null)).toBe('');
    expect(clock(-1)).toBe('');
  });

  it('prints a frame rate without noise', () => {
    expect(fpsLabel(24)).toBe('24 fps');
    expect(fpsLabel(29.97002997)).toBe('29.97 fps');
    expect(fpsLabel(null)).toBe('');
    expect(fpsLabel(0)).toBe('');
  });

  it('never rounds a real difference down to nothing', () => {
    expect(share(0, 100)).toBe('0%');
    expect(share(1, 1_000_000)).toBe('<0.01%');
    expect(share(3, 100)).toBe('3%');
    expect(share(1, 3)).toBe('33.3%');
    expect(share(5, 5)).toBe('100%');
    expect(share(1, 0)).toBe('0%');
  });
});
