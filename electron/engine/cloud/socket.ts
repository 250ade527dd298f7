// The server's WebSocket: connect, announce our feature flags, detect dead connections with
// ping/pong, reconnect with exponential backoff and jitter. It reports raw frames; what they mean
// for jobs is decided elsewhere. The token in the URL is never logged.
import { WebSocket } from 'ws';
import type { ServerKind } from '../../../shared/contract';
import { backoff } from './http';

export type SocketState = 'connecting' | 'open' | 'closed' | 'unauthorized';

export interface SocketOptions {
  kind: ServerKind;
  /** Server URL (http/https); the socket URL is derived from it. */
  url: string;
  clientId: string;
  apiKey: () => string | null | Promise<string | null>;
  pingIntervalMs?: number;
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
  log?: { info(m: string, f?: Record<string, unknown>): void; warn(m: string, f?: Record<string, unknown>): void };
}

export interface SocketListeners {
  state?: (state: SocketState, detail: string) => void;
  /** A text frame, as sent: parsed by the wire layer (messages.ts). */
  text?: (text: string) => void;
  binary?: (frame: Uint8Array) => void;
}

export function socketUrl(kind: ServerKind, url: string, clientId: string, key: string | null): string {
  const base = new URL(url);
  base.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
  base.pathname = `${base.pathname.replace(/\/+$/, '')}/ws`;
  base.search = '';
  base.searchParams.set('clientId', clientId);
  if (kind === 'cloud' && key) base.searchParams.set('token', key);
  return base.toString();
}

export class ComfySocket {
  private ws: WebSocket | null = null;
  private stopped = true;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private awaitingPong = false;
  private current: SocketState = 'closed';

  constructor(
    private readonly options: SocketOptions,
    private readonly listeners: SocketListeners,
  ) {}

  get state(): SocketState {
    return this.current;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.attempt = 0;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    this.ws?.removeAllListeners();
    this.ws?.on('error', () => {});
    this.ws?.terminate();
    this.ws = null;
    this.setState('closed', 'stopped');
  }

  /** Drops the connection now and reconnects at once (e.g. the key changed, or the network is back). */
  reconnectNow(): void {
    if (this.stopped) return;
    this.attempt = 0;
    if (this.ws) {
      this.ws.terminate(); // its close handler reconnects
    } else {
      void this.connect(); // waiting out a backoff: go now
    }
  }

  private async connect(): Promise<void> {
    this.clearTimers();
    const { kind, url, clientId } = this.options;
    this.setState('connecting', this.attempt === 0 ? 'connecting' : `reconnecting (attempt ${this.attempt + 1})`);
    // No keychain: connect without a key; the server says whether it needs one.
    const key = await Promise.resolve(this.options.apiKey()).catch(() => null);
    if (this.stopped) return;
    const ws = new WebSocket(socketUrl(kind, url, clientId, key), {
      handshakeTimeout: 15_000,
      maxPayload: 64 * 1024 * 1024,
    });
    this.ws = ws;
    let unauthorized = false;

    ws.on('open', () => {
      this.attempt = 0;
      // Asking for metadata-bearing previews (type 4): they carry the prompt_id, so they can be
      // told apart when several jobs run at once.
      ws.send(JSON.stringify({ type: 'feature_flags', data: { supports_preview_metadata: true } }));
      this.setState('open', 'connected');
      this.startPing(ws);
    });
    ws.on('message', (data, isBinary) => {
      // What a frame means is decided by the wire layer (messages.ts, comfy-frames.ts); a listener
      // that throws must never take the socket, or the process, with it.
      try {
        const bytes = toBytes(data);
        if (isBinary) this.listeners.binary?.(bytes);
        else this.listeners.text?.(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
      } catch (err) {
        this.options.log?.warn('socket: a frame could not be handled; skipped', { error: (err as Error).message });
      }
    });
    ws.on('pong', () => {
      this.awaitingPong = false;
    });
    ws.on('unexpected-response', (_req, res) => {
      unauthorized = res.statusCode === 401 || res.statusCode === 403;
      this.options.log?.warn('socket: the server refused the connection', { status: res.statusCode });
      res.resume();
      ws.terminate();
    });
    ws.on('error', (err) => {
      this.options.log?.warn('socket error', { error: err.message });
    });
    ws.on('close', () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.clearTimers();
      if (this.stopped) return;
      if (unauthorized) this.setState('unauthorized', 'the server refused the key');
      else this.setState('closed', 'connection lost');
      this.scheduleReconnect(unauthorized);
    });
  }

  private scheduleReconnect(slow: boolean): void {
    this.attempt += 1;
    const base = this.options.reconnectBaseMs ?? 500;
    const cap = this.options.reconnectMaxMs ?? 30_000;
    // A refused key will not fix itself quickly: wait the longest interval.
    const delay = slow ? cap : backoff(this.attempt, base, cap);
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
  }

  private startPing(ws: WebSocket): void {
    const interval = this.options.pingIntervalMs ?? 20_000;
    this.awaitingPong = false;
    this.pingTimer = setInterval(() => {
      if (this.awaitingPong) {
        this.options.log?.warn('socket: no pong, the connection is dead; reconnecting');
        ws.terminate();
        return;
      }
      this.awaitingPong = true;
      ws.ping();
    }, interval);
  }

  private clearTimers(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.reconnectTimer = null;
    this.pingTimer = null;
  }

  private setState(state: SocketState, detail: string): void {
    if (state === this.current && state !== 'connecting') return;
    this.current = state;
    this.listeners.state?.(state, detail);
  }
}

function toBytes(data: WebSocket.RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}
