// The headless host: the engine, the built renderer and the contract bridge, on 127.0.0.1 only.
// It lets the real renderer run in any browser (tests, machines without a display or Electron).
// Access needs the per-launch token: the printed URL carries it once, the host trades it for an
// HttpOnly cookie, and from then on neither page scripts nor the URL bar hold it.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { BRIDGE_COOKIE, BRIDGE_PATH, type BridgeMessage, type BridgeRequest } from '../../shared/bridge';
import type { MediaVariant } from '../../shared/contract';
import { dispatch } from '../engine/dispatch';
import type { Engine } from '../engine/engine';
import { CONTENT_SECURITY_POLICY } from '../engine/security';

export interface HostOptions {
  engine: Engine;
  /** Folder of the built renderer (index.html and assets). */
  rendererDir: string;
  port?: number;
  /** Fixed token for tests; random per launch otherwise. */
  token?: string;
}

export interface Host {
  /** The URL to open: it carries the token once. */
  url: string;
  origin: string;
  port: number;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.webp': 'image/webp',
};

const MAX_BRIDGE_FRAME = 64 * 1024 * 1024;

export async function startHost(options: HostOptions): Promise<Host> {
  const { engine } = options;
  const token = options.token ?? randomBytes(32).toString('base64url');
  const rendererDir = resolve(options.rendererDir);
  let origin = '';

  const tokenMatches = (candidate: string | undefined): boolean => {
    if (!candidate) return false;
    const a = Buffer.from(candidate);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  };
  const authorised = (req: IncomingMessage): boolean => tokenMatches(readCookie(req, BRIDGE_COOKIE));
  // Refuse other Host names so a web page cannot reach us through DNS rebinding.
  const hostAllowed = (req: IncomingMessage): boolean => {
    const port = new URL(origin).port;
    return req.headers.host === `127.0.0.1:${port}` || req.headers.host === `localhost:${port}`;
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      engine.log.error('host request failed', { path: req.url, error: String(err) });
      if (!res.headersSent) send(res, 500, 'Internal error');
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    setSecurityHeaders(res);
    if (!hostAllowed(req)) return send(res, 421, 'Wrong host');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method not allowed');
    const url = new URL(req.url ?? '/', origin);

    if (url.pathname === '/' && url.searchParams.has('token')) {
      if (!tokenMatches(url.searchParams.get('token') ?? undefined)) return send(res, 401, 'Wrong token');
      res.setHeader('Set-Cookie', `${BRIDGE_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`);
      res.writeHead(303, { Location: '/' });
      res.end();
      return;
    }
    if (url.pathname.startsWith('/media/')) {
      if (!authorised(req)) return send(res, 401, 'Not signed in to this host');
      return serveMedia(url, res);
    }
    if (url.pathname === '/' || url.pathname === '/index.html') {
      if (!authorised(req)) {
        return send(
          res,
          401,
          'Open the address that the Comfy Desk host printed when it started (it carries a token).',
        );
      }
      return serveFile(join(rendererDir, 'index.html'), res, 'no-store');
    }
    // Static assets of the renderer are not secret; still, only files inside the renderer folder.
    const file = resolve(rendererDir, '.' + decodeURIComponent(url.pathname));
    if (!file.startsWith(rendererDir + sep)) return send(res, 404, 'Not found');
    return serveFile(file, res, 'public, max-age=31536000, immutable');
  }

  async function serveMedia(url: URL, res: ServerResponse): Promise<void> {
    const hash = url.pathname.slice('/media/'.length);
    const variant: MediaVariant = url.searchParams.get('v') === 'thumb' ? 'thumb' : 'full';
    const media = /^[a-f0-9]{64}$/.test(hash) ? await engine.media(hash, variant) : null;
    if (!media) return send(res, 404, 'No such media');
    res.writeHead(200, {
      'Content-Type': media.mime,
      'Content-Length': String(media.size),
      'Cache-Control': 'private, max-age=31536000, immutable',
    });
    createReadStream(media.path).pipe(res);
  }

  async function serveFile(file: string, res: ServerResponse, cache: string): Promise<void> {
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) return send(res, 404, 'Not found');
    res.writeHead(200, {
      'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
      'Content-Length': String(info.size),
      'Cache-Control': cache,
    });
    createReadStream(file).pipe(res);
  }

  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_BRIDGE_FRAME });
  server.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', origin).pathname;
    // A browser always sends Origin on a WebSocket: only our own page may open the bridge.
    if (path !== BRIDGE_PATH || !hostAllowed(req) || !authorised(req) || !sameOrigin(req.headers.origin, origin)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => serveBridge(ws));
  });

  function serveBridge(ws: WebSocket): void {
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      let request: BridgeRequest;
      try {
        request = JSON.parse(data.toString()) as BridgeRequest;
      } catch {
        return; // not our client: nothing sensible to answer
      }
      if (request?.type !== 'invoke' || typeof request.id !== 'number') return;
      void dispatch(engine.handlers, request.name, request.input, engine.log, engine.redact).then((result) =>
        sendFrame(ws, { type: 'result', id: request.id, result }),
      );
    });
  }

  const stopEvents = engine.onAny((name, payload) => {
    for (const ws of sockets.clients) sendFrame(ws, { type: 'event', name, payload });
  });

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, '127.0.0.1', () => ok());
  });
  const port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;

  return {
    url: `${origin}/?token=${token}`,
    origin,
    port,
    async close() {
      stopEvents();
      for (const ws of sockets.clients) ws.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

function sendFrame(ws: WebSocket, message: BridgeMessage): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
}

function send(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}

function setSecurityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('X-Frame-Options', 'DENY');
}

function readCookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

function sameOrigin(header: string | undefined, origin: string): boolean {
  if (!header) return false;
  return header === origin || header === origin.replace('127.0.0.1', 'localhost');
}
