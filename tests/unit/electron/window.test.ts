// The window: locked-down preferences, its size and place kept in userData and checked when read.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('electron', () => import('./fake-electron'));
import * as electron from './fake-electron';
import type { BrowserWindow } from 'electron';
import { createWindow, revealWindow } from '../../../electron/main/window';
import {
  DEFAULT_WINDOW_STATE,
  loadWindowState,
  parseWindowState,
  windowStatePath,
} from '../../../electron/main/window-state';
import { useTempDirs } from '../engine/tmp';

const tempDir = useTempDirs();
const PAGE = 'file:///app/out/renderer/index.html';
const screens = [{ x: 0, y: 0, width: 1920, height: 1080 }];

beforeEach(() => {
  electron.resetElectron();
  electron.app.becomeReady();
});

function open(stateFile: string) {
  const win = createWindow({ pageUrl: PAGE, preloadPath: '/app/out/preload/index.cjs', stateFile, onError: vi.fn() });
  return win as unknown as electron.BrowserWindow;
}

describe('the saved state', () => {
  it.each([
    ['not JSON', '{nope'],
    ['not an object', '42'],
    ['null', 'null'],
    ['strings for numbers', '{"width":"1200","height":"800"}'],
    ['too small', '{"width":10,"height":10}'],
    ['absurdly large', '{"width":1e9,"height":800}'],
    ['fractions', '{"width":1200.5,"height":800}'],
    ['NaN-ish', '{"width":null,"height":800}'],
  ])('%s falls back to the defaults', (_why, text) => {
    const file = join(tempDir(), 'window-state.json');
    writeFileSync(file, text);
    expect(loadWindowState(file, screens)).toEqual(DEFAULT_WINDOW_STATE);
  });

  it('a missing file is the defaults', () => {
    expect(loadWindowState(join(tempDir(), 'none.json'), screens)).toEqual(DEFAULT_WINDOW_STATE);
  });

  it('a position on a screen that is gone is dropped; the size is kept', () => {
    const file = join(tempDir(), 'window-state.json');
    writeFileSync(file, JSON.stringify({ x: 5000, y: 200, width: 1000, height: 700, maximized: true }));
    expect(loadWindowState(file, screens)).toEqual({ width: 1000, height: 700, maximized: true });
    writeFileSync(file, JSON.stringify({ x: 100, y: -500, width: 1000, height: 700 }));
    expect(loadWindowState(file, screens)).toEqual({ width: 1000, height: 700, maximized: false });
  });

  it('a position on a second screen is kept', () => {
    const file = join(tempDir(), 'window-state.json');
    writeFileSync(file, JSON.stringify({ x: 2000, y: 100, width: 1000, height: 700, maximized: false }));
    const two = [...screens, { x: 1920, y: 0, width: 1920, height: 1080 }];
    expect(loadWindowState(file, two)).toMatchObject({ x: 2000, y: 100 });
  });

  it('ignores fields it does not know', () => {
    expect(parseWindowState({ width: 1000, height: 700, maximized: 'yes', extra: 1 })).toEqual({
      width: 1000,
      height: 700,
      maximized: false,
    });
  });
});

describe('the window', () => {
  it('is locked down, loads the app page and shows when ready', () => {
    const win = open(join(tempDir(), 'window-state.json'));
    expect(win.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      webviewTag: false,
      preload: '/app/out/preload/index.cjs',
    });
    expect(win.webContents.loaded).toEqual({ url: PAGE });
    expect(win.webContents.windowOpenHandler).toBeDefined();
    expect(win.visible).toBe(false);
    win.emit('ready-to-show');
    expect(win.visible).toBe(true);
    expect(win.maximized).toBe(false);
  });

  it('keeps its size, place and maximized state across launches', () => {
    const file = windowStatePath(tempDir());
    const first = open(file);
    first.setBounds({ x: 40, y: 50, width: 1400, height: 900 });
    first.maximized = true;
    first.close();
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ x: 40, y: 50, width: 1400, height: 900, maximized: true });
    expect(existsSync(`${file}.tmp`)).toBe(false);

    const second = open(file);
    expect(second.getBounds()).toEqual({ x: 40, y: 50, width: 1400, height: 900 });
    second.emit('ready-to-show');
    expect(second.calls).toEqual(['maximize', 'show']);
  });

  it('a failed save is reported, not thrown', () => {
    const onError = vi.fn();
    const win = createWindow({ pageUrl: PAGE, preloadPath: '/p', stateFile: '/nonexistent/dir/state.json', onError });
    (win as unknown as electron.BrowserWindow).close();
    expect(onError).toHaveBeenCalledOnce();
  });

  it('reveal restores a minimized window and focuses it; a closed one is left alone', () => {
    const win = open(join(tempDir(), 'w.json'));
    win.minimized = true;
    revealWindow(win as unknown as BrowserWindow);
    expect(win.calls).toEqual(['restore', 'show', 'focus']);
    win.close();
    revealWindow(win as unknown as BrowserWindow);
    expect(win.calls).toHaveLength(3);
    revealWindow(undefined);
  });
});
