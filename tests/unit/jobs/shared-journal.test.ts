// The app and the command line on one journal: a job another live process is sending is neither
// sent here nor marked with this process's troubles; once that process is gone, it is taken over.
import { afterEach, expect, it } from 'vitest';
import { startFakeCloud } from '../../fake-cloud/index';
import { useTempDirs } from '../engine/tmp';
import { basicWorkflow, openEngine, waitFor } from './cloud-harness';

const tempDir = useTempDirs();
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

it("another live process's job is left to it; a dead process's job is taken over and sent once", async () => {
  const cloud = await startFakeCloud({ stepMs: 2, steps: 2 });
  closers.push(() => cloud.close());
  cloud.holdQueue(true);
  const engine = await openEngine(tempDir(), cloud);
  closers.push(() => engine.close());
  const { journal } = engine.jobs;
  // A job another process (alive: our parent) claimed and is sending.
  const foreign = journal.createJob({
    id: 'foreign-job',
    profileId: 'cloud',
    workflowId: journal.saveWorkflow(basicWorkflow(), 'theirs'),
    prompt: basicWorkflow(),
    state: 'outbox',
    cause: 'test',
  });
  engine.journal
    .prepare('UPDATE jobs SET submit_owner = ? WHERE id = ?')
    .run(`${process.ppid}:1:${Date.now()}`, foreign.id);

  // Our job meets a server that refuses for a while: it waits, saying why; theirs is not touched.
  cloud.fault({ method: 'POST', path: '/prompt', status: 503, times: 3 });
  const [ours] = await engine.invoke('jobs.submit', { workflow: basicWorkflow(), name: 'ours' });
  await waitFor(() => journal.get(ours!.id)?.waiting, 'our job to wait');
  expect(journal.get(foreign.id)?.waiting).toBeNull();
  await waitFor(() => journal.get(ours!.id)?.promptId, 'our job to be sent');
  expect(cloud.acceptedByClientJob().has(foreign.id)).toBe(false);

  // Their process is gone (a pid that is not running): the job is ours to send, once.
  engine.journal.prepare('UPDATE jobs SET submit_owner = ? WHERE id = ?').run(`2147483646:1:${Date.now()}`, foreign.id);
  engine.jobs.service.retryNow('cloud');
  await waitFor(() => journal.get(foreign.id)?.promptId, 'their job to be taken over');
  expect(cloud.acceptedByClientJob().get(foreign.id)).toBe(1);
});
