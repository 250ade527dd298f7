// Electron glue, composed: each piece lives in its own small module, tested against a stand-in for
// Electron (tests/unit/electron/). Everything that matters lives in the engine, which runs the same
// here and in the headless host.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, session } from 'electron';
import { Engine } from '../engine/engine';
import { desktopActions, showJobProgress } from './desktop';
import { SHELL_EVENTS, sendToWindow, wireContract } from './ipc';
import { claimSingleInstance, readOpenedFile } from './instance';
import { quitAfter } from './lifecycle';
import { registerMediaScheme, serveMedia } from './media';
import { installMenu } from './menu';
import { notifyFinishedJobs } from './notifications';
import { lockDownSession, lockNavigation } from './security';
import { upgradeNotice } from './upgrade-window';
import { createWindow, revealWindow } from './window';
import { windowStatePath } from './window-state';

const here = import.meta.dirname;
/** The app page: Vite's server in development (electron-vite sets the variable), the built file otherwise. */
const pageUrl = process.env.ELECTRON_RENDERER_URL ?? pathToFileURL(join(here, '../renderer/index.html')).href;
const preloadPath = join(here, '../preload/index.cjs');

let engine: Engine | undefined;
let mainWindow: BrowserWindow | undefined;
let pageReady = false;
const getWindow = (): BrowserWindow | undefined => mainWindow;

function logError(message: string): (err: unknown) => void {
  return (err) => (engine ? engine.log.error(message, { error: err }) : console.error(message, err));
}

/** Where Electron-ABI builds of the native modules live when made beside the Node ones (see scripts/start.mjs). */
function electronNativeDir(): string | undefined {
  const dir = join(here, '../electron-native');
  return existsSync(dir) ? dir : undefined;
}

function openWindow(): BrowserWindow {
  pageReady = false;
  const win = createWindow({
    pageUrl,
    preloadPath,
    stateFile: windowStatePath(app.getPath('userData')),
    onError: logError('saving the window state failed'),
  });
  win.webContents.on('did-finish-load', () => {
    pageReady = true;
    instance.flush();
  });
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = undefined;
  });
  return win;
}

app.setName('Comfy Desk');
registerMediaScheme();
const instance = claimSingleInstance({
  focus: () => revealWindow(mainWindow),
  openFile: (path) => {
    if (!mainWindow || !pageReady) return false;
    const file = readOpenedFile(path);
    if (file) sendToWindow(mainWindow, SHELL_EVENTS.openFile, file);
    return true;
  },
});

async function start(): Promise<void> {
  await app.whenReady();
  lockDownSession(session.defaultSession);
  // A journal an older version wrote is upgraded first, in a worker; a long upgrade says so (its
  // window closes once the app's is open: closing the only window would quit the app).
  const upgrade = upgradeNotice();
  try {
    engine = await Engine.open({
      shell: 'electron',
      dataDir: process.env.COMFY_DESK_DATA ?? app.getPath('userData'),
      version: app.getVersion(),
      nativeDir: electronNativeDir(),
      desktop: desktopActions(getWindow, join(here, '../../build/icons/256x256.png')),
      upgradeWorker: join(here, 'journal-upgrade.js'),
      onUpgrade: (step) => upgrade.step(step),
      ...(process.env.COMFY_DESK_CLOUD_URL ? { cloudUrl: process.env.COMFY_DESK_CLOUD_URL } : {}),
    });
  } catch (err) {
    upgrade.close();
    throw err;
  }
  serveMedia(engine);
  wireContract(engine, getWindow, pageUrl);
  notifyFinishedJobs(engine, getWindow);
  showJobProgress(engine, getWindow);
  installMenu(getWindow);
  mainWindow = openWindow();
  upgrade.close();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) mainWindow = openWindow();
  });
}

if (instance.ok) {
  quitAfter(() => engine?.close() ?? Promise.resolve(), logError('closing the engine failed'));
  // Any web contents, ours or made some other way, gets the same locks (defence in depth).
  app.on('web-contents-created', (_event, contents) => lockNavigation(contents, pageUrl));
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  start().catch((err: unknown) => {
    console.error('Comfy Desk failed to start:', err);
    app.exit(1);
  });
} else {
  // Another Comfy Desk is running: it has been told (second-instance) and comes to the front.
  app.quit();
}
