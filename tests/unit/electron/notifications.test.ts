// A job that ends while the window is in the background raises an OS notification that opens it.
import { beforeEach, expect, it, vi } from 'vitest';
vi.mock('electron', () => import('./fake-electron'));
import * as electron from './fake-electron';
import type { BrowserWindow } from 'electron';
import type { JobFinished } from '../../../shared/contract';
import { IPC_EVENT } from '../../../shared/contract';
import { SHELL_EVENTS } from '../../../electron/main/ipc';
import { notifyFinishedJobs, type NotifyingEngine } from '../../../electron/main/notifications';
import type { GalleryItem } from '../../../shared/jobs';

beforeEach(() => electron.resetElectron());

const job: JobFinished = { jobId: 'job-1', state: 'completed', title: 'Portrait finished', body: '4 images' };

function setup(notifications = true, finished: JobFinished = { ...job, state: 'failed' }) {
  let onFinished: ((job: JobFinished) => void) | undefined;
  const onOutput = new Set<(output: GalleryItem) => void>();
  const engine = {
    on: ((name: string, l: (payload: never) => void) => {
      if (name === 'job.finished') onFinished = l as (job: JobFinished) => void;
      else onOutput.add(l as (output: GalleryItem) => void);
      return () => void onOutput.delete(l as (output: GalleryItem) => void);
    }) as NotifyingEngine['on'],
    media: async (hash: string) => ({ path: `/thumbs/${hash}.webp` }),
    settings: { getSettings: () => ({ notifications }) },
  };
  const win = new electron.BrowserWindow();
  notifyFinishedJobs(engine, () => win as unknown as BrowserWindow, 200);
  return {
    win,
    finish: () => onFinished?.(finished),
    output: (o: Partial<GalleryItem>) => onOutput.forEach((l) => l(o as GalleryItem)),
    listening: () => onOutput.size,
  };
}

it('notifies when the window is in the background; a click shows the window and opens the job', () => {
  const { win, finish } = setup();
  finish();
  expect(electron.Notification.shown).toHaveLength(1);
  const note = electron.Notification.shown[0]!;
  expect(note.options).toEqual({ title: 'Portrait finished', body: '4 images' }); // failed: no thumbnail to wait for
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

it('a completed job waits for its first thumbnail and shows it; without one in time, it goes without', async () => {
  const withThumb = setup(true, job);
  withThumb.finish();
  expect(electron.Notification.shown).toHaveLength(0);
  withThumb.output({ jobId: 'other-job', hash: 'a'.repeat(64), hasThumb: true });
  withThumb.output({ jobId: 'job-1', hash: 'b'.repeat(64), hasThumb: false });
  withThumb.output({ jobId: 'job-1', hash: 'c'.repeat(64), hasThumb: true });
  await vi.waitFor(() => expect(electron.Notification.shown).toHaveLength(1));
  expect(electron.Notification.shown[0]!.options.icon).toMatchObject({ source: `/thumbs/${'c'.repeat(64)}.webp` });
  expect(withThumb.listening()).toBe(0);

  const without = setup(true, job);
  without.finish();
  await vi.waitFor(() => expect(electron.Notification.shown).toHaveLength(2), { timeout: 2_000 });
  expect(electron.Notification.shown[1]!.options.icon).toBeUndefined();
  expect(without.listening()).toBe(0);
});
