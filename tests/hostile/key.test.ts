// The key is bound to the server it was entered for, and what a server echoes back of it is
// never stored, emitted or shown.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import type { SecretStore } from '../../electron/engine/secrets';
import { FAST, memorySecrets } from '../unit/jobs/cloud-harness';
import { basicWorkflow, collect, finalJob, hostile, newTempDir, onCleanup, rig, startCloud, waitFor } from './harness';

/** Every byte the journal keeps on disk (the database and its WAL). */
function journalBytes(dir: string): string {
  return readdirSync(dir)
    .filter((f) => f.startsWith('journal'))
    .map((f) => readFileSync(join(dir, f)).toString('latin1'))
    .join('\n');
}

/** Requests that carried the key, by header or in the URL (the socket's ?token=). */
function carrying(requests: { url: string; headers: Record<string, unknown> }[], key: string) {
  return requests.filter((r) => r.headers['x-api-key'] === key || r.url.includes(encodeURIComponent(key)));
}

hostile('key', 'pointing a profile at another server forgets its key: not one request there carries it', async () => {
  const { cloud, engine } = await rig();
  const evil = await startCloud({ apiKey: 'evil-server-key-0000' });
  const changed = collect(engine, 'key.changed');
  expect((await engine.invoke('key.status', { profileId: 'cloud' })).hasKey).toBe(true);
  await engine.invoke('profiles.save', { id: 'cloud', name: 'Comfy Cloud', kind: 'cloud', url: evil.url });
  expect((await engine.invoke('key.status', { profileId: 'cloud' })).hasKey).toBe(false);
  expect(changed.some((s) => s.profileId === 'cloud' && !s.hasKey)).toBe(true);
  // The engine talks to the new address (socket, test, submit): never with the old key.
  await engine.invoke('key.test', { profileId: 'cloud' });
  await engine.invoke('jobs.submit', { workflow: basicWorkflow(), name: 'retargeted' });
  await waitFor(() => evil.requests.length > 0, 'the new server to be asked');
  await new Promise((r) => setTimeout(r, 300));
  expect(carrying(evil.requests, cloud.apiKey)).toEqual([]);
});

hostile('key', 'renaming a profile (same server) keeps its key', async () => {
  const { cloud, engine } = await rig();
  await engine.invoke('profiles.save', { id: 'cloud', name: 'My cloud', kind: 'cloud', url: `${cloud.url}/` });
  expect((await engine.invoke('key.status', { profileId: 'cloud' })).hasKey).toBe(true);
});

hostile('key', 'making a cloud profile a local one forgets the key (a local server never gets it)', async () => {
  const { cloud, engine } = await rig();
  await engine.invoke('profiles.save', { id: 'cloud', name: 'Now local', kind: 'local', url: cloud.url });
  expect((await engine.invoke('key.status', { profileId: 'cloud' })).hasKey).toBe(false);
});

hostile('key', 'a keychain that will not forget the key: the address is not changed', async () => {
  const cloud = await startCloud();
  const evil = await startCloud({ apiKey: 'evil-server-key-0000' });
  const stuck: SecretStore = {
    ...memorySecrets({ cloud: cloud.apiKey }),
    delete: async () => {
      throw new Error('The keychain is locked');
    },
  };
  const engine = await Engine.open({
    shell: 'host',
    dataDir: newTempDir(),
    monitor: false,
    secrets: stuck,
    cloudUrl: cloud.url,
    timings: FAST,
    startJobs: false,
  });
  onCleanup(() => engine.close());
  await expect(
    engine.invoke('profiles.save', { id: 'cloud', name: 'Comfy Cloud', kind: 'cloud', url: evil.url }),
  ).rejects.toMatchObject({ code: 'keychain_unavailable' });
  expect(engine.settings.getProfile('cloud')?.url).toBe(cloud.url);
  expect(carrying(evil.requests, cloud.apiKey)).toEqual([]);
});

hostile('key', 'a key echoed in an HTTP error is in neither the journal, the events nor the message', async () => {
  const { cloud, engine, dir } = await rig();
  const events: unknown[] = [];
  engine.onAny((name, payload) => events.push({ name, payload }));
  cloud.fault({ method: 'POST', path: '/prompt', status: 403, echoKey: true, times: 10 });
  const [job] = await engine.invoke('jobs.submit', { workflow: basicWorkflow(), name: 'echo' });
  const waiting = await waitFor(() => engine.jobs.journal.get(job!.id)?.waiting, 'the job to wait');
  expect(waiting.needsPerson).toBe(true);
  expect(waiting.message).toContain('[redacted]');
  expect(waiting.message).not.toContain(cloud.apiKey);
  expect(JSON.stringify(events)).not.toContain(cloud.apiKey);
  expect(journalBytes(dir)).not.toContain(cloud.apiKey);
});

hostile('key', 'a key echoed in a WebSocket execution_error is not journaled', async () => {
  const { cloud, engine, dir } = await rig();
  cloud.holdQueue(true);
  const [job] = await engine.invoke('jobs.submit', { workflow: basicWorkflow(), name: 'ws echo' });
  const promptId = await waitFor(() => engine.jobs.journal.get(job!.id)?.promptId, 'a prompt id');
  const events: unknown[] = [];
  engine.onAny((name, payload) => events.push({ name, payload }));
  cloud.injectWs(
    JSON.stringify({
      type: 'execution_error',
      data: {
        prompt_id: promptId,
        node_id: '3',
        exception_message: `401 from upstream with X-API-Key: ${cloud.apiKey}`,
        traceback: [`token=${cloud.apiKey}`, `key ${cloud.apiKey}`],
      },
    }),
  );
  const failed = await waitFor(() => finalJob(engine, job!.id), 'the job to fail');
  expect(failed.state).toBe('failed');
  expect(failed.error?.message).toContain('[redacted]');
  expect(JSON.stringify(events)).not.toContain(cloud.apiKey);
  expect(journalBytes(dir)).not.toContain(cloud.apiKey);
});

hostile('key', 'the key reaches signed storage never, by header or URL, across a run', async () => {
  const { cloud, engine } = await rig();
  const [job] = await engine.invoke('jobs.submit', { workflow: basicWorkflow(), name: 'storage' });
  await waitFor(() => {
    const outputs = engine.jobs.journal.outputs(job!.id);
    return outputs.length > 0 && outputs.every((o) => o.state === 'stored');
  }, 'outputs stored');
  const signed = cloud.requests.filter((r) => r.origin === 'signed');
  expect(signed.length).toBeGreaterThan(0);
  expect(carrying(signed, cloud.apiKey)).toEqual([]);
  expect(signed.every((r) => r.headers['x-api-key'] === undefined)).toBe(true);
});

hostile('key', 'a partner node takes the key on the wire, but the journal never keeps it', async () => {
  const { cloud, engine, dir } = await rig();
  const workflow = JSON.parse(
    readFileSync(
      join(import.meta.dirname, '../../../shared/fixtures/workflows/docs-partner_node_flux_pro_ultra.api.json'),
      'utf8',
    ),
  ) as Record<string, unknown>;
  const [job] = await engine.invoke('jobs.submit', { workflow, name: 'partner' });
  await waitFor(() => finalJob(engine, job!.id), 'the job to end');
  expect(cloud.requests.some((r) => r.method === 'POST' && r.url === '/api/prompt')).toBe(true);
  expect(journalBytes(dir)).not.toContain(cloud.apiKey);
});
