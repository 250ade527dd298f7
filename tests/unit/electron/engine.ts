// A real engine in a temp data folder for the IPC and media tests: no keychain, no server probes.
import { afterEach } from 'vitest';
import { Engine } from '../../../electron/engine/engine';
import type { SecretStore } from '../../../electron/engine/secrets';
import { useTempDirs } from '../engine/tmp';

const noKeychain: SecretStore = {
  get: async () => null,
  set: async () => {
    throw new Error('no keychain in this test');
  },
  delete: async () => false,
  status: async () => ({ available: false, message: 'not in this test' }),
};

export function useEngines(): () => Promise<Engine> {
  const tempDir = useTempDirs();
  const open: Engine[] = [];
  afterEach(async () => {
    for (const engine of open.splice(0)) await engine.close();
  });
  return async () => {
    const engine = await Engine.open({
      shell: 'electron',
      dataDir: tempDir(),
      monitor: false,
      secrets: noKeychain,
      startJobs: false,
    });
    open.push(engine);
    return engine;
  };
}

/** Stores bytes in the engine's store, as a finished download would. */
export async function storeBytes(engine: Engine, bytes: Buffer): Promise<string> {
  const stored = await engine.jobs.store.ingest(
    (async function* () {
      yield bytes;
    })(),
  );
  return stored.hash;
}
