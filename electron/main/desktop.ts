// What only the desktop can do with the engine's files: show one in its folder, open it with the
// system's default app, save a copy where the person says (a dialog: a link to desk-media:// does
// not download), drag outputs out to other apps (the thumbnail under the pointer); and the
// dock or taskbar saying how many jobs run and how far they are.
import { copyFile } from 'node:fs/promises';
import { app, dialog, nativeImage, shell, type BrowserWindow } from 'electron';
import type { DesktopActions } from '../engine/commands/types';
import { isFinalJobState, type JobSummary } from '../../shared/jobs';

export function desktopActions(getWindow: () => BrowserWindow | undefined, appIcon: string): DesktopActions {
  return {
    reveal: (path) => shell.showItemInFolder(path),
    open: async (path) => {
      // openPath answers with the system's reason, or '' when the file opened.
      const failure = await shell.openPath(path);
      if (failure) throw new Error(`The file could not be opened: ${failure}`);
    },
    saveAs: async (path, suggestedName) => {
      const win = getWindow();
      const options = { defaultPath: suggestedName };
      const answer =
        win && !win.isDestroyed() ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
      if (answer.canceled || !answer.filePath) return false;
      await copyFile(path, answer.filePath);
      return true;
    },
    startDrag: (paths, icon) => {
      const win = getWindow();
      if (!win || win.isDestroyed() || paths.length === 0) return;
      // macOS refuses a drag without an icon: the app's own stands in for a missing thumbnail.
      const image = nativeImage.createFromPath(icon ?? appIcon);
      win.webContents.startDrag({
        file: paths[0]!,
        files: paths,
        icon: image.isEmpty() ? nativeImage.createFromPath(appIcon) : image,
      });
    },
  };
}

/**
 * The dock badge (macOS, Linux Unity) says how many jobs are open; the taskbar or dock progress
 * shows how far the running ones are, and goes away when none runs.
 */
export function showJobProgress(
  engine: { on(name: 'job.changed', listener: (job: JobSummary) => void): () => void },
  getWindow: () => BrowserWindow | undefined,
): () => void {
  const open = new Map<string, JobSummary>();
  return engine.on('job.changed', (job) => {
    if (isFinalJobState(job.state)) open.delete(job.id);
    else open.set(job.id, job);
    app.setBadgeCount(open.size);
    const running = [...open.values()].filter((j) => j.state === 'running');
    const progress = running.length
      ? running.reduce((sum, j) => sum + (j.progress?.overall ?? 0), 0) / running.length
      : -1; // -1 takes the bar away
    const win = getWindow();
    if (win && !win.isDestroyed()) win.setProgressBar(progress);
  });
}
