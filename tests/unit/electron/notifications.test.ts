// A job that ends while the window is in the background raises an OS notification that opens it.
import { beforeEach, expect, it, vi } from 'vitest';
vi.mock('electron', () => import('./fake-electron'));
import * as electron from './fake-electron';
import type { BrowserWindow } from 'electron';
import type { JobFinished } from '../../../shared/contract';
import { IPC_EVENT } from '../../../shared/contract';
import { SHELL_EVENTS } from '../../../electron/main/ipc';
import { notifyFinishedJobs } from '../../../electron/main/notifications';

beforeEach(() => electron.resetElectron());

const job: JobFinished = { jobId: 'job-1', state: 'completed', title: 'Portrait finished', body: '4 images' };

function setup(notifications = true) {
  let listener: ((job: JobFinished) => void) | undefined;
  const engine = {
    on: (_name: 'job.finished', l: (job: JobFinished) => void) => ((listener = l), () => {}),
    settings: { getSettings: () => ({ notifications }) },
  };
  const win = new electron.BrowserWindow();
  notifyFinishedJobs(engine, () => win as unknown as BrowserWindow);
  return { win, finish: () => listener?.(job) };
}

it('notifies when the window is in the background; a click shows the window and opens the job', () => {
  const { win, finish } = setup();
  finish();
  expect(electron.Notification.shown).toHaveLength(1);
  const note = electron.Notification.shown[0]!;
  expect(note.options).toEqual({ title: 'Portrait finished', body: '4 images' });
  note.emit('click');
  expect(win.calls).toEqual(['show', 'focus']);
  expect(win.webContents.sentOn(IPC_EVENT)).toEqual([[SHELL_EVENTS.openJob, { jobId: 'job-1' }]]);
});

it('stays quiet when the window is focused, the setting is off, or the OS has no notifications', () => {
  const focused = setup();
  focused.win.focused = true;
  focused.finish();
  setup(false).finish();
  electron.Notification.supported = false;
  setup().finish();
  expect(electron.Notification.shown).toHaveLength(0);
});
