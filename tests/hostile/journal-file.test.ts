// The journal file itself as hostile input: random bytes, another kind of file, a folder, an empty
// file, a journal from a newer version, in the data folder the app (and the command line) opens.
// Each is refused with words a person can act on, naming the file, and the file is left as it was;
// an empty file is a new journal, as SQLite takes it.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { DeskError } from '../../shared/errors';
import { Engine } from '../../electron/engine/engine';
import { latestVersion, openJournal } from '../../electron/engine/journal/db';
import { memorySecrets } from '../unit/jobs/cloud-harness';
import { hostile, newTempDir } from './harness';

const BIN = join(import.meta.dirname, '../../electron/cli/bin.ts');

function open(dataDir: string): Promise<Engine> {
  return Engine.open({ shell: 'host', dataDir, monitor: false, startJobs: false, secrets: memorySecrets() });
}

/** A data folder whose journal is what `make` puts at its path. */
function dataDirWith(make: (path: string) => void): { dir: string; path: string } {
  const dir = newTempDir();
  const path = join(dir, 'journal.sqlite3');
  make(path);
  return { dir, path };
}

async function refusal(dataDir: string): Promise<DeskError> {
  const err = await open(dataDir).then(
    async (engine) => {
      await engine.close();
      return null;
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeskError);
  return err as DeskError;
}

const NOT_A_JOURNAL =
  /is not a Comfy Desk journal, or it is damaged \(SQLite: file is not a database\)\. It was left as it is/;

hostile('files', 'a journal of random bytes is refused as not a journal, and left as it was', async () => {
  const bytes = randomBytes(64 * 1024);
  const { dir, path } = dataDirWith((p) => writeFileSync(p, bytes));
  const err = await refusal(dir);
  expect(err.message).toMatch(NOT_A_JOURNAL);
  expect(err.message).toContain(path);
  expect(readFileSync(path).equals(bytes)).toBe(true);
});

hostile('files', 'a JSON file where the journal should be is refused the same way', async () => {
  const text = JSON.stringify({ jobs: [], note: 'not SQLite' }).repeat(200);
  const { dir, path } = dataDirWith((p) => writeFileSync(p, text));
  expect((await refusal(dir)).message).toMatch(NOT_A_JOURNAL);
  expect(readFileSync(path, 'utf8')).toBe(text);
});

hostile('files', 'a folder where the journal should be: it cannot be read, said so', async () => {
  const { dir, path } = dataDirWith((p) => mkdirSync(p));
  const err = await refusal(dir);
  expect(err.message).toMatch(
    /can't be read or written \(SQLite: .+\)\. Check that it is a file this user may read and write/,
  );
  expect(err.message).toContain(path);
});

hostile('files', 'an empty file is a new journal', async () => {
  const { dir } = dataDirWith((p) => writeFileSync(p, ''));
  const engine = await open(dir);
  try {
    expect(engine.parts.gallery.count({})).toBe(0);
  } finally {
    await engine.close();
  }
});

hostile('files', 'a journal from a newer version is refused, untouched', async () => {
  const { dir, path } = dataDirWith((p) => {
    const db = openJournal(p);
    db.pragma(`user_version = ${latestVersion() + 3}`);
    db.close();
  });
  const before = readFileSync(path);
  const err = await refusal(dir);
  expect(err.message).toMatch(/written by a newer version of Comfy Desk .*Update Comfy Desk to open it/);
  expect(readFileSync(path).equals(before)).toBe(true);
});

hostile(
  'files',
  'the command line on a journal of random bytes exits 3 and says what the file is',
  () => {
    const { dir, path } = dataDirWith((p) => writeFileSync(p, randomBytes(4096)));
    const run = spawnSync(process.execPath, ['--import', 'tsx', BIN, 'jobs', '--data', dir], { encoding: 'utf8' });
    expect(run.status).toBe(3);
    expect(run.stderr).toMatch(
      /^Cannot open the Comfy Desk data folder: The journal \(.+\) is not a Comfy Desk journal/m,
    );
    expect(run.stderr).toContain(path);
    expect(run.stdout).toBe('');
  },
  30_000,
);
