// The window follows what another process writes to the same journal (the command line beside it).
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ChangeLog } from '../../../electron/engine/journal/changes';
import { openJournal } from '../../../electron/engine/journal/db';
import { JobJournal } from '../../../electron/engine/journal/jobs';
import { useTempDirs } from '../engine/tmp';
import { collect, openEngine, waitFor } from '../jobs/cloud-harness';
import type { FakeCloud } from '../../fake-cloud/index';

const tempDir = useTempDirs();
const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function writer(dir: string) {
  const db = openJournal(join(dir, 'journal.sqlite3'));
  closers.push(() => db.close());
  return new JobJournal(db);
}

function addJob(journal: JobJournal, id: string) {
  const workflowId = journal.saveWorkflow({ '1': { class_type: 'X', inputs: {} } }, 'from elsewhere');
  return journal.createJob({ id, profileId: 'cloud', workflowId, prompt: {}, state: 'outbox', cause: 'test' });
}

describe('ChangeLog', () => {
  it('names what another connection changed, and nothing when only this one wrote', () => {
    const dir = tempDir();
    const mine = openJournal(join(dir, 'journal.sqlite3'));
    closers.push(() => mine.close());
    const log = new ChangeLog(mine);
    addJob(new JobJournal(mine), 'own');
    expect(log.poll()).toBeNull();

    const other = writer(dir);
    addJob(other, 'theirs');
    other.transition('theirs', 'submitting', 'test');
    const { item } = other.addOutput('theirs', {
      nodeId: '9',
      kind: 'image',
      filename: 'a.png',
      subfolder: '',
      type: 'output',
    });
    const changes = log.poll();
    expect(changes?.jobIds).toContain('theirs');
    expect(changes?.outputIds).toEqual([item.id]);
    expect(log.poll()).toBeNull();
  });
});

describe('the engine follows other processes', () => {
  it('a job and an output written by another process reach the window as events within a second', async () => {
    const dir = tempDir();
    const cloud = { url: 'http://127.0.0.1:9', apiKey: 'k-000000000000', mode: 'cloud' } as FakeCloud;
    const engine = await openEngine(dir, cloud);
    closers.push(() => engine.close());
    const jobs = collect(engine, 'job.changed');
    const outputs = collect(engine, 'output.changed');
    const other = writer(dir);
    addJob(other, 'cli-job');
    const { item } = other.addOutput('cli-job', {
      nodeId: '9',
      kind: 'image',
      filename: 'b.png',
      subfolder: '',
      type: 'output',
    });
    await waitFor(() => jobs.some((j) => j.id === 'cli-job') && outputs.some((o) => o.id === item.id), 'events', 5_000);
    expect(jobs.find((j) => j.id === 'cli-job')?.workflowName).toBe('from elsewhere');
    // output.changed carries the gallery tile itself: the window shows it without asking again.
    expect(outputs.find((o) => o.id === item.id)).toMatchObject({
      workflowName: 'from elsewhere',
      profileId: 'cloud',
      jobState: 'outbox',
      filename: 'b.png',
    });
  });
});
