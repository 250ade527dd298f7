// IPC from the contract against a real engine: every command is wired, only the app page in our
// window's main frame may call, and engine events reach the window.
import { beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('electron', () => import('./fake-electron'));
import * as electron from './fake-electron';
import type { BrowserWindow } from 'electron';
import { commandNames, IPC_EVENT, IPC_INVOKE } from '../../../shared/contract';
import { REFUSED, wireContract } from '../../../electron/main/ipc';
import { useEngines } from './engine';

const PAGE = 'file:///app/out/renderer/index.html';
const openEngine = useEngines();

beforeEach(() => electron.resetElectron());

async function wired() {
  const engine = await openEngine();
  const win = new electron.BrowserWindow();
  win.webContents.mainFrame.url = PAGE;
  wireContract(engine, () => win as unknown as BrowserWindow, PAGE);
  const fromPage = { sender: win.webContents, senderFrame: win.webContents.mainFrame };
  return { engine, win, fromPage };
}

it('registers exactly one invoke handler, on the contract’s channel', async () => {
  await wired();
  expect([...electron.ipcMain.handlers.keys()]).toEqual([IPC_INVOKE]);
});

it('every command in the contract reaches the engine through it (and is validated there)', async () => {
  const { fromPage } = await wired();
  for (const name of commandNames) {
    const result = (await electron.ipcMain.invoke(IPC_INVOKE, fromPage, name, 'not the input')) as {
      ok: boolean;
      error?: { code: string };
    };
    expect(result, name).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
  }
});

it('the app page gets answers; unknown commands are refused by name', async () => {
  const { fromPage } = await wired();
  expect(await electron.ipcMain.invoke(IPC_INVOKE, fromPage, 'app.info')).toMatchObject({ ok: true });
  expect(await electron.ipcMain.invoke(IPC_INVOKE, fromPage, 'shell.exec', {})).toMatchObject({
    ok: false,
    error: { code: 'unknown_command' },
  });
});

describe('sender checks', () => {
  it('refuses an iframe inside the app page', async () => {
    const { win } = await wired();
    const iframe = new electron.FakeFrame(PAGE, win.webContents.mainFrame);
    expect(
      await electron.ipcMain.invoke(IPC_INVOKE, { sender: win.webContents, senderFrame: iframe }, 'app.info'),
    ).toEqual(REFUSED);
  });

  it('refuses a page the window was navigated to', async () => {
    const { win, fromPage } = await wired();
    win.webContents.mainFrame.url = 'https://evil.example/';
    expect(await electron.ipcMain.invoke(IPC_INVOKE, fromPage, 'app.info')).toEqual(REFUSED);
  });

  it('refuses another web contents, even one showing the app page', async () => {
    await wired();
    const other = new electron.FakeWebContents(PAGE);
    expect(
      await electron.ipcMain.invoke(IPC_INVOKE, { sender: other, senderFrame: other.mainFrame }, 'app.info'),
    ).toEqual(REFUSED);
  });

  it('refuses a frame that is gone (senderFrame null) and a closed window', async () => {
    const { win, fromPage } = await wired();
    expect(
      await electron.ipcMain.invoke(IPC_INVOKE, { sender: win.webContents, senderFrame: null }, 'app.info'),
    ).toEqual(REFUSED);
    win.close();
    expect(await electron.ipcMain.invoke(IPC_INVOKE, fromPage, 'app.info')).toEqual(REFUSED);
  });
});

it('engine events reach the window on the event channel', async () => {
  const { engine, win } = await wired();
  await engine.invoke('settings.set', { notifications: false });
  const sent = win.webContents.sentOn(IPC_EVENT);
  expect(sent.map(([name]) => name)).toContain('settings.changed');
});
