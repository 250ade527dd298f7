// Every filter the gallery offers is driven by an index: SQLite's plan (EXPLAIN QUERY PLAN) for a
// page under each, alone and combined, never scans the outputs (nor jobs, tags or albums) whole;
// a rare filter walks or gathers from its own index. On a real journal on disk, seeded in SQL.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GalleryQuery } from '../../../shared/contract';
import { openJournal } from '../../../electron/engine/journal/db';
import { GalleryQueries } from '../../../electron/engine/journal/gallery';
import { JobJournal } from '../../../electron/engine/journal/jobs';
import { SEED_ALBUM, seedGallerySql } from './gallery-seed';

let dir: string;
let db: Database;
let gallery: GalleryQueries;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gallery-plans-'));
  db = openJournal(join(dir, 'journal.sqlite3'));
  seedGallerySql(db, 20_000);
  // A tag on every output: a filter too common to gather, walked in date order instead.
  db.prepare(`INSERT INTO output_tags (output_id, tag, created_at) SELECT id, 'everything', 0 FROM outputs`).run();
  db.prepare(
    `INSERT INTO albums (id, name, filter_json, created_at, updated_at) VALUES ('smart', 'Smart', '{"favorites":true}', 0, 0)`,
  ).run();
  db.pragma('optimize');
  gallery = new GalleryQueries(db, new JobJournal(db));
});

afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A full scan of a big table: `SCAN o` without an index, or any scan of these tables. */
const WHOLE = /^SCAN (o|outputs|j|jobs|t|output_tags|album_items)$|^SCAN (outputs|jobs|output_tags|album_items)\b/;

function plan(query: GalleryQuery): string[] {
  return gallery.explainPage({ limit: 100, ...query });
}

const FILTERS: Record<string, GalleryQuery> = {
  everything: {},
  saved: { saved: true },
  'search, common': { search: 'KSampler' },
  'search, two words': { search: 'portrait sunset' },
  'search, rare': { search: 'number1234' },
  'search, file name': { search: 'ComfyUI_0042' },
  favorites: { favorites: true },
  'favorites + images + saved': { favorites: true, kinds: ['image'], saved: true },
  'a rare kind': { kinds: ['video'] },
  'two kinds': { kinds: ['video', 'audio'] },
  rating: { minRating: 4 },
  'a rare tag': { tags: ['portfolio'] },
  'a common tag': { tags: ['everything'] },
  'two tags': { tags: ['everything', 'keeper'] },
  'an album': { albumId: SEED_ALBUM },
  'a smart album': { albumId: 'smart' },
  server: { profileId: 'local' },
  'a rare state': { jobStates: ['failed'] },
  'a common state': { jobStates: ['completed'] },
  dates: { from: 0, to: Date.now() },
  workflow: { workflowName: 'Workflow 3' },
  'search + favorites': { search: 'fox', favorites: true },
  'search + tag + rating': { search: 'neon', tags: ['keeper'], minRating: 2 },
  'everything at once': {
    search: 'fox',
    favorites: true,
    kinds: ['image'],
    saved: true,
    minRating: 1,
    tags: ['everything'],
    profileId: 'cloud',
    jobStates: ['completed'],
    workflowName: 'Workflow 1',
    from: 0,
  },
  'a deep page': { saved: true, after: `${Date.now()}:1` },
  'oldest first': { sort: 'oldest', saved: true },
};

describe('gallery plans', () => {
  for (const [name, query] of Object.entries(FILTERS)) {
    it(`${name}: no full scan`, () => {
      const steps = plan(query);
      expect(steps.filter((s) => WHOLE.test(s))).toEqual([]);
      // The outputs are read through an index or by id, never in table order.
      expect(steps.some((s) => /^(SCAN|SEARCH) o USING (INDEX|COVERING INDEX|INTEGER PRIMARY KEY)/.test(s))).toBe(true);
    });
  }

  it('a rare filter is read from its own index', () => {
    expect(plan({ favorites: true })).toContain('SCAN o USING INDEX outputs_favorite');
    expect(plan({ favorites: true, kinds: ['image'], saved: true })).toContain('SCAN o USING INDEX outputs_favorite');
    expect(plan({ kinds: ['video'] })).toContain('SEARCH o USING INDEX outputs_kind (kind=?)');
    expect(plan({ minRating: 4 })).toContain('SCAN o USING INDEX outputs_rated');
    for (const query of [{ tags: ['portfolio'] }, { albumId: SEED_ALBUM }, { jobStates: ['failed' as const] }])
      expect(plan(query)).toContain('SEARCH o USING INTEGER PRIMARY KEY (rowid=?)');
    // A rare search is gathered from the jobs the full-text index gave (read once, by rowid, with
    // their outputs by job) and the tags' index, then sorted.
    const rare = plan({ search: 'number1234' }).join('\n');
    expect(rare).toMatch(/SEARCH sj USING INTEGER PRIMARY KEY \(rowid=\?\)/);
    expect(rare).toMatch(/SEARCH so USING COVERING INDEX outputs_job \(job_id=\?\)/);
    expect(rare).toMatch(/output_tags USING COVERING INDEX output_tags_tag|USING INDEX output_tags_tag/);
  });

  it('a common filter walks the date index and stops at the page', () => {
    for (const query of [
      {},
      { saved: true },
      { search: 'KSampler' },
      { tags: ['everything'] },
      { jobStates: ['completed' as const] },
    ])
      expect(plan(query)).toContain('SCAN o USING INDEX outputs_gallery');
    expect(plan({ from: 0, to: Date.now() })).toContain(
      'SEARCH o USING INDEX outputs_gallery (created_at>? AND created_at<?)',
    );
  });

  it('the workflow list and the counts of cube filters read no outputs', () => {
    const steps = (sql: string) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail);
    const workflows = steps(
      `SELECT c.workflow_name, w.last_used_at, SUM(c.n) FROM gallery_counts c JOIN gallery_workflows w ON w.name = c.workflow_name GROUP BY c.workflow_name`,
    );
    expect(workflows.join('\n')).not.toMatch(/outputs|\bo\b/);
  });
});
