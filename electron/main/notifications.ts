// An OS notification when a job ends while the window is in the background (a setting), with the
// first output's thumbnail when it arrives soon enough; clicking it brings the window forward and
// asks the page to open that job.
import { Notification, nativeImage, type BrowserWindow } from 'electron';
import type { EventPayload, JobFinished } from '../../shared/contract';
import { SHELL_EVENTS, sendToWindow } from './ipc';
import { revealWindow } from './window';

export interface NotifyingEngine {
  on<E extends 'job.finished' | 'output.changed'>(name: E, listener: (payload: EventPayload<E>) => void): () => void;
  media(hash: string, variant: 'thumb'): Promise<{ path: string } | null>;
  readonly settings: { getSettings(): { notifications: boolean } };
}

/** How long a finished job's notification waits for its first thumbnail. */
const THUMB_WAIT_MS = 8_000;

export function notifyFinishedJobs(
  engine: NotifyingEngine,
  getWindow: () => BrowserWindow | undefined,
  thumbWaitMs = THUMB_WAIT_MS,
): void {
  const show = (job: JobFinished, icon: string | null): void => {
    const win = getWindow();
    if (!win || win.isDestroyed() || win.isFocused() || !Notification.isSupported()) return;
    if (!engine.settings.getSettings().notifications) return;
    const note = new Notification({
      title: job.title,
      body: job.body,
      ...(icon ? { icon: nativeImage.createFromPath(icon) } : {}),
    });
    note.on('click', () => {
      revealWindow(getWindow());
      sendToWindow(getWindow(), SHELL_EVENTS.openJob, { jobId: job.jobId });
    });
    note.show();
  };
  engine.on('job.finished', (job) => {
    if (job.state !== 'completed') return show(job, null);
    // Outputs arrive after the job ends: its first thumbnail, or none after a short wait.
    let done = false;
    const finish = (icon: string | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      stop();
      show(job, icon);
    };
    const timer = setTimeout(() => finish(null), thumbWaitMs);
    const stop = engine.on('output.changed', (output) => {
      if (output.jobId !== job.jobId || !output.hash || !output.hasThumb) return;
      void engine.media(output.hash, 'thumb').then(
        (thumb) => finish(thumb?.path ?? null),
        () => finish(null),
      );
    });
  });
}
