// The sandboxed preload: exposes exactly the contract as `window.desk`, nothing else of Electron or Node.
// Names are checked here too, so a compromised page cannot reach any other IPC channel.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import {
  IPC_EVENT,
  IPC_INVOKE,
  isCommandName,
  isEventName,
  type DeskTransport,
  type EventName,
} from '../../shared/contract';
import type { WireResult } from '../../shared/errors';

const desk: DeskTransport = {
  invoke(name, input) {
    if (!isCommandName(name)) {
      return Promise.resolve({
        ok: false,
        error: { code: 'unknown_command', message: `Unknown command: ${String(name)}` },
      });
    }
    return ipcRenderer.invoke(IPC_INVOKE, name, input) as Promise<WireResult<unknown>>;
  },
  on(name: EventName, listener: (payload: unknown) => void) {
    if (!isEventName(name)) throw new Error(`Unknown event: ${String(name)}`);
    const forward = (_event: IpcRendererEvent, eventName: unknown, payload: unknown): void => {
      if (eventName === name) listener(payload);
    };
    ipcRenderer.on(IPC_EVENT, forward);
    return () => void ipcRenderer.removeListener(IPC_EVENT, forward);
  },
};

contextBridge.exposeInMainWorld('desk', desk);
