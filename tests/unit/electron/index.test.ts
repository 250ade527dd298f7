// The composition: what index.ts sets up, in which order, with the engine replaced by a stub (the
// pieces are tested against a real engine in their own files).
import { beforeEach, expect, it, vi } from 'vitest';
vi.mock('electron', () => import('./fake-electron'));
import type * as Fake from './fake-electron';
import { IPC_EVENT, IPC_INVOKE, MEDIA_SCHEME } from '../../../shared/contract';
import { useTempDirs } from '../engine/tmp';

const engine = vi.hoisted(() => ({
  handlers: {},
  log: { error: () => {} },
  redact: (t: string) => t,
  onAny: () => () => {},
  on: () => () => {},
  settings: { getSettings: () => ({ notifications: true }) },
  close: () => Promise.resolve(),
  media: () => Promise.resolve(null),
}));
const opened = vi.hoisted(() => ({ options: [] as unknown[] }));
vi.mock('../../../electron/engine/engine', () => ({
  Engine: {
    open: (options: unknown) => {
      opened.options.push(options);
      return Promise.resolve(engine);
    },
  },
}));

const tempDir = useTempDirs();
/** index.ts runs on import, so each test loads it afresh, with a fresh Electron. */
let electron: typeof Fake;

beforeEach(async () => {
  vi.resetModules();
  // The mock registry survives resetModules: take the fake that index.ts will get, and reset it.
  electron = (await import('electron')) as unknown as typeof Fake;
  electron.resetElectron();
  electron.app.paths.userData = tempDir();
  opened.options = [];
  vi.stubEnv('COMFY_DESK_DATA', undefined);
  vi.stubEnv('ELECTRON_RENDERER_URL', undefined);
});

async function launch(): Promise<void> {
  await import('../../../electron/main/index');
}

it('before ready: names the app, makes the media scheme privileged; after: everything wired, one window', async () => {
  await launch();
  expect(electron.app.getName()).toBe('Comfy Desk');
  expect(electron.protocol.privileged.map((s) => s.scheme)).toEqual([MEDIA_SCHEME]);
  expect(opened.options).toEqual([]);
  electron.app.becomeReady();
  await vi.waitFor(() => expect(electron.BrowserWindow.getAllWindows()).toHaveLength(1));
  expect(electron.protocol.registeredBeforeReady).toBe(true);
  expect(opened.options[0]).toMatchObject({ shell: 'electron', dataDir: electron.app.paths.userData });
  expect([...electron.protocol.handlers.keys()]).toEqual([MEDIA_SCHEME]);
  expect([...electron.ipcMain.handlers.keys()]).toEqual([IPC_INVOKE]);
  expect(electron.session.defaultSession.permissionRequest).not.toBeNull();
  expect(electron.Menu.getApplicationMenu()).not.toBeNull();
  const win = electron.BrowserWindow.getAllWindows()[0]!;
  expect(win.webContents.loaded.url).toMatch(/^file:.*\/renderer\/index\.html$/);
  expect(win.options.webPreferences?.preload).toMatch(/\/preload\/index\.cjs$/);
});

it('a second instance quits at once and opens nothing', async () => {
  electron.app.hasLock = false;
  await launch();
  expect(electron.app.quitCalls).toBe(1);
  electron.app.becomeReady();
  await new Promise((r) => setTimeout(r, 20));
  expect(electron.BrowserWindow.getAllWindows()).toHaveLength(0);
  expect(opened.options).toEqual([]);
});

it('a file handed over by a second launch reaches the page once it has loaded', async () => {
  const dir = tempDir();
  const { writeFileSync } = await import('node:fs');
  writeFileSync(`${dir}/flow.json`, '{}');
  await launch();
  electron.app.becomeReady();
  await vi.waitFor(() => expect(electron.BrowserWindow.getAllWindows()).toHaveLength(1));
  const win = electron.BrowserWindow.getAllWindows()[0]!;
  electron.app.emit('second-instance', new electron.FakeEvent(), ['/opt/comfy-desk', 'flow.json'], dir, {});
  expect(win.calls).toEqual(['show', 'focus']);
  expect(win.webContents.sentOn(IPC_EVENT)).toEqual([]);
  win.webContents.emit('did-finish-load');
  expect(win.webContents.sentOn(IPC_EVENT)).toEqual([
    ['app.openFile', { name: 'flow.json', kind: 'json', data: Buffer.from('{}').toString('base64') }],
  ]);
});

it('quit waits for the engine to close', async () => {
  let finish!: () => void;
  engine.close = () => new Promise<void>((resolve) => (finish = resolve));
  await launch();
  electron.app.becomeReady();
  await vi.waitFor(() => expect(electron.BrowserWindow.getAllWindows()).toHaveLength(1));
  const quit = vi.fn();
  electron.app.on('quit', quit);
  electron.app.quit();
  expect(quit).not.toHaveBeenCalled();
  finish();
  await vi.waitFor(() => expect(quit).toHaveBeenCalledOnce());
});
