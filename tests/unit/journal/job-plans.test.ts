// A job read while it runs (every progress message the tracker applies reads one) estimates its time
// from its workflow's last runs on its server through their own index, never by reading every job of
// the server: SQLite's plan, on a real journal on disk, with every index the gallery added.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { openJournal } from '../../../electron/engine/journal/db';
import { JOB_SELECT } from '../../../electron/engine/journal/jobs';

it("a job's estimate reads its workflow's last runs from their index, not every job of its server", () => {
  const dir = mkdtempSync(join(tmpdir(), 'job-plans-'));
  const db = openJournal(join(dir, 'journal.sqlite3'));
  try {
    const steps = (
      db.prepare(`EXPLAIN QUERY PLAN ${JOB_SELECT} WHERE j.id = ?`).all('job') as { detail: string }[]
    ).map((r) => r.detail);
    expect(steps).toContain('SEARCH p USING INDEX jobs_done_runs (workflow_id=? AND profile_id=?)');
    expect(steps.filter((s) => /jobs_profile|jobs_state|SCAN p\b/.test(s))).toEqual([]);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
