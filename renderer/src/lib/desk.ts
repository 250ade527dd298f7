// The renderer's only door to the app: the contract, over Electron's preload (window.desk) or the
// headless host's WebSocket bridge. The rest of the renderer cannot tell which one it has.
import { BRIDGE_PATH, requestFrames, type BridgeMessage } from '../../../shared/bridge';
import {
  MEDIA_EDGE,
  type CommandName,
  type DeskApi,
  type DeskTransport,
  type EventName,
  type MediaVariant,
} from '../../../shared/contract';
import { DeskError, type DeskErrorCode, type WireResult } from '../../../shared/errors';

declare global {
  interface Window {
    desk?: DeskTransport;
  }
}

const failure = (code: DeskErrorCode, message: string): WireResult<unknown> => ({
  ok: false,
  error: { code, message },
});

/** The headless host's bridge as the window sees it: open, or lost and being tried again. */
export interface BridgeLink {
  open: boolean;
  /** Tries since it was lost (0 while open). */
  attempts: number;
  /** When the next try is (epoch ms), while it is lost. */
  retryAt: number | null;
}

const bridgeListeners = new Set<(link: BridgeLink) => void>();
let retryNow: (() => void) | null = null;

/**
 * The host bridge's comings and goings: kept out of the contract's events (Electron's preload
 * refuses names it does not know), and never fired in Electron, where the engine lives with the window.
 */
export function onBridge(listener: (link: BridgeLink) => void): () => void {
  bridgeListeners.add(listener);
  return () => void bridgeListeners.delete(listener);
}

/** Tries the lost bridge now rather than at the end of the backoff (e.g. the person restarted the host). */
export function reconnectBridge(): void {
  retryNow?.();
}

/**
 * The host bridge: reconnects with backoff; calls made while it is down wait for it. A large
 * request goes in parts (shared/bridge.ts); a call already sent fails if its connection is lost.
 */
function bridgeTransport(): DeskTransport {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const pending = new Map<number, { resolve: (result: WireResult<unknown>) => void; sent: boolean }>();
  const outbox: { id: number; frames: string[] }[] = [];
  let socket: WebSocket | null = null;
  let nextId = 1;
  let attempt = 0;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  const notify = (link: BridgeLink): void => {
    for (const listener of bridgeListeners) listener(link);
  };

  const send = (ws: WebSocket, id: number, frames: string[]): void => {
    const call = pending.get(id);
    if (!call) return;
    call.sent = true;
    for (const frame of frames) ws.send(frame);
  };

  const connect = (): void => {
    retryTimer = null;
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${BRIDGE_PATH}`);
    socket = ws;
    ws.onopen = () => {
      attempt = 0;
      for (const { id, frames } of outbox.splice(0)) send(ws, id, frames);
      notify({ open: true, attempts: 0, retryAt: null });
    };
    ws.onmessage = (event) => {
      const message = JSON.parse(String(event.data)) as BridgeMessage;
      if (message.type === 'result') {
        pending.get(message.id)?.resolve(message.result);
        pending.delete(message.id);
      } else {
        for (const listener of listeners.get(message.name) ?? []) listener(message.payload);
      }
    };
    ws.onclose = (event) => {
      socket = null;
      // 1009: the host refused a frame as too large, and closed only this connection.
      const message =
        event.code === 1009
          ? 'The connection to Comfy Desk was reset: a request was too large. Try again.'
          : 'The connection to Comfy Desk was lost. Try again.';
      for (const [id, call] of pending) {
        if (!call.sent) continue; // still in the outbox: it goes when the bridge is back
        call.resolve(failure('network', message));
        pending.delete(id);
      }
      attempt += 1;
      const delay = Math.min(5000, 200 * 2 ** attempt);
      retryTimer = setTimeout(connect, delay);
      notify({ open: false, attempts: attempt, retryAt: Date.now() + delay });
    };
  };
  retryNow = () => {
    if (!retryTimer) return; // open, or a try is under way
    clearTimeout(retryTimer);
    connect();
  };
  connect();

  return {
    invoke(name, input) {
      return new Promise((resolve) => {
        const id = nextId++;
        const frames = requestFrames({ type: 'invoke', id, name, input });
        if (!frames) {
          resolve(failure('invalid_input', 'This is too large to send to Comfy Desk.'));
          return;
        }
        pending.set(id, { resolve, sent: false });
        if (socket?.readyState === WebSocket.OPEN) send(socket, id, frames);
        else outbox.push({ id, frames });
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
/** In the desktop app (Electron), where files can be opened, shown in their folder and dragged out natively. */
export const isDesktop = inElectron;

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
/**
 * Saves a stored file under a name: in the desktop app through its save dialog (a link to
 * desk-media:// would not download there), in a browser by its link, as a download.
 */
export async function saveMedia(hash: string, name: string): Promise<void> {
  if (inElectron) {
    await desk.invoke('media.save', { hash, name });
    return;
  }
  const link = document.createElement('a');
  link.href = mediaUrl(hash, 'full');
  link.download = name;
  link.click();
}

/** For an `<a download>` to a stored file: in the desktop app, its click saves through the dialog. */
export function savesInDesktop(link: HTMLAnchorElement, file: { hash: string; name: string }) {
  let current = file;
  const click = (event: MouseEvent): void => {
    if (!inElectron) return;
    event.preventDefault();
    void saveMedia(current.hash, current.name);
  };
  link.addEventListener('click', click);
  return {
    update: (next: { hash: string; name: string }) => (current = next),
    destroy: () => link.removeEventListener('click', click),
  };
}

export function mediaUrl(hash: string, variant: MediaVariant = 'full'): string {
  return inElectron ? `desk-media://media/${hash}?v=${variant}` : `/media/${hash}?v=${variant}`;
}

/** The long edge of each variant, as the engine makes them (fit inside, never enlarged). */
const VARIANT_EDGE = MEDIA_EDGE;

/**
 * `srcset` and `sizes` for an image covering a square tile of `edge` CSS px: each variant with its
 * real width, and the width the image is drawn at (a wide image overflows the square), so the
 * browser picks the smallest one that is sharp at this tile size and pixel ratio. The file itself
 * comes last, for a panorama on a big tile, where even the large variant is short on height.
 */
export function tileSources(
  hash: string,
  image: { kind: string; width: number | null; height: number | null },
  edge: number,
): { srcset: string; sizes: string } {
  const width = image.width ?? VARIANT_EDGE.large;
  const height = image.height ?? VARIANT_EDGE.large;
  const widthAt = (long: number): number => Math.round(width * Math.min(1, long / Math.max(width, height)));
  const candidates: [string, number][] = [
    [mediaUrl(hash, 'thumb'), widthAt(VARIANT_EDGE.thumb)],
    [mediaUrl(hash, 'large'), widthAt(VARIANT_EDGE.large)],
  ];
  // Only an image's own file can stand in for its thumbnails (a video's is the video).
  if (image.kind === 'image' && image.width !== null) candidates.push([mediaUrl(hash, 'full'), width]);
  // A variant no wider than the one before it is the same picture: left out.
  const srcset = candidates
    .filter(([, w], i) => i === 0 || w > candidates[i - 1]![1])
    .map(([url, w]) => `${url} ${w}w`);
  return { srcset: srcset.join(', '), sizes: `${Math.ceil(edge * Math.max(1, width / height))}px` };
}

/** A message for a person from anything a command threw. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
