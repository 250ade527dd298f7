// An engine on a real data folder talking to the fake cloud over loopback, with short timings.
import { Engine } from '../../../electron/engine/engine';
import type { SecretStore } from '../../../electron/engine/secrets';
import type { FakeCloud } from '../../fake-cloud/index';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventName, EventPayload } from '../../../shared/contract';
import { FIXTURES } from './journal-helpers';

/** Keys in memory: these tests are about jobs; the real keychain has its own tests. */
export function memorySecrets(initial: Record<string, string> = {}): SecretStore {
  const keys = new Map(Object.entries(initial));
  return {
    get: async (id) => keys.get(id) ?? null,
    set: async (id, key) => void keys.set(id, key),
    delete: async (id) => keys.delete(id),
    status: async () => ({ available: true }),
  };
}

export const FAST = {
  pingIntervalMs: 200,
  reconnectBaseMs: 20,
  reconnectMaxMs: 200,
  reconcileIntervalMs: 100,
  retryBaseMs: 20,
  downloadAttempts: 4,
  previewIntervalMs: 0,
};

export async function openEngine(
  dataDir: string,
  cloud: FakeCloud,
  extra: { key?: string | null } = {},
): Promise<Engine> {
  const profileId = cloud.mode === 'cloud' ? 'cloud' : 'local';
  const engine = await Engine.open({
    shell: 'host',
    dataDir,
    monitor: false,
    secrets: memorySecrets(extra.key === null ? {} : { cloud: extra.key ?? cloud.apiKey }),
    cloudUrl: cloud.url,
    timings: FAST,
    startJobs: false,
  });
  if (cloud.mode === 'local') {
    engine.settings.saveProfile({ id: 'local', name: 'Local', kind: 'local', url: cloud.url });
  }
  engine.settings.setSettings({ activeProfileId: profileId });
  await engine.jobs.start();
  return engine;
}

export function basicWorkflow(): Record<string, unknown> {
  const wf = JSON.parse(
    readFileSync(join(FIXTURES, 'workflows', 'comfyui-basic_api_example.api.json'), 'utf8'),
  ) as Record<string, { inputs: Record<string, unknown> }>;
  // The fake server has the recorded object_info of a machine with no model files: use what it lists.
  return wf;
}

export async function waitFor<T>(
  check: () => T | null | undefined | false,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function collect<E extends EventName>(engine: Engine, name: E): EventPayload<E>[] {
  const seen: EventPayload<E>[] = [];
  engine.on(name, (p) => void seen.push(p));
  return seen;
}
