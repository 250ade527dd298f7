// The gallery at a million outputs: counts kept by triggers instead of counted, and an index for
// each filter that can be rare (favorites, a kind, rated outputs, a job's state, server or
// workflow), so no query the gallery makes walks the outputs table.
import type { Database } from 'better-sqlite3';

/** The columns of gallery_counts that an output's own row and its job decide. */
const CUBE = 'profile_id, job_state, workflow_name, kind, temp, favorite, rating';

/** Adds `sign` for output `o` (NEW or OLD) to the counts, if it is shown (not deleted). */
function countOutput(o: 'NEW' | 'OLD', sign: 1 | -1): string {
  return `
    INSERT INTO gallery_counts (${CUBE}, n)
      SELECT j.profile_id, j.state, w.name, ${o}.kind, ${o}.type = 'temp', ${o}.favorite, coalesce(${o}.rating, 0), ${sign}
      FROM jobs j JOIN workflows w ON w.id = j.workflow_id WHERE j.id = ${o}.job_id AND ${o}.deleted_at IS NULL
      ON CONFLICT DO UPDATE SET n = n + excluded.n;
    INSERT INTO job_outputs (job_rowid, shown, saved)
      SELECT rowid, ${sign}, ${sign} * (${o}.type <> 'temp') FROM jobs WHERE id = ${o}.job_id AND ${o}.deleted_at IS NULL
      ON CONFLICT DO UPDATE SET shown = shown + excluded.shown, saved = saved + excluded.saved;`;
}

/** Moves every shown output of job `j` (NEW or OLD) in or out of the counts. */
function countJob(j: 'NEW' | 'OLD', sign: 1 | -1): string {
  return `
    INSERT INTO gallery_counts (${CUBE}, n)
      SELECT ${j}.profile_id, ${j}.state, (SELECT name FROM workflows WHERE id = ${j}.workflow_id),
        o.kind, o.type = 'temp', o.favorite, coalesce(o.rating, 0), ${sign} * COUNT(*)
      FROM outputs o WHERE o.job_id = ${j}.id AND o.deleted_at IS NULL GROUP BY 4, 5, 6, 7
      ON CONFLICT DO UPDATE SET n = n + excluded.n;`;
}

export default {
  version: 12,
  name: 'gallery-scale',
  says: 'Counting the gallery by its filters',
  up(db: Database): void {
    db.exec(`
      -- How many shown outputs have each combination of the filters that have few values: a count
      -- of the gallery under any of them is a sum over a few rows, whatever its size.
      CREATE TABLE gallery_counts (
        profile_id    TEXT NOT NULL,
        job_state     TEXT NOT NULL,
        workflow_name TEXT NOT NULL,
        kind          TEXT NOT NULL,
        temp          INTEGER NOT NULL,
        favorite      INTEGER NOT NULL,
        rating        INTEGER NOT NULL,  -- 0: not rated
        n             INTEGER NOT NULL,
        PRIMARY KEY (${CUBE})
      ) WITHOUT ROWID;
      -- Each job's shown outputs (and those not temp previews): a search's count without visiting them.
      CREATE TABLE job_outputs (
        job_rowid INTEGER PRIMARY KEY,
        shown     INTEGER NOT NULL,
        saved     INTEGER NOT NULL
      );
      -- The workflow filter's list: when a workflow of each name last made an output.
      CREATE TABLE gallery_workflows (
        name         TEXT PRIMARY KEY,
        last_used_at INTEGER NOT NULL
      ) WITHOUT ROWID;

      CREATE TRIGGER gallery_counts_insert AFTER INSERT ON outputs BEGIN
        ${countOutput('NEW', 1)}
        INSERT INTO gallery_workflows (name, last_used_at)
          SELECT w.name, coalesce(w.last_used_at, w.created_at) FROM jobs j JOIN workflows w ON w.id = j.workflow_id
          WHERE j.id = NEW.job_id AND NEW.deleted_at IS NULL
          ON CONFLICT DO UPDATE SET last_used_at = max(last_used_at, excluded.last_used_at);
      END;
      CREATE TRIGGER gallery_counts_delete AFTER DELETE ON outputs BEGIN ${countOutput('OLD', -1)} END;
      CREATE TRIGGER gallery_counts_update AFTER UPDATE OF deleted_at, kind, type, favorite, rating, job_id ON outputs
        WHEN (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL) OR OLD.kind IS NOT NEW.kind
          OR OLD.type IS NOT NEW.type OR OLD.favorite IS NOT NEW.favorite OR OLD.rating IS NOT NEW.rating
          OR OLD.job_id IS NOT NEW.job_id
        BEGIN ${countOutput('OLD', -1)} ${countOutput('NEW', 1)} END;
      CREATE TRIGGER gallery_counts_job AFTER UPDATE OF state, profile_id, workflow_id ON jobs
        WHEN OLD.state IS NOT NEW.state OR OLD.profile_id IS NOT NEW.profile_id OR OLD.workflow_id IS NOT NEW.workflow_id
        BEGIN ${countJob('OLD', -1)} ${countJob('NEW', 1)} END;
      -- A job's outputs leave the counts while the job is still there to say where they were counted.
      CREATE TRIGGER gallery_counts_job_delete BEFORE DELETE ON jobs BEGIN
        DELETE FROM outputs WHERE job_id = OLD.id;
        DELETE FROM job_outputs WHERE job_rowid = OLD.rowid;
      END;
      -- A workflow run again: the list shows it as used now.
      CREATE TRIGGER gallery_workflows_used AFTER UPDATE OF last_used_at ON workflows
        WHEN NEW.last_used_at IS NOT NULL BEGIN
          UPDATE gallery_workflows SET last_used_at = max(last_used_at, NEW.last_used_at) WHERE name = NEW.name;
        END;

      -- A filter that may be rare walks its own index in date order (or, rarer still, is sorted).
      CREATE INDEX outputs_favorite ON outputs(created_at DESC, id DESC) WHERE favorite = 1 AND deleted_at IS NULL;
      CREATE INDEX outputs_kind ON outputs(kind, created_at DESC, id DESC) WHERE deleted_at IS NULL;
      DROP INDEX outputs_rating;
      CREATE INDEX outputs_rated ON outputs(created_at DESC, id DESC) WHERE rating IS NOT NULL AND deleted_at IS NULL;
      CREATE INDEX jobs_workflow ON jobs(workflow_id);
      CREATE INDEX jobs_state ON jobs(state);
      CREATE INDEX jobs_profile ON jobs(profile_id);
    `);
    db.exec(`
      INSERT INTO gallery_counts (${CUBE}, n)
        SELECT j.profile_id, j.state, w.name, o.kind, o.type = 'temp', o.favorite, coalesce(o.rating, 0), COUNT(*)
        FROM outputs o JOIN jobs j ON j.id = o.job_id JOIN workflows w ON w.id = j.workflow_id
        WHERE o.deleted_at IS NULL GROUP BY 1, 2, 3, 4, 5, 6, 7;
      INSERT INTO job_outputs (job_rowid, shown, saved)
        SELECT j.rowid, COUNT(*), SUM(o.type <> 'temp') FROM outputs o JOIN jobs j ON j.id = o.job_id
        WHERE o.deleted_at IS NULL GROUP BY j.rowid;
      INSERT INTO gallery_workflows (name, last_used_at)
        SELECT w.name, MAX(coalesce(w.last_used_at, w.created_at)) FROM workflows w
        WHERE EXISTS (SELECT 1 FROM jobs j JOIN outputs o ON o.job_id = j.id AND o.deleted_at IS NULL WHERE j.workflow_id = w.id)
        GROUP BY w.name;
    `);
  },
};
