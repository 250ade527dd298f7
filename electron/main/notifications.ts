// An OS notification when a job ends while the window is in the background (a setting); clicking
// it brings the window forward and asks the page to open that job.
import { Notification, type BrowserWindow } from 'electron';
import type { JobFinished } from '../../shared/contract';
import { SHELL_EVENTS, sendToWindow } from './ipc';
import { revealWindow } from './window';

export interface NotifyingEngine {
  on(name: 'job.finished', listener: (job: JobFinished) => void): () => void;
  readonly settings: { getSettings(): { notifications: boolean } };
}

export function notifyFinishedJobs(engine: NotifyingEngine, getWindow: () => BrowserWindow | undefined): void {
  engine.on('job.finished', (job) => {
    const win = getWindow();
    if (!win || win.isDestroyed() || win.isFocused() || !Notification.isSupported()) return;
    if (!engine.settings.getSettings().notifications) return;
    const note = new Notification({ title: job.title, body: job.body });
    note.on('click', () => {
      revealWindow(getWindow());
      sendToWindow(getWindow(), SHELL_EVENTS.openJob, { jobId: job.jobId });
    });
    note.show();
  });
}
