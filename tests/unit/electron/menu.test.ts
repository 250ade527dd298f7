// The application menu: standard roles, and the app's commands with their shortcuts reaching the page.
import { beforeEach, expect, it, vi } from 'vitest';
vi.mock('electron', () => import('./fake-electron'));
import * as electron from './fake-electron';
import type { BrowserWindow, MenuItemConstructorOptions } from 'electron';
import { IPC_EVENT } from '../../../shared/contract';
import { installMenu, MENU_COMMANDS, menuTemplate } from '../../../electron/main/menu';
import { SHELL_EVENTS } from '../../../electron/main/ipc';

beforeEach(() => electron.resetElectron());

function flatten(items: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return items.flatMap((item) => [item, ...(Array.isArray(item.submenu) ? flatten(item.submenu) : [])]);
}

it('installs one application menu', () => {
  installMenu(() => undefined);
  expect(electron.Menu.getApplicationMenu()?.template.length).toBeGreaterThan(2);
});

it.each(['darwin', 'linux', 'win32'] as const)('on %s: standard roles for editing, zoom and windows', (platform) => {
  const roles = flatten(menuTemplate(() => undefined, platform)).map((i) => i.role);
  for (const role of ['copy', 'paste', 'undo', 'selectAll', 'zoomIn', 'zoomOut', 'resetZoom', 'windowMenu']) {
    expect(roles).toContain(role);
  }
  expect(roles.includes('appMenu')).toBe(platform === 'darwin');
  expect(roles).toContain(platform === 'darwin' ? 'close' : 'quit');
});

it('every app command is in the menu with a unique shortcut, and clicking sends it to the page', () => {
  const win = new electron.BrowserWindow();
  const items = flatten(menuTemplate(() => win as unknown as BrowserWindow, 'linux')).filter((i) => i.click);
  const commands = Object.values(MENU_COMMANDS).flat();
  expect(items).toHaveLength(commands.length);
  const accelerators = items.map((i) => i.accelerator);
  expect(new Set(accelerators).size).toBe(accelerators.length);
  for (const item of items) item.click?.({} as never, undefined, {} as never);
  expect(win.webContents.sentOn(IPC_EVENT)).toEqual(commands.map(({ command }) => [SHELL_EVENTS.menu, { command }]));
  expect(accelerators).toEqual(expect.arrayContaining(['CmdOrCtrl+N', 'CmdOrCtrl+O', 'CmdOrCtrl+F', 'CmdOrCtrl+1']));
});

it('a command with no window is dropped quietly', () => {
  const items = flatten(menuTemplate(() => undefined, 'linux')).filter((i) => i.click);
  expect(() => items[0]?.click?.({} as never, undefined, {} as never)).not.toThrow();
});
