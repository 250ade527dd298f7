// SIGKILL in the middle of a submit and of a download, then a restart on the same data folder:
// the journal passes its integrity check, no job is submitted twice, and every output of every
// completed job is stored with the right hash.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openJournal, integrityCheck } from '../../../electron/engine/journal/db';
import { JobJournal } from '../../../electron/engine/journal/jobs';
import { OutputStore } from '../../../electron/engine/store';
import { startFakeCloud, type FakeCloud } from '../../fake-cloud/index';
import { useTempDirs } from '../engine/tmp';
import { waitFor } from './cloud-harness';

const tempDir = useTempDirs();
const children: ChildProcess[] = [];
const clouds: FakeCloud[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const c of clouds.splice(0)) await c.close();
});

function child(dataDir: string, cloud: FakeCloud, ...args: string[]): { proc: ChildProcess; out: () => string } {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'crash-child.ts'), dataDir, cloud.url, cloud.apiKey, ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(proc);
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { proc, out: () => out };
}

async function kill(proc: ChildProcess): Promise<void> {
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGKILL');
  await exited;
}

function verify(dataDir: string) {
  const db = openJournal(join(dataDir, 'journal.sqlite3'));
  try {
    expect(integrityCheck(db)).toEqual({ ok: true, problems: [] });
    const journal = new JobJournal(db);
    const store = new OutputStore(join(dataDir, 'store'));
    const jobs = db.prepare('SELECT id, state FROM jobs').all() as { id: string; state: string }[];
    for (const job of jobs.filter((j) => j.state === 'completed')) {
      for (const output of journal.outputs(job.id)) {
        expect(output.state).toBe('stored');
        const bytes = readFileSync(store.pathOf(output.hash!));
        expect(createHash('sha256').update(bytes).digest('hex')).toBe(output.hash);
      }
    }
    return jobs;
  } finally {
    db.close();
  }
}

describe('crash and restart', () => {
  it('killed mid-submit: after restart the job is found on the server, not sent again', async () => {
    const cloud = await startFakeCloud({ stepMs: 2, steps: 2 });
    clouds.push(cloud);
    // The server takes the request but answers late: the client dies not knowing the outcome.
    cloud.fault({ method: 'POST', path: '/prompt', answerDelayMs: 3000 });
    const dir = tempDir();
    const first = child(dir, cloud, 'submit', '1');
    await waitFor(() => cloud.acceptedCount() === 1, 'the server to accept the submit', 30_000);
    await kill(first.proc);

    const second = child(dir, cloud);
    await waitFor(
      () => /JOB \S+ completed/.test(second.out()) && /OUTPUT \d+ stored/.test(second.out()),
      'the job to complete after restart',
      30_000,
    );
    await kill(second.proc);
    const jobs = verify(dir);
    expect(jobs).toHaveLength(1);
    expect(cloud.acceptedByClientJob().get(jobs[0]!.id)).toBe(1);
    expect(cloud.acceptedCount()).toBe(1);
    const db = openJournal(join(dir, 'journal.sqlite3'));
    const causes = new JobJournal(db).events(jobs[0]!.id).map((e) => e.cause);
    db.close();
    expect(causes).toContain('lookup: the server already has this job');
  }, 60_000);

  it('killed mid-download: after restart the download resumes and the file is whole', async () => {
    const cloud = await startFakeCloud({ stepMs: 2, steps: 2 });
    clouds.push(cloud);
    cloud.fault({ path: '/signed/', bytesPerSecond: 4096, times: 1 });
    const dir = tempDir();
    const first = child(dir, cloud, 'submit', '1');
    await waitFor(() => /JOB \S+ completed/.test(first.out()), 'the job to complete', 30_000);
    const tmp = join(dir, 'store', 'tmp');
    await waitFor(
      () => existsSync(tmp) && readdirSync(tmp).some((f) => f.endsWith('.part') && statSync(join(tmp, f)).size > 8192),
      'a partial download of more than 8 KiB (a resume compares at least 4 KiB it has)',
      30_000,
    );
    await kill(first.proc);
    const partial = readdirSync(tmp).find((f) => f.endsWith('.part'))!;
    expect(statSync(join(tmp, partial)).size).toBeGreaterThan(0);

    const second = child(dir, cloud);
    await waitFor(() => /OUTPUT \d+ stored/.test(second.out()), 'the download to finish after restart', 30_000);
    await kill(second.proc);
    verify(dir);
    // The second attempt asked for the rest, not the whole file.
    expect(cloud.requests.some((r) => r.origin === 'signed' && /^bytes=[1-9]\d*-$/.test(String(r.headers.range)))).toBe(
      true,
    );
    expect(existsSync(join(tmp, partial))).toBe(false);
  }, 60_000);
});
