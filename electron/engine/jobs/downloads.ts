// Downloads every output the journal knows of into the content-addressed store, a bounded number at
// a time. Unfinished downloads are in the journal (state remote/downloading), so a restart resumes them.
import { DeskError } from '../../../shared/errors';
import type { JobSource, OutputItem } from '../../../shared/jobs';
import type { DownloadOptions, DownloadProgress } from '../store/download';
import type { OpenedBody } from '../cloud/http';
import type { JobJournal } from '../journal/jobs';
import {
  createLimiter,
  downloadTo,
  makeMediaThumbnail,
  makeThumbnail,
  verifyMediaFile,
  type Limiter,
  type OutputStore,
} from '../store';

export interface DownloaderDeps {
  journal: JobJournal;
  store: OutputStore;
  /** Opens an output's bytes on the server it came from (following a 302 to signed storage without the key). */
  open(profileId: string, ref: OutputItem, offset: number, signal: AbortSignal): Promise<OpenedBody>;
  concurrency: number;
  outputChanged(item: OutputItem): void;
  log: { warn(m: string, f?: Record<string, unknown>): void; info(m: string, f?: Record<string, unknown>): void };
  attempts?: number;
  retryBaseMs?: number;
  /** Whether an output found unfinished should be fetched (e.g. not when synced jobs' files are off). */
  wanted?: (output: OutputItem & { source: JobSource }) => boolean;
  /** Stall window, deadlines, the whole bound and rates of each download (tests make them short). */
  limits?: DownloadLimits;
}

export type DownloadLimits = Pick<
  DownloadOptions,
  'stallWindowMs' | 'minBytesPerWindow' | 'deadlineBaseMs' | 'minBytesPerSecond' | 'budgetMs' | 'openTimeoutMs'
>;

/** A download under way in this process: which output, how far, and when it is given up at the latest. */
export interface ActiveDownload extends DownloadProgress {
  outputId: number;
  jobId: string;
  filename: string;
}

export class Downloader {
  private readonly limiter: Limiter;
  private readonly queued = new Set<number>();
  private readonly abort = new AbortController();
  private readonly running = new Set<Promise<void>>();
  private readonly progress = new Map<number, ActiveDownload>();

  constructor(private readonly deps: DownloaderDeps) {
    this.limiter = createLimiter(deps.concurrency);
  }

  setConcurrency(n: number): void {
    this.limiter.setLimit(n);
  }

  /** Everything not yet stored, e.g. after a restart or a reconnect. */
  resumeAll(): void {
    for (const output of this.deps.journal.pendingOutputs()) {
      if (this.deps.wanted?.(output) ?? true) this.enqueue(output, output.profileId);
    }
  }

  enqueue(item: OutputItem, profileId: string): void {
    if (item.state === 'stored' || this.queued.has(item.id) || this.abort.signal.aborted) return;
    this.queued.add(item.id);
    const task = this.limiter
      .run(() => this.download(item, profileId))
      .catch((err: unknown) => this.deps.log.warn('download task failed', { output: item.id, error: String(err) }))
      .finally(() => {
        this.queued.delete(item.id);
        this.running.delete(task);
      });
    this.running.add(task);
  }

  /** Resolves when nothing is queued or downloading (the CLI and tests wait on it). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  close(): void {
    this.abort.abort();
  }

  /** The downloads under way in this process now (the command line says them while it waits). */
  active(): ActiveDownload[] {
    return [...this.progress.values()];
  }

  private async download(item: OutputItem, profileId: string): Promise<void> {
    const { journal, store } = this.deps;
    journal.markOutput(item.id, 'downloading', null, true);
    try {
      const stored = await downloadTo(
        store,
        `output-${item.id}`,
        (offset, signal) => this.deps.open(profileId, item, offset, signal ?? this.abort.signal),
        {
          signal: this.abort.signal,
          onProgress: (p) =>
            this.progress.set(item.id, { ...p, outputId: item.id, jobId: item.jobId, filename: item.filename }),
          // The bytes must be what the server's name for them says: an error page is not a PNG.
          verify: (path) => verifyMediaFile(path, { filename: item.filename }),
          onRetry: (attempt, err, delayMs) => {
            const message = `${err.message}; trying again in ${Math.ceil(delayMs / 1000)} s (attempt ${attempt + 1})`;
            journal.markOutput(item.id, 'downloading', message);
            this.deps.log.warn('download retry', { output: item.id, error: err.message, attempt });
            const now = journal.output(item.id);
            if (now) this.deps.outputChanged(now);
          },
          ...(this.deps.attempts !== undefined ? { attempts: this.deps.attempts } : {}),
          ...(this.deps.retryBaseMs !== undefined ? { baseDelayMs: this.deps.retryBaseMs } : {}),
          ...this.deps.limits,
        },
      );
      let dims: { width: number | null; height: number | null; phash: string | null } = {
        width: null,
        height: null,
        phash: null,
      };
      let hasThumb = false;
      let timing: { durationMs: number | null; fps: number | null } = { durationMs: null, fps: null };
      if (stored.mime.startsWith('image/')) {
        try {
          dims = await makeThumbnail(store, stored.hash);
          hasThumb = true;
        } catch (err) {
          // Verified whole, yet no thumbnail (e.g. a format sharp cannot scale): kept, shown without one.
          this.deps.log.warn('no thumbnail', { output: item.id, error: (err as Error).message });
        }
      } else if (stored.mime.startsWith('video/') || stored.mime.startsWith('audio/')) {
        // Its size, length and frame rate (ffprobe), and a poster or a waveform as its thumbnail;
        // a file ffmpeg cannot read is kept all the same, shown without them.
        const media = await makeMediaThumbnail(store, stored.hash, store.pathOf(stored.hash));
        if (media.ok) {
          const { probe, thumb } = media;
          dims = { width: probe.width, height: probe.height, phash: null };
          timing = { durationMs: probe.durationMs, fps: probe.fps };
          hasThumb = thumb.ok;
          if (!thumb.ok) this.deps.log.warn('no thumbnail', { output: item.id, error: thumb.reason });
        } else {
          this.deps.log.warn('media not probed', { output: item.id, error: media.reason });
        }
      }
      journal.outputStored(item.id, { ...stored, ...dims, ...timing, hasThumb });
    } catch (err) {
      if (this.abort.signal.aborted) return; // shutting down: stays "downloading", resumed next start
      if (err instanceof DeskError && err.code === 'conflict') {
        // Another process sharing the journal is downloading it; it writes the outcome.
        this.deps.log.info('download left to another process', { output: item.id });
        return;
      }
      journal.markOutput(item.id, 'failed', (err as Error).message);
      this.deps.log.warn('download failed', { output: item.id, error: (err as Error).message });
    } finally {
      this.progress.delete(item.id);
    }
    const after = journal.output(item.id);
    if (after) this.deps.outputChanged(after);
  }
}
