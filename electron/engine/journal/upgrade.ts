// Upgrading a journal an older version wrote, before it is opened: the migrations run in a worker
// thread, so the process that waits (Electron's main, the host) stays free to say so in its window
// while an index over a million rows is rebuilt, each step told as it starts. Without the worker's
// script (running from source, in tests) they run here, as openJournal would run them.
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { migrations as allMigrations, type Migration } from './migrations/index';
import { journalOpenError, openJournal, userVersion } from './db';

/** One step of an upgrade, told as it starts. */
export interface UpgradeStep {
  /** 1-based: the step of `of`. */
  step: number;
  of: number;
  /** What it does, in a person's words. */
  says: string;
  /** How many outputs the journal holds (what the time depends on). */
  outputs: number;
}

/** What the worker posts: a step starting, or the end (with the error's message when it failed). */
export type UpgradeMessage =
  | { kind: 'step'; version: number; name: string; says?: string }
  | { kind: 'done' }
  | { kind: 'failed'; message: string };

/** What the worker is handed. */
export interface UpgradeJob {
  path: string;
  nativeDir?: string;
}

/** The journal's migrations not yet run, and how many outputs it holds; none for a new journal. */
export function pendingUpgrade(
  path: string,
  nativeDir?: string,
  migrations: readonly Migration[] = allMigrations,
): { pending: Migration[]; outputs: number } {
  if (!existsSync(path)) return { pending: [], outputs: 0 };
  const binding = nativeDir ? join(nativeDir, 'better_sqlite3.node') : undefined;
  let db: Database.Database | null = null;
  try {
    db = new Database(path, {
      readonly: true,
      ...(binding && existsSync(binding) ? { nativeBinding: binding } : {}),
    });
    const version = userVersion(db);
    const pending = migrations.filter((m) => m.version > version);
    if (pending.length === 0) return { pending, outputs: 0 };
    const hasOutputs = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'outputs'`).get();
    const outputs = hasOutputs
      ? ((db.prepare('SELECT max(rowid) FROM outputs').pluck().get() as number | null) ?? 0)
      : 0;
    return { pending, outputs };
  } catch (err) {
    throw journalOpenError(path, err);
  } finally {
    db?.close();
  }
}

export interface UpgradeOptions {
  nativeDir?: string;
  /** The worker's script (built: journal-upgrade.js beside the entry); absent: the upgrade runs here. */
  workerScript?: string;
  onStep?: (step: UpgradeStep) => void;
  /** Told when the worker could not do it and the upgrade runs here instead (why). */
  onFallback?: (reason: string) => void;
}

/**
 * Runs the journal's pending migrations, in the worker when its script is there. Resolves when the
 * journal is up to date; a failure in the worker falls back to running here, where openJournal
 * reports it as it always has (a journal from a newer version, a broken file).
 */
export async function upgradeJournal(path: string, options: UpgradeOptions = {}): Promise<void> {
  const { pending, outputs } = pendingUpgrade(path, options.nativeDir);
  if (pending.length === 0) return;
  const tell = (version: number, says: string | undefined, name: string): void =>
    options.onStep?.({
      step: pending.findIndex((m) => m.version === version) + 1,
      of: pending.length,
      says: says ?? `Updating the journal (${name})`,
      outputs,
    });
  if (options.workerScript && existsSync(options.workerScript)) {
    const failed = await inWorker(
      options.workerScript,
      { path, ...(options.nativeDir ? { nativeDir: options.nativeDir } : {}) },
      tell,
    );
    if (!failed) return;
    options.onFallback?.(failed);
  }
  // What the worker left (a step it did is committed) runs here; its error is the real one.
  openJournal(path, {
    ...(options.nativeDir ? { nativeDir: options.nativeDir } : {}),
    onMigrate: (m) => tell(m.version, m.says, m.name),
  }).close();
}

/** Runs the upgrade in a worker; resolves with why it failed, or null when it is done. */
function inWorker(
  script: string,
  job: UpgradeJob,
  tell: (version: number, says: string | undefined, name: string) => void,
): Promise<string | null> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (failure: string | null): void => {
      if (settled) return;
      settled = true;
      resolve(failure);
    };
    const worker = new Worker(script, { workerData: job });
    worker.on('message', (message: UpgradeMessage) => {
      if (message.kind === 'step') tell(message.version, message.says, message.name);
      else settle(message.kind === 'done' ? null : message.message);
    });
    worker.on('error', (err) => settle(err.message));
    worker.on('exit', (code) =>
      settle(code === 0 ? 'the worker ended without a word' : `the worker exited with ${code}`),
    );
  });
}
