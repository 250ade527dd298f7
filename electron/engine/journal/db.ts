// Opening the journal: SQLite in WAL mode, migrations by PRAGMA user_version, one transaction each.
import Database from 'better-sqlite3';
import type { Database as DB } from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DeskError } from '../../../shared/errors';
import { migrations as allMigrations, type Migration } from './migrations/index';

export interface OpenJournalOptions {
  /** Migrations to run (defaults to all the app knows); injectable for tests. */
  migrations?: readonly Migration[];
  /** A folder holding an alternative better_sqlite3.node build (e.g. for Electron's ABI). */
  nativeDir?: string;
  busyTimeoutMs?: number;
  readonly?: boolean;
  /** Told before each migration runs: one that rebuilds over a million rows takes seconds, said so. */
  onMigrate?: (migration: Pick<Migration, 'version' | 'name' | 'says'>) => void;
}

export interface IntegrityReport {
  ok: boolean;
  /** What PRAGMA integrity_check and foreign_key_check found; empty when ok. */
  problems: string[];
}

export function latestVersion(migrations: readonly Migration[] = allMigrations): number {
  return migrations.reduce((max, m) => Math.max(max, m.version), 0);
}

export function openJournal(path: string, options: OpenJournalOptions = {}): DB {
  const migrations = [...(options.migrations ?? allMigrations)].sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(
        `Journal migrations must be numbered 1, 2, 3, …: found ${m.version} (${m.name}) at position ${i + 1}`,
      );
  });

  const dbOptions: Database.Options = {};
  if (options.readonly) dbOptions.readonly = true;
  if (options.nativeDir) {
    const binding = join(options.nativeDir, 'better_sqlite3.node');
    if (existsSync(binding)) dbOptions.nativeBinding = binding;
  }
  let db: DB;
  try {
    db = new Database(path, dbOptions);
  } catch (err) {
    throw journalOpenError(path, err);
  }
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    if (!options.readonly) db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');

    const known = latestVersion(migrations);
    const current = userVersion(db);
    if (current > known) {
      throw new DeskError(
        'conflict',
        `This journal (${path}) was written by a newer version of Comfy Desk (journal version ${current}; this app knows up to ${known}). ` +
          'Update Comfy Desk to open it; the file was left untouched.',
      );
    }
    if (!options.readonly) migrate(db, migrations, current, options.onMigrate);
    return db;
  } catch (err) {
    db.close();
    throw journalOpenError(path, err);
  }
}

/**
 * What SQLite says when the journal can't be opened, in words a person can act on: a file that is
 * not a journal (or is damaged), or one that can't be read or written. Anything else is kept as it is.
 */
export function journalOpenError(path: string, err: unknown): unknown {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return err;
  const sqlite = err instanceof Error ? err.message : String(err);
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT'))
    return new DeskError(
      'conflict',
      `The journal (${path}) is not a Comfy Desk journal, or it is damaged (SQLite: ${sqlite}). It was left as it is: ` +
        'move it aside and Comfy Desk starts a new one (the files in the store are kept).',
    );
  if (/^SQLITE_(IOERR|CANTOPEN|READONLY|PERM|AUTH|FULL)/.test(code))
    return new DeskError(
      'conflict',
      `The journal (${path}) can't be read or written (SQLite: ${sqlite}). Check that it is a file this user may read ` +
        'and write, on a disk that is there and not full.',
    );
  return err;
}

export function userVersion(db: DB): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function migrate(
  db: DB,
  migrations: readonly Migration[],
  from: number,
  onMigrate?: OpenJournalOptions['onMigrate'],
): void {
  for (const migration of migrations) {
    if (migration.version <= from) continue;
    onMigrate?.({
      version: migration.version,
      name: migration.name,
      ...(migration.says ? { says: migration.says } : {}),
    });
    db.transaction(() => {
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
}

/** PRAGMA integrity_check plus foreign_key_check. */
export function integrityCheck(db: DB): IntegrityReport {
  const problems: string[] = [];
  const rows = db.pragma('integrity_check') as { integrity_check: string }[];
  for (const row of rows) if (row.integrity_check !== 'ok') problems.push(row.integrity_check);
  const fk = db.pragma('foreign_key_check') as { table: string; rowid: number | null; parent: string; fkid: number }[];
  for (const row of fk)
    problems.push(`foreign key: ${row.table} row ${String(row.rowid)} points to a missing ${row.parent}`);
  return { ok: problems.length === 0, problems };
}
