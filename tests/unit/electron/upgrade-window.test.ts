// The upgrade window (electron/main/upgrade-window.ts), against the stand-in for Electron: a quick
// upgrade opens nothing; a long one opens a locked-down static window that says the step it is on,
// follows the steps, and closes when told.
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
vi.mock('electron', () => import('./fake-electron'));
import * as electron from './fake-electron';
import type { UpgradeStep } from '../../../electron/engine/journal/upgrade';
import { upgradeNotice, UPGRADE_WINDOW_DELAY_MS } from '../../../electron/main/upgrade-window';
import { upgradePage } from '../../../electron/main/upgrade-page';

const step = (n: number, says: string): UpgradeStep => ({ step: n, of: 2, says, outputs: 1_000_000 });

/** The text of the page a window shows (its data: URL decoded). */
function pageOf(win: electron.BrowserWindow): string {
  const url = (win.webContents.loaded as { url?: string } | undefined)?.url ?? '';
  expect(url.startsWith('data:text/html;charset=utf-8,')).toBe(true);
  return decodeURIComponent(url.slice(url.indexOf(',') + 1));
}

beforeEach(() => {
  electron.resetElectron();
  electron.app.becomeReady();
  vi.useFakeTimers();
});
afterEach(() => vi.useRealTimers());

it('a quick upgrade opens no window', () => {
  const notice = upgradeNotice();
  notice.step(step(1, 'Counting the gallery by its filters'));
  vi.advanceTimersByTime(UPGRADE_WINDOW_DELAY_MS - 1);
  notice.close();
  vi.advanceTimersByTime(10_000);
  expect(electron.BrowserWindow.getAllWindows()).toHaveLength(0);
});

it('a long upgrade opens a locked-down window that follows the steps and closes when done', () => {
  const notice = upgradeNotice();
  notice.step(step(1, 'Counting the gallery by its filters'));
  vi.advanceTimersByTime(UPGRADE_WINDOW_DELAY_MS);
  const [win] = electron.BrowserWindow.getAllWindows();
  expect(win).toBeDefined();
  expect(win!.options.webPreferences).toMatchObject({
    javascript: false,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
  });
  expect(win!.options.webPreferences).not.toHaveProperty('preload');
  expect(pageOf(win!)).toContain('Upgrading your gallery (1,000,000 outputs)');
  expect(pageOf(win!)).toContain('Step 1 of 2: Counting the gallery by its filters.');

  notice.step(step(2, 'Rebuilding the search index'));
  expect(electron.BrowserWindow.getAllWindows()).toHaveLength(1);
  expect(pageOf(win!)).toContain('Step 2 of 2: Rebuilding the search index.');

  notice.close();
  expect(win!.isDestroyed()).toBe(true);
  // A step told after the end opens nothing again.
  notice.step(step(2, 'Rebuilding the search index'));
  vi.advanceTimersByTime(10_000);
  expect(electron.BrowserWindow.getAllWindows()).toHaveLength(0);
});

it('the page runs nothing, loads nothing, and escapes what it says', () => {
  const page = upgradePage({ step: 1, of: 1, says: '<img src=x onerror=alert(1)>', outputs: 0 });
  expect(page).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
  expect(page).not.toMatch(/<script|<img|<link|url\(/i);
  expect(page).toContain('&#60;img');
  expect(page).toContain('Upgrading your gallery</h1>');
});
