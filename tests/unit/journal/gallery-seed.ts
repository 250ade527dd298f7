// A gallery of any size in SQL alone (the benchmarks' and the plan tests' seed), fast enough for 1,000,000 outputs: one transaction, a
// recursive CTE per table, no row crosses into JavaScript. The same shape as seedGallery (tests/unit/
// jobs/journal-helpers.ts: 5 outputs a job, 8 workflows, prompts from 12 words, every 20th output a
// video, every 50th job failed), plus what a person's gallery has: temp previews, favorites,
// ratings, tags, an album and a few deleted outputs. Every trigger of the journal runs, as in the app.
import type { Database } from 'better-sqlite3';
import { WORDS } from '../jobs/journal-helpers';

export const SEED_ALBUM = 'bench-album';

export function seedGallerySql(db: Database, outputs: number, start = Date.now() - outputs * 60_000): void {
  const jobs = Math.ceil(outputs / 5);
  db.transaction(() => {
    db.exec(`CREATE TEMP TABLE seed_words (i INTEGER PRIMARY KEY, w TEXT NOT NULL)`);
    const word = db.prepare('INSERT INTO seed_words (i, w) VALUES (?, ?)');
    WORDS.forEach((w, i) => word.run(i, w));
    db.prepare(
      `WITH RECURSIVE n(w) AS (SELECT 0 UNION ALL SELECT w + 1 FROM n WHERE w < 7)
       INSERT OR IGNORE INTO workflows (id, name, api_json, created_at) SELECT 'wf-' || w, 'Workflow ' || w, '{}', ? FROM n`,
    ).run(start);
    db.prepare(
      `WITH RECURSIVE n(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM n WHERE j < @n - 1),
       t(j, text) AS (
         SELECT j, (SELECT w FROM seed_words WHERE i = j % 12) || ' ' || (SELECT w FROM seed_words WHERE i = (j * 7) % 12)
           || ' ' || (SELECT w FROM seed_words WHERE i = (j * 5 + 3) % 12) || ' number' || j FROM n)
       INSERT INTO jobs (id, profile_id, prompt_id, workflow_id, prompt_json, state, source, created_at, finished_at,
         updated_at, prompt_text, queue_rank)
       SELECT 'seed-' || j, CASE WHEN j % 3 THEN 'cloud' ELSE 'local' END, 'p-' || j, 'wf-' || (j % 8),
         json_object('6', json_object('class_type', 'CLIPTextEncode', 'inputs', json_object('text', text))),
         CASE WHEN j % 50 = 0 THEN 'failed' ELSE 'completed' END, 'app',
         @start + j * 300000, @start + j * 300000, @start + j * 300000, text, j
       FROM t`,
    ).run({ n: jobs, start });
    db.prepare(
      `WITH RECURSIVE n(m) AS (SELECT 0 UNION ALL SELECT m + 1 FROM n WHERE m < @n - 1)
       INSERT INTO outputs (job_id, node_id, kind, filename, subfolder, type, state, hash, size, mime, width, height,
         has_thumb, created_at, favorite, rating, phash, deleted_at)
       SELECT 'seed-' || (m / 5), CASE WHEN m % 10 = 7 THEN '12' ELSE '9' END,
         CASE WHEN m % 20 = 0 THEN 'video' ELSE 'image' END, printf('ComfyUI_%06d_.png', m), '',
         CASE WHEN m % 10 = 7 THEN 'temp' ELSE 'output' END, 'stored', printf('%064x', m), 1000,
         CASE WHEN m % 20 = 0 THEN 'video/mp4' ELSE 'image/png' END, 512, 512, 0, @start + (m / 5) * 300000 + m % 5,
         m % 97 = 1, CASE WHEN m % 13 = 2 THEN 1 + (m / 13) % 5 END,
         CASE WHEN m % 20 <> 0 THEN printf('%08x%08x', (m * 2654435761) % 4294967296, (m * 40503) % 4294967296) END,
         CASE WHEN m % 199 = 3 THEN @start END
       FROM n`,
    ).run({ n: outputs, start });
    db.prepare(
      `INSERT INTO output_tags (output_id, tag, created_at)
       SELECT id, CASE WHEN id % 2 THEN 'keeper' ELSE 'landscape' END, ? FROM outputs WHERE id % 11 = 4`,
    ).run(start);
    db.prepare(
      `INSERT INTO output_tags (output_id, tag, created_at) SELECT id, 'portfolio', ? FROM outputs WHERE id % 503 = 5`,
    ).run(start);
    db.prepare(
      `INSERT INTO albums (id, name, filter_json, created_at, updated_at) VALUES (?, 'Bench', NULL, ?, ?)`,
    ).run(SEED_ALBUM, start, start);
    db.prepare(
      `INSERT INTO album_items (album_id, output_id, added_at) SELECT ?, id, ? FROM outputs WHERE id % 401 = 6`,
    ).run(SEED_ALBUM, start);
    // The full-text rows the engine writes for each job (jobs.ts reindex): prompt, workflow, node types, files.
    db.exec(
      `INSERT INTO job_search (rowid, prompt, workflow, nodes, filenames)
       SELECT j.rowid, j.prompt_text, w.name, 'CLIPTextEncode KSampler SaveImage',
         (SELECT group_concat(o.filename, ' ') FROM outputs o WHERE o.job_id = j.id)
       FROM jobs j JOIN workflows w ON w.id = j.workflow_id WHERE j.id LIKE 'seed-%'`,
    );
    db.exec('DROP TABLE temp.seed_words');
  })();
}
