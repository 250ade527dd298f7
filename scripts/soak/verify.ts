// Checks made on the data folder while no engine has it open: the journal (read-only, straight from
// the SQLite file), the output store, and the fake cloud's own record of what it accepted and serves.
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { OutputStore } from '../../electron/engine/store';
import type { FakeCloud } from '../../tests/fake-cloud/index';
import { FINAL_STATES } from './common';

export interface OutputRow {
  id: number;
  job_id: string;
  filename: string;
  subfolder: string;
  type: string;
  state: string;
  hash: string | null;
  size: number | null;
}

export interface JobRow {
  id: string;
  state: string;
  prompt_id: string | null;
}

export interface Snapshot {
  /** False when there is no journal yet (killed before it was created). */
  exists: boolean;
  integrity: string[];
  jobs: JobRow[];
  outputs: OutputRow[];
  lookupAdoptions: number;
}

/** Reads the journal read-only. Must only be called while no engine process is alive. */
export function snapshot(dataDir: string): Snapshot {
  const path = join(dataDir, 'journal.sqlite3');
  if (!existsSync(path)) return { exists: false, integrity: [], jobs: [], outputs: [], lookupAdoptions: 0 };
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    const integrity = (db.pragma('integrity_check') as { integrity_check: string }[])
      .map((r) => r.integrity_check)
      .filter((r) => r !== 'ok');
    const fk = db.pragma('foreign_key_check') as { table: string; rowid: number | null; parent: string }[];
    for (const row of fk) integrity.push(`foreign key: ${row.table} row ${String(row.rowid)} → missing ${row.parent}`);
    const hasJobs = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'jobs'").get();
    if (!hasJobs) return { exists: true, integrity, jobs: [], outputs: [], lookupAdoptions: 0 };
    const jobs = db.prepare('SELECT id, state, prompt_id FROM jobs ORDER BY created_at, rowid').all() as JobRow[];
    const outputs = db
      .prepare('SELECT id, job_id, filename, subfolder, type, state, hash, size FROM outputs ORDER BY id')
      .all() as OutputRow[];
    const { n } = db
      .prepare("SELECT count(*) AS n FROM job_events WHERE cause = 'lookup: the server already has this job'")
      .get() as { n: number };
    return { exists: true, integrity, jobs, outputs, lookupAdoptions: n };
  } finally {
    db.close();
  }
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * The sha256 of what the fake cloud serves for an output: GET /api/view with the key, then the 302's
 * signed URL without it. Files never change once written, so each is fetched once. Call only while
 * no fault rule slows or breaks downloads (the soak clears them before checking).
 */
export class ServedHashes {
  private readonly known = new Map<string, string | null>();

  constructor(private readonly cloud: FakeCloud) {}

  async of(ref: { filename: string; subfolder: string; type: string }): Promise<string | null> {
    const key = `${ref.type}/${ref.subfolder}/${ref.filename}`;
    if (this.known.has(key)) return this.known.get(key)!;
    const query = new URLSearchParams({ filename: ref.filename, subfolder: ref.subfolder, type: ref.type });
    const first = await request(`${this.cloud.url}/api/view?${query}`, {
      headers: { 'x-api-key': this.cloud.apiKey },
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    await first.body.dump();
    let hash: string | null = null;
    const location = first.headers.location;
    if (first.statusCode === 302 && typeof location === 'string') {
      const second = await request(new URL(location, this.cloud.url), { headersTimeout: 10_000, bodyTimeout: 10_000 });
      if (second.statusCode === 200) {
        hash = createHash('sha256')
          .update(Buffer.from(await second.body.arrayBuffer()))
          .digest('hex');
      } else {
        await second.body.dump();
      }
    }
    this.known.set(key, hash);
    return hash;
  }
}

export interface StoreCheck {
  storedChecked: number;
  /** Stored outputs whose file is missing, differs from its hash, or differs from what the server serves. */
  mismatches: string[];
  /** Files under objects/ whose content does not hash to their name. */
  corruptObjects: string[];
}

/** Every stored output: file present, its bytes hash to the journal's hash, and that is what the server serves. */
export async function checkStore(dataDir: string, snap: Snapshot, served: ServedHashes): Promise<StoreCheck> {
  const store = new OutputStore(join(dataDir, 'store'));
  const mismatches: string[] = [];
  let storedChecked = 0;
  for (const o of snap.outputs.filter((x) => x.state === 'stored')) {
    storedChecked++;
    const label = `output ${o.id} (${o.filename}) of job ${o.job_id}`;
    if (!o.hash || !/^[a-f0-9]{64}$/.test(o.hash)) {
      mismatches.push(`${label}: stored without a valid hash (${String(o.hash)})`);
      continue;
    }
    const path = store.pathOf(o.hash);
    if (!existsSync(path)) {
      mismatches.push(`${label}: no file at ${path}`);
      continue;
    }
    const onDisk = await sha256File(path);
    if (onDisk !== o.hash) mismatches.push(`${label}: file ${o.hash} hashes to ${onDisk}`);
    const expected = await served.of(o);
    if (expected !== o.hash) mismatches.push(`${label}: journal hash ${o.hash}, server serves ${String(expected)}`);
    if (o.size !== null && statSync(path).size !== o.size)
      mismatches.push(`${label}: journal size ${o.size}, file size ${statSync(path).size}`);
  }
  const corruptObjects: string[] = [];
  const objects = join(dataDir, 'store', 'objects');
  if (existsSync(objects)) {
    for (const entry of readdirSync(objects, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      const actual = await sha256File(path);
      if (actual !== entry.name) corruptObjects.push(`${path} hashes to ${actual}`);
    }
  }
  return { storedChecked, mismatches, corruptObjects };
}

/** Client job ids the server accepted more than once. */
export function duplicateSubmissions(cloud: FakeCloud): string[] {
  return [...cloud.acceptedByClientJob()].filter(([, n]) => n > 1).map(([id, n]) => `${id} ×${n}`);
}

/** Jobs the server accepted that the journal does not know (a committed write lost). */
export function unknownToJournal(cloud: FakeCloud, snap: Snapshot): string[] {
  const ids = new Set(snap.jobs.map((j) => j.id));
  return [...cloud.acceptedByClientJob().keys()].filter((id) => !ids.has(id));
}

export function tempFiles(dataDir: string): string[] {
  const tmp = join(dataDir, 'store', 'tmp');
  return existsSync(tmp) ? readdirSync(tmp) : [];
}

export function isFinal(state: string): boolean {
  return (FINAL_STATES as readonly string[]).includes(state);
}
