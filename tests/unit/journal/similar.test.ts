// "Similar images" through the index of the perceptual hash's quarters (journal/similar.ts,
// migration 0015): the same look-alikes, in the same order, as measuring the distance to every
// output; found without scanning the outputs. On a real journal on disk, seeded in SQL, with a
// cluster of near-duplicates whose differing bits fall in every quarter.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openJournal } from '../../../electron/engine/journal/db';
import { GalleryQueries } from '../../../electron/engine/journal/gallery';
import { JobJournal } from '../../../electron/engine/journal/jobs';
import { explainSimilar, quarterNeighbours } from '../../../electron/engine/journal/similar';
import { hammingDistance } from '../../../electron/engine/store/thumbs';
import { seedGallerySql } from './gallery-seed';

const BASE = '8f3a00c27b1e55d4';

let dir: string;
let db: Database;
let gallery: GalleryQueries;
/** The outputs of the cluster (ids), nearest to BASE first. */
let cluster: number[] = [];

/** BASE with `bits` bits flipped, spread over the quarters from `start`. */
function flipped(bits: number, start: number): string {
  let hex = BASE;
  for (let i = 0; i < bits; i++) {
    const bit = (start + i * 17) % 64;
    const digit = Math.floor(bit / 4);
    const value = parseInt(hex[digit]!, 16) ^ (1 << (bit % 4));
    hex = hex.slice(0, digit) + value.toString(16) + hex.slice(digit + 1);
  }
  return hex;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gallery-similar-'));
  db = openJournal(join(dir, 'journal.sqlite3'));
  seedGallerySql(db, 20_000);
  gallery = new GalleryQueries(db, new JobJournal(db));
  // 80 images near BASE: 0 to 19 bits away, from four starting places; one of them deleted.
  const ids = db
    .prepare(`SELECT id FROM outputs WHERE kind = 'image' AND deleted_at IS NULL ORDER BY id LIMIT 80`)
    .pluck()
    .all() as number[];
  const set = db.prepare('UPDATE outputs SET phash = ? WHERE id = ?');
  ids.forEach((id, i) => set.run(flipped(i % 20, Math.floor(i / 20) * 5), id));
  db.prepare('UPDATE outputs SET deleted_at = 1 WHERE id = ?').run(ids[7]!);
  cluster = ids;
});

afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Every output measured: what "similar" must find. */
function measured(id: number, limit: number, maxDistance: number): { id: number; distance: number }[] {
  const rows = db
    .prepare(`SELECT id, phash FROM outputs WHERE phash IS NOT NULL AND phash <> '' AND deleted_at IS NULL`)
    .all() as { id: number; phash: string }[];
  const own = db.prepare('SELECT phash FROM outputs WHERE id = ?').pluck().get(id) as string;
  return rows
    .filter((r) => r.id !== id)
    .map((r) => ({ id: r.id, distance: hammingDistance(own, r.phash) }))
    .filter((r) => r.distance <= maxDistance)
    .sort((a, b) => a.distance - b.distance || b.id - a.id)
    .slice(0, limit);
}

describe('quarterNeighbours', () => {
  it.each([
    [0, 1],
    [1, 17],
    [2, 137],
    [3, 697],
  ])('within %i bits: %i values, each as near as that, none twice', (radius, count) => {
    const values = quarterNeighbours(0xa5c3, radius);
    expect(values).toHaveLength(count);
    expect(new Set(values).size).toBe(count);
    for (const v of values) {
      let x = parseInt(v, 16) ^ 0xa5c3;
      let bits = 0;
      for (; x; x &= x - 1) bits++;
      expect(bits).toBeLessThanOrEqual(radius);
      expect(v).toMatch(/^[0-9a-f]{4}$/);
    }
  });
});

describe('similar images', () => {
  it.each([0, 1, 3, 4, 7, 8, 12, 15, 16, 19, 24])('within %i bits: the same as measuring every output', (distance) => {
    for (const id of [cluster[0]!, cluster[13]!, cluster[45]!]) {
      const found = gallery.similar(id, 200, distance).map((t) => ({ id: t.id, distance: t.distance }));
      expect(found).toEqual(measured(id, 200, distance));
    }
    // The cluster is found, the deleted one never.
    const near = gallery.similar(cluster[0]!, 200, distance).map((t) => t.id);
    expect(near).not.toContain(cluster[7]);
    if (distance >= 12) expect(near.length).toBeGreaterThan(30);
  });

  it('the limit keeps the nearest', () => {
    expect(gallery.similar(cluster[0]!, 5, 12).map((t) => t.id)).toEqual(measured(cluster[0]!, 5, 12).map((r) => r.id));
  });

  it.each([0, 6, 12, 19])('within %i bits the outputs are not scanned: the quarters are looked up', (distance) => {
    const plan = explainSimilar(db, BASE, distance);
    expect(plan.join('\n')).not.toMatch(/^SCAN (outputs|o)\b/m);
    expect(plan.join('\n')).toMatch(/outputs_phash_0/);
    expect(plan.join('\n')).toMatch(/outputs_phash_3/);
  });

  it('a search wider than the index serves (20 bits and more) measures every image, as said', () => {
    expect(explainSimilar(db, BASE, 20).join('\n')).toMatch(/SCAN outputs/);
  });
});
