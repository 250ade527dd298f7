import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DeskError } from '../../../shared/errors';
import { integrityCheck, latestVersion, openJournal, userVersion } from '../../../electron/engine/journal/db';
import { migrations } from '../../../electron/engine/journal/migrations/index';
import type { Migration } from '../../../electron/engine/journal/migrations/index';
import { useTempDirs } from './tmp';

const tempDir = useTempDirs();

describe('journal', () => {
  it('runs each migration once and keeps data across reopen', () => {
    const path = join(tempDir(), 'journal.sqlite3');
    let runs = 0;
    const counting: Migration[] = [
      ...migrations,
      {
        version: latestVersion() + 1,
        name: 'counting',
        up(db) {
          runs++;
          db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)');
        },
      },
    ];
    const db = openJournal(path, { migrations: counting });
    expect(userVersion(db)).toBe(latestVersion() + 1);
    db.prepare('INSERT INTO notes (text) VALUES (?)').run('kept');
    db.close();

    const again = openJournal(path, { migrations: counting });
    expect(runs).toBe(1);
    expect(again.prepare('SELECT text FROM notes').pluck().all()).toEqual(['kept']);
    again.close();
  });

  it('uses WAL, NORMAL sync, foreign keys and a busy timeout', () => {
    const db = openJournal(join(tempDir(), 'journal.sqlite3'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBeGreaterThan(0);
    db.close();
  });

  it('rolls back a failing migration entirely and leaves the version unchanged', () => {
    const path = join(tempDir(), 'journal.sqlite3');
    const failing: Migration[] = [
      ...migrations,
      {
        version: latestVersion() + 1,
        name: 'half-done',
        up(db) {
          db.exec('CREATE TABLE half (id INTEGER)');
          throw new Error('boom');
        },
      },
    ];
    expect(() => openJournal(path, { migrations: failing })).toThrow('boom');
    const raw = new Database(path);
    expect(raw.pragma('user_version', { simple: true })).toBe(latestVersion());
    expect(raw.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'half'").pluck().get()).toBe(0);
    raw.close();
  });

  it('refuses a journal written by a newer app, with a clear error, and leaves it untouched', () => {
    const path = join(tempDir(), 'journal.sqlite3');
    openJournal(path).close();
    const raw = new Database(path);
    raw.pragma(`user_version = ${latestVersion() + 5}`);
    raw.close();

    let error: unknown;
    try {
      openJournal(path);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DeskError);
    expect((error as DeskError).message).toMatch(/newer version of Comfy Desk/);
    expect((error as DeskError).message).toContain(String(latestVersion() + 5));
    const check = new Database(path);
    expect(check.pragma('user_version', { simple: true })).toBe(latestVersion() + 5);
    check.close();
  });

  it('refuses migrations with gaps in their numbering', () => {
    const gap: Migration[] = [...migrations, { version: latestVersion() + 2, name: 'gap', up() {} }];
    expect(() => openJournal(join(tempDir(), 'j.sqlite3'), { migrations: gap })).toThrow(/numbered/);
  });

  it('passes the integrity check, and reports a broken foreign key', () => {
    const db = openJournal(join(tempDir(), 'journal.sqlite3'));
    expect(integrityCheck(db)).toEqual({ ok: true, problems: [] });
    db.exec(
      'CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id))',
    );
    db.pragma('foreign_keys = OFF');
    db.prepare('INSERT INTO child (parent_id) VALUES (42)').run();
    const report = integrityCheck(db);
    expect(report.ok).toBe(false);
    expect(report.problems.join('\n')).toContain('child');
    db.close();
  });
});
