// One line per figure, the same shape in every benchmark, so runs can be compared:
//   BENCH <name> <value> <unit> goal=<goal> <ok|short>
export function report(name: string, value: number, unit: string, goal: string, ok: boolean): void {
  const shown = Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(2);
  console.log(`BENCH ${name} ${shown} ${unit} goal=${goal} ${ok ? 'ok' : 'short'}`);
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export function timed<T>(fn: () => T): { result: T; ms: number } {
  const start = performance.now();
  const result = fn();
  return { result, ms: performance.now() - start };
}
