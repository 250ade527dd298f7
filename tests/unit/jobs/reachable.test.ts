// "Offline" while jobs run: an answer from the server means it is back, so the socket reconnects
// at once instead of waiting out its backoff (and the window stops saying Offline).
import { createServer } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { Engine } from '../../../electron/engine/engine';
import { startFakeCloud, type FakeCloud } from '../../fake-cloud/index';
import { useTempDirs } from '../engine/tmp';
import { basicWorkflow, FAST, memorySecrets, waitFor } from './cloud-harness';

const tempDir = useTempDirs();
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

it('a job sent once the server is back brings the socket back with it, long before its backoff', async () => {
  const port = await freePort();
  const key = 'test-key-0123456789abcdef';
  const engine = await Engine.open({
    shell: 'host',
    dataDir: tempDir(),
    monitor: false,
    secrets: memorySecrets({ cloud: key }),
    cloudUrl: `http://127.0.0.1:${port}`,
    // The socket waits 15 to 30 s between attempts; the outbox tries every few ms.
    timings: { ...FAST, reconnectBaseMs: 30_000, reconnectMaxMs: 30_000 },
  });
  closers.push(() => engine.close());
  const [job] = await engine.invoke('jobs.submit', { workflow: basicWorkflow(), name: 'offline' });
  await waitFor(() => engine.jobs.socketStateOf('cloud') === 'closed', 'the socket to give up for now');

  const cloud: FakeCloud = await startFakeCloud({ port, stepMs: 2, steps: 2 });
  closers.push(() => cloud.close());
  await waitFor(() => engine.jobs.journal.get(job!.id)?.promptId, 'the outbox to send the job');
  // Well inside the socket's own 15 s backoff: it came back because the server answered.
  await waitFor(() => engine.jobs.socketStateOf('cloud') === 'open', 'the socket to reconnect', 5_000);
  const done = await waitFor(() => {
    const j = engine.jobs.journal.get(job!.id);
    return j?.state === 'completed' ? j : null;
  }, 'the job to complete');
  expect(done.progress?.overall).toBe(1);
});
