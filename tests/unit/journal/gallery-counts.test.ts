// The gallery's counts, kept by triggers (migration 0012), stay exactly right through random writes
// the engine makes (new outputs, delete and restore, favorites, ratings, tags, albums, jobs changing
// state): after each round every count, the workflow list and the pages are compared with the same
// filter worked out by brute force over every row, in JavaScript. On a real journal on disk.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { GalleryFilter } from '../../../shared/contract';
import type { JobState } from '../../../shared/jobs';
import { openJournal } from '../../../electron/engine/journal/db';
import { GalleryQueries } from '../../../electron/engine/journal/gallery';
import { JobJournal } from '../../../electron/engine/journal/jobs';
import { migrations } from '../../../electron/engine/journal/migrations/index';
import { Organizer } from '../../../electron/engine/journal/organize';

let dir: string | null = null;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

/** A small deterministic random source, so a failure can be replayed. */
function random(seed: number): (n: number) => number {
  let x = seed;
  return (n) => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x % n;
  };
}

interface Row {
  id: number;
  kind: string;
  type: string;
  favorite: number;
  rating: number | null;
  deleted_at: number | null;
  created_at: number;
  profile_id: string;
  state: string;
  workflow: string;
  prompt_text: string;
  filename: string;
  tags: string;
  albums: string;
}

function everyRow(db: Database): Row[] {
  return db
    .prepare(
      `SELECT o.id, o.kind, o.type, o.favorite, o.rating, o.deleted_at, o.created_at, j.profile_id, j.state,
         w.name AS workflow, coalesce(j.prompt_text, '') AS prompt_text, o.filename,
         coalesce((SELECT group_concat(tag, char(31)) FROM output_tags t WHERE t.output_id = o.id), '') AS tags,
         coalesce((SELECT group_concat(album_id, char(31)) FROM album_items a WHERE a.output_id = o.id), '') AS albums
       FROM outputs o JOIN jobs j ON j.id = o.job_id JOIN workflows w ON w.id = j.workflow_id`,
    )
    .all() as Row[];
}

/** The filter, by brute force (search: a word of the prompt, or a tag starting with it). */
function matches(row: Row, f: GalleryFilter): boolean {
  const tags = row.tags ? row.tags.split('\u001f') : [];
  if (row.deleted_at !== null) return false;
  if (f.profileId && row.profile_id !== f.profileId) return false;
  if (f.jobStates && !f.jobStates.includes(row.state as JobState)) return false;
  if (f.kinds && !f.kinds.includes(row.kind as 'image')) return false;
  if (f.favorites && row.favorite !== 1) return false;
  if (f.saved && row.type === 'temp') return false;
  if (f.workflowName && row.workflow !== f.workflowName) return false;
  if (f.minRating !== undefined && (row.rating ?? 0) < f.minRating) return false;
  if (f.from !== undefined && row.created_at < f.from) return false;
  if (f.tags && !f.tags.every((t) => tags.some((x) => x.toLowerCase() === t.toLowerCase()))) return false;
  if (f.albumId && !row.albums.split('\u001f').includes(f.albumId)) return false;
  if (f.search) {
    const word = f.search.toLowerCase();
    const inJob = row.prompt_text
      .toLowerCase()
      .split(/\s+/)
      .some((w) => w.startsWith(word));
    if (!inJob && !tags.some((t) => t.toLowerCase().startsWith(word))) return false;
  }
  return true;
}

const FILTERS: GalleryFilter[] = [
  {},
  { saved: true },
  { favorites: true },
  { favorites: true, kinds: ['image'], saved: true },
  { kinds: ['video'] },
  { kinds: ['video', 'image'] },
  { minRating: 1 },
  { minRating: 4, saved: true },
  { profileId: 'local' },
  { jobStates: ['failed'] },
  { jobStates: ['completed', 'failed'], profileId: 'cloud' },
  { workflowName: 'flow-1' },
  { workflowName: 'flow-2', favorites: true },
  { tags: ['keeper'] },
  { tags: ['keeper', 'sky'] },
  { albumId: 'picks' },
  { albumId: 'picks', saved: true },
  { from: 1_000_500 },
  { search: 'fox' },
  { search: 'fox', saved: true },
  { search: 'kee' },
  { search: 'otter', favorites: true },
  { search: 'fox', tags: ['sky'], minRating: 1 },
];

describe('gallery counts', () => {
  // Small limits take the paths of a big gallery: common searches checked while walking, walks of
  // rare filters' indexes, counts from each job's count.
  it.each([
    ['as in the app', {}],
    ['with the limits of a big gallery', { few: 3, gather: 3 }],
    // A common search's pages read its matches from the newest job down, a few at a time, with the
    // outputs' dates in no relation to their jobs' order.
    ['reading a search’s matches two at a time', { few: 3, gather: 3, firstMatches: 2 }],
  ])(
    'match a brute-force count of every filter after random writes, and the pages hold the same outputs (%s)',
    (_name, limits) => {
      dir = mkdtempSync(join(tmpdir(), 'gallery-counts-'));
      const db = openJournal(join(dir, 'journal.sqlite3'));
      const journal = new JobJournal(db);
      const gallery = new GalleryQueries(db, journal, limits);
      const organizer = new Organizer(db);
      const albums = db.prepare(
        `INSERT INTO albums (id, name, filter_json, created_at, updated_at) VALUES ('picks', 'Picks', NULL, 0, 0)`,
      );
      albums.run();
      const rnd = random(7);
      const words = ['fox', 'otter', 'sky', 'keeper'];
      const jobs: string[] = [];
      let made = 0;
      const newJob = (): void => {
        const n = jobs.length;
        const prompt = { '1': { class_type: 'KSampler', inputs: { seed: n } } };
        const workflowId = journal.saveWorkflow(prompt, `flow-${n % 3}`);
        const id = `job-${n}`;
        journal.createJob({
          id,
          profileId: n % 2 ? 'cloud' : 'local',
          workflowId,
          prompt,
          state: 'running',
          cause: 'test',
          promptText: `${words[n % 4]} ${words[(n * 3 + 1) % 4]}`,
          createdAt: 1_000_000 + n * 100,
        });
        jobs.push(id);
      };
      const ops: (() => void)[] = [
        () => newJob(),
        () => {
          if (!jobs.length) newJob();
          const job = jobs[rnd(jobs.length)]!;
          made++;
          journal.addOutput(job, {
            nodeId: String(rnd(3)),
            kind: rnd(5) === 0 ? 'video' : 'image',
            filename: `out_${made}.png`,
            subfolder: '',
            type: rnd(4) === 0 ? 'temp' : 'output',
            createdAt: 1_000_000 + rnd(1000),
          });
        },
      ];
      const ids = (): number[] => db.prepare('SELECT id FROM outputs').pluck().all() as number[];
      const pick = (): number[] => {
        const all = ids();
        return all.length ? [all[rnd(all.length)]!, all[rnd(all.length)]!] : [];
      };
      ops.push(
        () => gallery.setDeleted(pick(), rnd(2) === 0),
        () => gallery.setFavorite(pick(), rnd(2) === 0),
        () => organizer.rate(pick(), rnd(3) === 0 ? null : 1 + rnd(5)),
        () => organizer.tag(pick(), rnd(2) ? ['keeper'] : ['Sky'], rnd(2) ? ['sky'] : []),
        () => organizer.setInAlbum('picks', pick(), rnd(3) > 0),
        () => {
          if (!jobs.length) return;
          const job = jobs[rnd(jobs.length)]!;
          journal.transition(job, rnd(3) === 0 ? 'failed' : 'completed', 'test');
        },
      );

      for (let round = 0; round < 12; round++) {
        for (let i = 0; i < 40; i++) ops[i < 3 ? 0 : round < 2 ? 1 : rnd(ops.length)]!();
        const rows = everyRow(db);
        for (const filter of FILTERS) {
          const expected = rows.filter((r) => matches(r, filter));
          const { count, estimated } = gallery.countOf(filter);
          expect({ filter, count, estimated }).toEqual({ filter, count: expected.length, estimated: false });
          const shown: number[] = [];
          let after: string | undefined;
          do {
            const page = gallery.page({ ...filter, limit: 7, ...(after ? { after } : {}) });
            shown.push(...page.items.map((item) => item.id));
            after = page.nextCursor ?? undefined;
          } while (after);
          const order = expected.sort((a, b) => b.created_at - a.created_at || b.id - a.id).map((r) => r.id);
          expect({ filter, shown }).toEqual({ filter, shown: order });
        }
        // The workflow list: each name with its shown outputs.
        const byName = new Map<string, number>();
        for (const r of rows) if (r.deleted_at === null) byName.set(r.workflow, (byName.get(r.workflow) ?? 0) + 1);
        expect(Object.fromEntries(gallery.workflows().map((w) => [w.name, w.outputCount]))).toEqual(
          Object.fromEntries(byName),
        );
      }
      db.close();
    },
  );

  it('are rebuilt from the rows when the journal is upgraded, and a job state change moves its outputs', () => {
    dir = mkdtempSync(join(tmpdir(), 'gallery-counts-'));
    const path = join(dir, 'journal.sqlite3');
    const old = openJournal(path, { migrations: migrations.filter((m) => m.version < 12) });
    // Rows as the version before wrote them (its JobJournal is gone; the SQL it ran is not).
    old.exec(`
      INSERT INTO workflows (id, name, api_json, created_at) VALUES ('w', 'before', '{}', 1);
      INSERT INTO jobs (id, profile_id, workflow_id, prompt_json, state, created_at, updated_at)
        VALUES ('a', 'cloud', 'w', '{}', 'running', 1, 1);
      INSERT INTO outputs (job_id, node_id, kind, filename, type, created_at) VALUES
        ('a', '1', 'image', '0.png', 'temp', 1), ('a', '1', 'image', '1.png', 'output', 2),
        ('a', '1', 'image', '2.png', 'output', 3), ('a', '1', 'image', '3.png', 'output', 4),
        ('a', '1', 'image', '4.png', 'output', 5);
    `);
    old.close();
    const told: string[] = [];
    const db = openJournal(path, { onMigrate: (m) => told.push(m.name) });
    expect(told).toContain('gallery-scale');
    const gallery = new GalleryQueries(db, new JobJournal(db));
    expect(gallery.count({})).toBe(5);
    expect(gallery.count({ saved: true })).toBe(4);
    expect(gallery.count({ jobStates: ['running'] })).toBe(5);
    new JobJournal(db).transition('a', 'completed', 'test');
    expect(gallery.count({ jobStates: ['running'] })).toBe(0);
    expect(gallery.count({ jobStates: ['completed'], saved: true })).toBe(4);
    // One of them is a temporary preview: the workflow filter counts it only where previews are shown.
    expect(gallery.workflows()).toEqual([
      { name: 'before', lastUsedAt: expect.any(Number), outputCount: 5, savedCount: 4 },
    ]);
    db.close();
  });
});
