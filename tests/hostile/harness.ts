// The standing adversarial suite's common ground: an engine on a real data folder against the
// fake cloud in its hostile modes, a dump of the journal to compare before and after an attack,
// and a count of cases per class that the suite prints when it ends.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, it } from 'vitest';
import type { Database } from 'better-sqlite3';
import type { Engine } from '../../electron/engine/engine';
import { isFinalJobState, JOB_STATES } from '../../shared/jobs';
import { startFakeCloud, type FakeCloud, type FakeCloudOptions } from '../fake-cloud/index';
import { useTempDirs } from '../unit/engine/tmp';
import { openEngine } from '../unit/jobs/cloud-harness';

export { basicWorkflow, collect, waitFor } from '../unit/jobs/cloud-harness';

export type HostileClass =
  | 'ws-messages'
  | 'binary-frames'
  | 'http-answers'
  | 'downloads'
  | 'cli'
  | 'key'
  | 'files'
  | 'bridge'
  | 'queue'
  | 'ui-workflow'
  | 'saved-workflows';

const counts = new Map<HostileClass, number>();

/** One hostile case: a test that is counted in its class. */
export function hostile(kind: HostileClass, name: string, fn: () => Promise<void> | void, timeout?: number): void {
  counts.set(kind, (counts.get(kind) ?? 0) + 1);
  it(`[${kind}] ${name}`, fn, timeout);
}

afterAll(() => {
  const line = [...counts].map(([k, n]) => `${k}=${n}`).join(' ');
  console.log(`HOSTILE ${line}`);
});

const tempDir = useTempDirs();
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => undefined);
});

export interface Rig {
  cloud: FakeCloud;
  engine: Engine;
  dir: string;
}

/** A fake cloud (its hostile modes ready to be switched on) and an engine connected to it. */
export async function rig(options: FakeCloudOptions = {}): Promise<Rig> {
  const cloud = await startFakeCloud({ stepMs: 2, steps: 3, ...options });
  cleanup.push(() => cloud.close());
  const dir = tempDir();
  const engine = await openEngine(dir, cloud);
  cleanup.push(() => engine.close());
  return { cloud, engine, dir };
}

export function newTempDir(): string {
  return tempDir();
}

export function onCleanup(fn: () => Promise<void>): void {
  cleanup.push(fn);
}

/**
 * The journal's content as text, for "unchanged" and "consistent" assertions: every job, event
 * and output in a stable order. Columns that move with the clock alone are left out.
 */
export function journalDump(db: Database): string {
  const jobs = db
    .prepare(
      'SELECT id, profile_id, prompt_id, state, source, error_json, waiting_json, submit_attempts FROM jobs ORDER BY id',
    )
    .all();
  const events = db.prepare('SELECT job_id, type, state, cause, data FROM job_events ORDER BY seq').all();
  const outputs = db
    .prepare('SELECT job_id, node_id, filename, subfolder, type, state, hash, size, mime FROM outputs ORDER BY id')
    .all();
  return JSON.stringify({ jobs, events, outputs }, null, 1);
}

/** The journal's invariants, whatever happened: SQLite is whole, stored outputs have hashes, final jobs are final. */
export function assertConsistent(engine: Engine): void {
  const report = engine.integrityCheck();
  if (!report.ok) throw new Error(`integrity check failed: ${JSON.stringify(report)}`);
  const db = engine.journal;
  const bad = db
    .prepare(
      `SELECT id FROM outputs WHERE (state = 'stored' AND (hash IS NULL OR size IS NULL))
         OR (state NOT IN ('remote', 'downloading', 'stored', 'failed'))`,
    )
    .all();
  if (bad.length) throw new Error(`outputs in an impossible state: ${JSON.stringify(bad)}`);
  const states = db.prepare('SELECT DISTINCT state FROM jobs').all() as { state: string }[];
  const known: readonly string[] = JOB_STATES;
  for (const { state } of states) if (!known.includes(state)) throw new Error(`unknown job state ${state}`);
}

/** Every file under `dir`, relative and sorted: what a hostile server may not add to. */
export function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(dir, f)).isFile())
    .sort();
}

/** Final state of a job, or null while it is open. */
export function finalJob(engine: Engine, id: string) {
  const job = engine.jobs.journal.get(id);
  return job && isFinalJobState(job.state) ? job : null;
}

export function storedOutputs(engine: Engine, id: string) {
  const outputs = engine.jobs.journal.outputs(id);
  return outputs.length > 0 && outputs.every((o) => o.state === 'stored') ? outputs : null;
}

export async function startCloud(options: FakeCloudOptions = {}): Promise<FakeCloud> {
  const cloud = await startFakeCloud({ stepMs: 2, steps: 3, ...options });
  cleanup.push(() => cloud.close());
  return cloud;
}
