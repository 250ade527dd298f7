// IPC wired from the contract: one invoke channel into dispatch(), one event channel out. Only the
// app page in our window's main frame may call in: not an iframe, not a page we were navigated to.
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { IPC_EVENT, IPC_INVOKE, type CommandHandlers, type EventName } from '../../shared/contract';
import type { WireResult } from '../../shared/errors';
import { dispatch, type DispatchLog } from '../engine/dispatch';
import { isAppPage } from './security';

/** What IPC needs of the engine. */
export interface ContractEngine {
  readonly handlers: CommandHandlers;
  readonly log: DispatchLog;
  redact(text: string): string;
  onAny(listener: (name: EventName, payload: unknown) => void): () => void;
}

/**
 * Events main sends on its own, over the contract's event channel, until the contract names them
 * (see the report on issue 10): a menu command, a workflow file the OS asked us to open, and a job
 * whose notification was clicked.
 */
export const SHELL_EVENTS = { menu: 'menu.command', openFile: 'app.openFile', openJob: 'app.openJob' } as const;

export const REFUSED: WireResult<never> = {
  ok: false,
  error: { code: 'unknown_command', message: 'Refused: not the app page' },
};

/** Whether an IPC message comes from the app page in the main frame of our window. */
export function isTrustedSender(
  event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>,
  win: BrowserWindow | undefined,
  pageUrl: string,
): boolean {
  const frame = event.senderFrame;
  if (!win || win.isDestroyed() || event.sender !== win.webContents) return false;
  return frame !== null && frame === event.sender.mainFrame && isAppPage(frame.url, pageUrl);
}

export function wireContract(
  engine: ContractEngine,
  getWindow: () => BrowserWindow | undefined,
  pageUrl: string,
): void {
  ipcMain.handle(IPC_INVOKE, (event, name: unknown, input: unknown) => {
    if (!isTrustedSender(event, getWindow(), pageUrl)) return REFUSED;
    return dispatch(engine.handlers, name, input, engine.log, engine.redact);
  });
  engine.onAny((name, payload) => sendToWindow(getWindow(), name, payload));
}

/** Sends an event to the page, if there is a live window. */
export function sendToWindow(win: BrowserWindow | undefined, name: string, payload: unknown): void {
  if (win && !win.isDestroyed()) win.webContents.send(IPC_EVENT, name, payload);
}
