// Shared by the soak's parent and its engine child: short timings, an in-memory key store, the
// workflow the jobs run, and the result line every figure is printed as.

// Short timings, the in-memory key store and the workflow are the tests' own (cloud-harness):
// the soak runs the same engine the same way, only many more times.
export {
  FAST as SOAK_TIMINGS,
  memorySecrets,
  basicWorkflow as soakWorkflow,
} from '../../tests/unit/jobs/cloud-harness';
/** A small seeded generator (mulberry32), so a run can be repeated with --seed. */
export { rng as seededRandom } from '../../tests/fake-cloud/png';

/** The final job states, as the engine has them. */
export { FINAL_JOB_STATES as FINAL_STATES } from '../../shared/jobs';

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
