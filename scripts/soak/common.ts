// Shared by the soak's parent and its engine child: short timings, an in-memory key store, the
// workflow the jobs run, and the result line every figure is printed as.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobsTimings } from '../../electron/engine/jobs/module';
import type { SecretStore } from '../../electron/engine/secrets';

/** Short engine timings (as the tests use): reconnects, reconciles and retries happen fast. */
export const SOAK_TIMINGS: JobsTimings = {
  pingIntervalMs: 200,
  reconnectBaseMs: 20,
  reconnectMaxMs: 200,
  reconcileIntervalMs: 100,
  retryBaseMs: 20,
  downloadAttempts: 4,
  previewIntervalMs: 0,
};

/** The key lives in memory: the soak is about jobs and the journal, not the OS keychain. */
export function memorySecrets(initial: Record<string, string> = {}): SecretStore {
  const keys = new Map(Object.entries(initial));
  return {
    get: async (id) => keys.get(id) ?? null,
    set: async (id, key) => void keys.set(id, key),
    delete: async (id) => keys.delete(id),
    status: async () => ({ available: true }),
  };
}

/** The shared fixtures live next to the repository (as for the unit tests). */
export const FIXTURES = join(import.meta.dirname, '../../../shared/fixtures');

export function soakWorkflow(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(FIXTURES, 'workflows', 'comfyui-basic_api_example.api.json'), 'utf8')) as Record<
    string,
    unknown
  >;
}

export const FINAL_STATES = ['completed', 'failed', 'cancelled', 'interrupted'] as const;

/** One line per figure, like the benchmarks: `SOAK <name> <value> <unit> goal=<goal> <ok|short>`. */
export class Report {
  readonly lines: { name: string; ok: boolean }[] = [];

  line(name: string, value: number | string, unit: string, goal: string, ok: boolean): void {
    const shown =
      typeof value === 'string'
        ? value
        : Number.isInteger(value) || Math.abs(value) >= 100
          ? value.toFixed(0)
          : value.toFixed(1);
    console.log(`SOAK ${name} ${shown} ${unit} goal=${goal} ${ok ? 'ok' : 'short'}`);
    this.lines.push({ name, ok });
  }

  /** A count that must be `goal` exactly (0 for failures, N for completions). */
  exact(name: string, value: number, goal: number, unit = 'count'): void {
    this.line(name, value, unit, String(goal), value === goal);
  }

  get short(): string[] {
    return this.lines.filter((l) => !l.ok).map((l) => l.name);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A small seeded generator (mulberry32), so a run can be repeated with --seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
