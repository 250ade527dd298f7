// While a journal an older version wrote is upgraded before the app opens (seconds at a million
// outputs: an index rebuilt over every row), a small window says so and which step it is on. It
// opens only when the upgrade outlasts a moment, and closes when the app window is about to show.
// The page is static (no script, no preload): a data: URL with its own strict CSP.
import { BrowserWindow } from 'electron';
import type { UpgradeStep } from '../engine/journal/upgrade';
import { upgradePage } from './upgrade-page';

/** How long an upgrade goes before its window opens: a quick one shows nothing. */
export const UPGRADE_WINDOW_DELAY_MS = 400;

export interface UpgradeNotice {
  /** A step started (the engine's onUpgrade). */
  step(step: UpgradeStep): void;
  /** The upgrade ended (done or failed): the window, if it opened, closes. */
  close(): void;
}

export function upgradeNotice(delayMs = UPGRADE_WINDOW_DELAY_MS): UpgradeNotice {
  let current: UpgradeStep | null = null;
  let win: BrowserWindow | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let closed = false;

  const show = (step: UpgradeStep): void => {
    if (!win || win.isDestroyed()) win = openWindow();
    // The next step's page replaces this one; the load it cuts short rejects (ERR_ABORTED): not an error.
    win.loadURL(`data:text/html;charset=utf-8,${encodeURIComponent(upgradePage(step))}`).catch(() => undefined);
  };

  return {
    step(step) {
      if (closed) return;
      current = step;
      if (win) show(step);
      else
        timer ??= setTimeout(() => {
          timer = null;
          if (!closed && current) show(current);
        }, delayMs);
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      if (win && !win.isDestroyed()) win.close();
      win = null;
    },
  };
}

function openWindow(): BrowserWindow {
  return new BrowserWindow({
    width: 460,
    height: 200,
    resizable: false,
    minimizable: true,
    maximizable: false,
    fullscreenable: false,
    title: 'Comfy Desk',
    backgroundColor: '#111318',
    show: true,
    webPreferences: {
      // A static page: nothing in it runs, and a middle-click opens nothing.
      javascript: false,
      disableBlinkFeatures: 'Auxclick',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
      navigateOnDragDrop: false,
    },
  });
}
