// The whole download's bound: every attempt together ends within it, whatever the storage does
// (no answer, a trickle), and the production bound for an output under 1 MB is under 2 minutes.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { downloadBudgetMs, downloadTo, type DownloadProgress } from '../../../electron/engine/store/download';
import { OutputStore } from '../../../electron/engine/store';
import { useTempDirs } from '../engine/tmp';

const tempDir = useTempDirs();

describe('downloadBudgetMs', () => {
  it('gives up an output under 1 MB within 2 minutes, all attempts together', () => {
    expect(downloadBudgetMs(undefined)).toBe(90_000);
    expect(downloadBudgetMs(1_000_000)).toBe(90_000);
    expect(downloadBudgetMs(1024 * 1024)).toBeLessThan(120_000);
  });

  it('adds time only for the bytes past the first MiB, at the minimum rate', () => {
    expect(downloadBudgetMs(1024 * 1024 + 64 * 1024)).toBe(91_000);
    expect(downloadBudgetMs(11 * 1024 * 1024, { budgetMs: 1000, minBytesPerSecond: 1024 * 1024 })).toBe(11_000);
  });
});

describe('downloadTo within its bound', () => {
  it('cuts attempts that get no answer, says the bound from the start, and ends within it', async () => {
    const store = new OutputStore(join(tempDir(), 'store'));
    const seen: DownloadProgress[] = [];
    let opened = 0;
    const started = Date.now();
    const failure = await downloadTo(
      store,
      'never',
      (_offset, signal) => {
        opened += 1;
        // Never answers; only the attempt's signal ends it.
        return new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason)));
      },
      { budgetMs: 1500, openTimeoutMs: 400, baseDelayMs: 20, maxDelayMs: 40, onProgress: (p) => seen.push(p) },
    ).then(
      () => new Error('stored, though it never could be'),
      (e: unknown) => e as Error,
    );
    const took = Date.now() - started;
    expect(failure).toBeInstanceOf(Error);
    expect(failure.message).toMatch(/did not answer within 0 s|took longer than 2 s in all/);
    expect(failure.message).toMatch(/\(gave up after [2-5] attempts in [12] s\)/);
    expect(opened).toBeGreaterThan(1);
    expect(took).toBeLessThan(1500 + 500);
    expect(seen[0]!.giveUpAt - seen[0]!.startedAt).toBe(1500);
  });

  it('cuts a trickle at its stall window and gives up at the bound', async () => {
    const store = new OutputStore(join(tempDir(), 'store'));
    const started = Date.now();
    const failure = await downloadTo(
      store,
      'trickle',
      async (_offset, signal) => ({
        status: 200,
        size: 10_000,
        body: (async function* () {
          for (;;) {
            if (signal?.aborted) throw signal.reason as Error;
            yield new Uint8Array(1);
            await new Promise((r) => setTimeout(r, 50));
          }
        })(),
      }),
      { budgetMs: 1200, stallWindowMs: 300, baseDelayMs: 20, maxDelayMs: 40 },
    ).then(
      () => new Error('stored, though it never could be'),
      (e: unknown) => e as Error,
    );
    expect(failure.message).toMatch(/stalled|took longer than 1 s in all/);
    expect(failure.message).toMatch(/gave up after \d attempts/);
    expect(Date.now() - started).toBeLessThan(1200 + 500);
  });
});
