// The native application menu, from one table: the platform's standard roles, and the app's own
// commands, which are sent to the page (it owns views, dialogs and search) as menu.command events.
import type { MenuCommand } from '../../shared/contract';
import { Menu, type BrowserWindow, type MenuItemConstructorOptions } from 'electron';
import { SHELL_EVENTS, sendToWindow } from './ipc';

/** The commands come from the contract: its `menu.command` event carries them to the window. */
export type { MenuCommand };

interface CommandItem {
  command: MenuCommand;
  label: string;
  accelerator?: string;
}

/** The app's own commands, by menu. Zoom and the rest are Electron's standard roles. */
export const MENU_COMMANDS: Record<'file' | 'edit' | 'view', CommandItem[]> = {
  file: [
    { command: 'run.new', label: 'New Run', accelerator: 'CmdOrCtrl+N' },
    { command: 'workflow.import', label: 'Import Workflow…', accelerator: 'CmdOrCtrl+O' },
    { command: 'import.folder', label: 'Import Folder of Outputs…', accelerator: 'CmdOrCtrl+Shift+O' },
  ],
  edit: [{ command: 'search', label: 'Search', accelerator: 'CmdOrCtrl+F' }],
  view: [
    { command: 'view.gallery', label: 'Gallery', accelerator: 'CmdOrCtrl+1' },
    { command: 'view.queue', label: 'Queue', accelerator: 'CmdOrCtrl+2' },
    { command: 'view.workflows', label: 'Workflows', accelerator: 'CmdOrCtrl+3' },
    { command: 'view.settings', label: 'Settings', accelerator: 'CmdOrCtrl+,' },
  ],
};

export function menuTemplate(
  getWindow: () => BrowserWindow | undefined,
  platform: NodeJS.Platform = process.platform,
): MenuItemConstructorOptions[] {
  const items = (list: CommandItem[]): MenuItemConstructorOptions[] =>
    list.map(({ command, label, accelerator }) => ({
      label,
      ...(accelerator ? { accelerator } : {}),
      click: () => sendToWindow(getWindow(), SHELL_EVENTS.menu, { command }),
    }));
  const mac = platform === 'darwin';
  return [
    ...(mac ? [{ role: 'appMenu' } as const] : []),
    {
      label: 'File',
      submenu: [...items(MENU_COMMANDS.file), { type: 'separator' }, mac ? { role: 'close' } : { role: 'quit' }],
    },
    {
      label: 'Edit',
      submenu: [
        { role: 'undo' },
        { role: 'redo' },
        { type: 'separator' },
        { role: 'cut' },
        { role: 'copy' },
        { role: 'paste' },
        { role: 'selectAll' },
        { type: 'separator' },
        ...items(MENU_COMMANDS.edit),
      ],
    },
    {
      label: 'View',
      submenu: [
        ...items(MENU_COMMANDS.view),
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
  ];
}

export function installMenu(getWindow: () => BrowserWindow | undefined): void {
  Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate(getWindow)));
}
