// The renderer's only door to the app: the contract, over Electron's preload (window.desk) or the
// headless host's WebSocket bridge. The rest of the renderer cannot tell which one it has.
import { BRIDGE_PATH, type BridgeMessage, type BridgeRequest } from '../../../shared/bridge';
import type { CommandName, DeskApi, DeskTransport, EventName, MediaVariant } from '../../../shared/contract';
import { DeskError, type WireResult } from '../../../shared/errors';

declare global {
  interface Window {
    desk?: DeskTransport;
  }
}

/** The host bridge: reconnects with backoff; calls made while it is down wait for it. */
function bridgeTransport(): DeskTransport {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const pending = new Map<number, (result: WireResult<unknown>) => void>();
  const outbox: string[] = [];
  let socket: WebSocket | null = null;
  let nextId = 1;
  let attempt = 0;

  const connect = (): void => {
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${BRIDGE_PATH}`);
    socket = ws;
    ws.onopen = () => {
      attempt = 0;
      for (const frame of outbox.splice(0)) ws.send(frame);
      for (const listener of listeners.get('bridge.open') ?? []) listener(null);
    };
    ws.onmessage = (event) => {
      const message = JSON.parse(String(event.data)) as BridgeMessage;
      if (message.type === 'result') {
        pending.get(message.id)?.(message.result);
        pending.delete(message.id);
      } else {
        for (const listener of listeners.get(message.name) ?? []) listener(message.payload);
      }
    };
    ws.onclose = () => {
      socket = null;
      for (const [id, resolve] of pending) {
        resolve({
          ok: false,
          error: { code: 'network', message: 'The connection to Comfy Desk was lost. Try again.' },
        });
        pending.delete(id);
      }
      attempt += 1;
      setTimeout(connect, Math.min(5000, 200 * 2 ** attempt));
    };
  };
  connect();

  return {
    invoke(name, input) {
      return new Promise((resolve) => {
        const id = nextId++;
        pending.set(id, resolve);
        const frame = JSON.stringify({ type: 'invoke', id, name, input } satisfies BridgeRequest);
        if (socket?.readyState === WebSocket.OPEN) socket.send(frame);
        else outbox.push(frame);
      });
    },
    on(name, listener) {
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      set.add(listener);
      return () => void set.delete(listener);
    },
  };
}

const transport: DeskTransport = window.desk ?? bridgeTransport();
const inElectron = Boolean(window.desk);

export const desk: DeskApi = {
  async invoke(name: CommandName, ...args: unknown[]) {
    const result = await transport.invoke(name, args[0]);
    if (!result.ok) throw DeskError.fromInfo(result.error);
    return result.value as never;
  },
  on(name: EventName, listener: (payload: never) => void) {
    return transport.on(name, listener as (payload: unknown) => void);
  },
} as DeskApi;

/** Where a stored output is shown from: by content hash, never by path. */
export function mediaUrl(hash: string, variant: MediaVariant = 'full'): string {
  return inElectron ? `desk-media://media/${hash}?v=${variant}` : `/media/${hash}?v=${variant}`;
}

/** A message for a person from anything a command threw. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
