// The desktop's own actions on the engine's files, and the dock or taskbar following the jobs.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, expect, it, vi } from 'vitest';
vi.mock('electron', () => import('./fake-electron'));
import * as electron from './fake-electron';
import type { BrowserWindow } from 'electron';
import type { JobSummary } from '../../../shared/jobs';
import { desktopActions, showJobProgress } from '../../../electron/main/desktop';

beforeEach(() => electron.resetElectron());

function windowed() {
  const win = new electron.BrowserWindow();
  return { win, get: () => win as unknown as BrowserWindow };
}

it('reveals a file, opens it with the default app, and says why when the system cannot', async () => {
  const { get } = windowed();
  const actions = desktopActions(get, '/app/icon.png');
  actions.reveal('/data/store/ab/abc.png');
  expect(electron.shell.shown).toEqual(['/data/store/ab/abc.png']);
  await actions.open('/data/store/ab/abc.png');
  expect(electron.shell.openedPaths).toEqual(['/data/store/ab/abc.png']);
  electron.shell.openPath = () => Promise.resolve('No application knows how to open this file');
  await expect(actions.open('/x.webm')).rejects.toThrow(/could not be opened: No application knows/);
});

it('saves a copy where the person says in the save dialog; a cancel saves nothing', async () => {
  const { get } = windowed();
  const actions = desktopActions(get, '/app/icon.png');
  const dir = mkdtempSync(join(tmpdir(), 'desk-save-'));
  const source = join(dir, 'stored.png');
  writeFileSync(source, 'the bytes');
  electron.dialog.answer = { canceled: false, filePaths: [], filePath: join(dir, 'chosen.png') };
  expect(await actions.saveAs(source, 'grid.png')).toBe(true);
  expect(readFileSync(join(dir, 'chosen.png'), 'utf8')).toBe('the bytes');
  expect(electron.dialog.calls).toEqual([{ method: 'showSaveDialog', options: { defaultPath: 'grid.png' } }]);
  electron.dialog.answer = { canceled: true, filePaths: [], filePath: '' };
  expect(await actions.saveAs(source, 'again.png')).toBe(false);
  rmSync(dir, { recursive: true, force: true });
});

it('drags the files out with the thumbnail as the icon, the app icon when there is none', () => {
  const { win, get } = windowed();
  const actions = desktopActions(get, '/app/icon.png');
  actions.startDrag(['/a.png', '/b.png'], '/thumbs/a.webp');
  actions.startDrag(['/c.png'], null);
  expect(win.webContents.drags).toEqual([
    { file: '/a.png', files: ['/a.png', '/b.png'], icon: expect.objectContaining({ source: '/thumbs/a.webp' }) },
    { file: '/c.png', files: ['/c.png'], icon: expect.objectContaining({ source: '/app/icon.png' }) },
  ]);
  win.close();
  actions.startDrag(['/d.png'], null); // no window: nothing to drag from, and no throw
  expect(win.webContents.drags).toHaveLength(2);
});

it('the badge counts open jobs, the progress bar follows the running ones and goes away after', () => {
  const { win, get } = windowed();
  let listener: (job: JobSummary) => void = () => {};
  showJobProgress({ on: (_n, l) => ((listener = l), () => {}) }, get);
  const job = (id: string, state: JobSummary['state'], overall = 0) =>
    ({ id, state, progress: { overall } }) as unknown as JobSummary;
  listener(job('a', 'running', 0.5));
  listener(job('b', 'pending'));
  expect(electron.app.badgeCount).toBe(2);
  expect(win.calls.at(-1)).toBe('progress:0.5');
  listener(job('a', 'completed'));
  expect(electron.app.badgeCount).toBe(1);
  expect(win.calls.at(-1)).toBe('progress:-1');
  listener(job('b', 'cancelled'));
  expect(electron.app.badgeCount).toBe(0);
});
