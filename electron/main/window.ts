// The one app window: locked-down web preferences, its saved size and place, the app page loaded.
import { BrowserWindow, screen } from 'electron';
import { lockNavigation } from './security';
import { loadWindowState, MIN_SIZE, trackWindowState } from './window-state';

export interface WindowOptions {
  /** The app page: a file:// URL when packaged, Vite's http:// URL in development. */
  pageUrl: string;
  preloadPath: string;
  /** window-state.json in userData. */
  stateFile: string;
  onError(err: unknown): void;
}

export function createWindow(options: WindowOptions): BrowserWindow {
  const state = loadWindowState(
    options.stateFile,
    screen.getAllDisplays().map((d) => d.workArea),
  );
  // electronegativity AUXCLICK_JS_CHECK: a middle-click on a link is a window.open, denied by
  // lockNavigation like any other (tested); Blink's auxclick stays on because the page uses it
  // (a middle-click closes a workflow tab).
  // prettier-ignore
  const win = new BrowserWindow({ // eng-disable AUXCLICK_JS_CHECK
    width: state.width,
    height: state.height,
    ...(state.x !== undefined && state.y !== undefined ? { x: state.x, y: state.y } : {}),
    minWidth: MIN_SIZE.width,
    minHeight: MIN_SIZE.height,
    title: 'Comfy Desk',
    show: false,
    backgroundColor: '#111318',
    webPreferences: {
      // electronegativity PRELOAD_JS_CHECK: the sandboxed preload exposes only the contract's invoke
      // and on, checking names against it (electron/preload/index.ts).
      preload: options.preloadPath, // eng-disable PRELOAD_JS_CHECK
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  });
  lockNavigation(win.webContents, options.pageUrl);
  trackWindowState(win, options.stateFile, options.onError);
  win.once('ready-to-show', () => {
    if (state.maximized) win.maximize();
    win.show();
  });
  void win.loadURL(options.pageUrl);
  return win;
}

/** Brings the window to the front, whatever state it is in (a second launch, a notification click). */
export function revealWindow(win: BrowserWindow | undefined): void {
  if (!win || win.isDestroyed()) return;
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
}
