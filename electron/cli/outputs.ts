// A run's outputs, for the person at the command line: while they download, which file, how much,
// the rate when it is slow, each retry and why, and when the download is given up at the latest;
// once stored, where each file is in the store.
import type { OutputItem } from '../../shared/jobs';
import type { Engine } from '../engine/engine';
import type { ActiveDownload, DownloadLimits } from '../engine/jobs/downloads';

/** Below this a download is called slow (the rate a download's deadline assumes). */
const SLOW_BYTES_PER_SECOND = 64 * 1024;

export interface FollowOptions {
  /** How often active downloads are looked at (default 1 s). */
  tickMs?: number;
  /** How often a download still under way is said again, with how far it got (default 5 s). */
  everyMs?: number;
}

/** Says the downloads of these jobs' outputs until `stop()`. */
export function followDownloads(
  engine: Engine,
  jobIds: string[],
  err: NodeJS.WritableStream,
  options: FollowOptions = {},
): { stop(): void } {
  const wanted = new Set(jobIds);
  const seen = new Map<number, { at: number; received: number; attempt: number; saidAt: number }>();
  const say = (d: ActiveDownload, text: string): void => {
    err.write(`job ${d.jobId.slice(0, 8)}: downloading ${d.filename}: ${text}\n`);
  };
  const tick = (): void => {
    const now = Date.now();
    for (const d of engine.jobs.downloads.active()) {
      if (!wanted.has(d.jobId)) continue;
      const left = `gives up in ${Math.max(0, Math.ceil((d.giveUpAt - now) / 1000))} s at the latest`;
      const before = seen.get(d.outputId);
      if (!before) {
        const bound = Math.round((d.giveUpAt - d.startedAt) / 1000);
        say(d, `${amount(d)}; all attempts together end within ${bound} s (${left})`);
        seen.set(d.outputId, { at: now, received: d.received, attempt: d.attempt, saidAt: now });
        continue;
      }
      if (now - before.saidAt < (options.everyMs ?? 5000)) continue;
      // The rate of this attempt since it was last said (a new attempt starts it again).
      const rate = before.attempt === d.attempt ? ((d.received - before.received) * 1000) / (now - before.at) : null;
      const slow = rate !== null && rate < SLOW_BYTES_PER_SECOND ? `, ${bytes(rate)}/s (slow)` : '';
      say(d, `${amount(d)}${slow}; attempt ${d.attempt} of ${d.attempts}, ${left}`);
      seen.set(d.outputId, { at: now, received: d.received, attempt: d.attempt, saidAt: now });
    }
  };
  // A retry is said as it is decided, with why.
  const stopOutputs = engine.on('output.changed', (output: OutputItem) => {
    if (wanted.has(output.jobId) && output.state === 'downloading' && output.error)
      err.write(`job ${output.jobId.slice(0, 8)}: downloading ${output.filename}: ${output.error}\n`);
  });
  const timer = setInterval(tick, options.tickMs ?? 1000);
  tick();
  return {
    stop() {
      clearInterval(timer);
      stopOutputs();
    },
  };
}

/** Each stored output of these jobs and its file in the store. */
export async function writeStored(engine: Engine, jobIds: string[], out: NodeJS.WritableStream): Promise<void> {
  const lines: string[] = [];
  for (const jobId of jobIds) {
    for (const output of engine.jobs.journal.outputs(jobId)) {
      if (output.state !== 'stored' || !output.hash) continue;
      const path = await engine.jobs.store.locate(output.hash);
      if (path) lines.push(`  ${output.filename}${output.type === 'temp' ? ' (preview)' : ''}: ${path}\n`);
    }
  }
  if (lines.length > 0) out.write(`Stored ${lines.length} output(s):\n${lines.join('')}`);
}

/**
 * The engine's download limits from COMFY_DESK_DOWNLOAD_LIMITS (JSON, for tests that cannot wait
 * 90 s); only the known ones, as positive numbers. Unset: none, and the engine's own hold (an
 * output under 1 MiB is given up within 90 s).
 */
export function downloadTimingsFromEnv(env: NodeJS.ProcessEnv = process.env): {
  timings?: { downloadLimits: DownloadLimits };
} {
  const limits = downloadLimitsOf(env.COMFY_DESK_DOWNLOAD_LIMITS);
  return limits ? { timings: { downloadLimits: limits } } : {};
}

function downloadLimitsOf(text: string | undefined): DownloadLimits | undefined {
  if (!text) return undefined;
  const keys = [
    'stallWindowMs',
    'minBytesPerWindow',
    'deadlineBaseMs',
    'minBytesPerSecond',
    'budgetMs',
    'openTimeoutMs',
  ] as const;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const limits: DownloadLimits = {};
  for (const key of keys) {
    const value = (parsed as Record<string, unknown> | null)?.[key];
    if (typeof value === 'number' && Number.isFinite(value) && value > 0) limits[key] = value;
  }
  return limits;
}

function amount(d: ActiveDownload): string {
  return d.size !== undefined ? `${bytes(d.received)} of ${bytes(d.size)}` : `${bytes(d.received)} so far`;
}

function bytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${Math.round(n)} B`;
}
