// The headless host: the engine, the built renderer and the contract bridge, on loopback only.
// It lets the real renderer run in any browser (tests, machines without a display or Electron).
// Access needs the per-launch token: the printed URL carries it once, the host trades it for an
// HttpOnly cookie, and from then on neither page scripts nor the URL bar hold it.
// Browsers do not scope cookies by port, so on 127.0.0.1 every other local service would receive
// that cookie: the host listens on a random address of 127.0.0.0/8 instead, where the OS allows it.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream';
import { randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { WebSocketServer } from 'ws';
import { BRIDGE_MAX_FRAME_BYTES, BRIDGE_PATH, bridgeCookie } from '../../shared/bridge';
import { mediaVariantOf, type MediaVariant } from '../../shared/contract';
import type { Engine } from '../engine/engine';
import { answerMedia } from '../engine/media-range';
import { CONTENT_SECURITY_POLICY } from '../engine/security';
import { sendFrame, serveBridge } from './bridge';

export interface HostOptions {
  engine: Engine;
  /** Folder of the built renderer (index.html and assets). */
  rendererDir: string;
  port?: number;
  /** Fixed loopback address for tests; a random one of 127.0.0.0/8 otherwise. */
  address?: string;
  /** Fixed token for tests; random per launch otherwise. */
  token?: string;
}

export interface Host {
  /** The URL to open: it carries the token once. */
  url: string;
  origin: string;
  /** The loopback address listened on. */
  address: string;
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

export async function startHost(options: HostOptions): Promise<Host> {
  const { engine } = options;
  const token = options.token ?? randomBytes(32).toString('base64url');
  const rendererDir = resolve(options.rendererDir);
  // Set once listening: the address and port decide the origin, the cookie and the CSP.
  let origin = '';
  let cookieName = '';
  let policy = '';

  const tokenMatches = (candidate: string | undefined): boolean => {
    if (!candidate) return false;
    const a = Buffer.from(candidate);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  };
  const authorised = (req: IncomingMessage): boolean => tokenMatches(readCookie(req, cookieName));
  // Refuse other Host names so a web page cannot reach us through DNS rebinding. Only the address
  // itself: the cookie is scoped to it, and `localhost` names 127.0.0.1, not a random address.
  const hostAllowed = (req: IncomingMessage): boolean => `http://${req.headers.host}` === origin;

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      engine.log.error('host request failed', { path: req.url, error: String(err) });
      if (!res.headersSent) send(res, 500, 'Internal error');
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    setSecurityHeaders(res, policy);
    if (!hostAllowed(req)) return send(res, 421, 'Wrong host');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method not allowed');
    const url = new URL(req.url ?? '/', origin);

    if (url.pathname === '/' && url.searchParams.has('token')) {
      if (!tokenMatches(url.searchParams.get('token') ?? undefined)) return send(res, 401, 'Wrong token');
      res.setHeader('Set-Cookie', `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`);
      res.writeHead(303, { Location: '/' });
      res.end();
      return;
    }
    if (url.pathname.startsWith('/media/')) {
      if (!authorised(req)) return send(res, 401, 'Not signed in to this host');
      return serveMedia(url, req, res);
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
    const path = safeDecode(url.pathname);
    if (path === null) return send(res, 404, 'Not found');
    const file = resolve(rendererDir, '.' + path);
    if (!file.startsWith(rendererDir + sep)) return send(res, 404, 'Not found');
    return serveFile(file, res, 'public, max-age=31536000, immutable');
  }

  async function serveMedia(url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const hash = url.pathname.slice('/media/'.length);
    const variant: MediaVariant = mediaVariantOf(url.searchParams.get('v'));
    const media = /^[a-f0-9]{64}$/.test(hash) ? await engine.media(hash, variant) : null;
    if (!media) return send(res, 404, 'No such media');
    // Ranges: a video seeks, a large file is read in pieces.
    const answer = answerMedia(media, req.headers.range);
    res.writeHead(answer.status, answer.headers);
    if (answer.status === 416 || req.method === 'HEAD') return void res.end();
    stream(media.path, res, { start: answer.start, end: answer.end });
  }

  async function serveFile(file: string, res: ServerResponse, cache: string): Promise<void> {
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) return send(res, 404, 'Not found');
    res.writeHead(200, {
      'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
      'Content-Length': String(info.size),
      'Cache-Control': cache,
    });
    stream(file, res);
  }

  // A file that vanishes or fails mid-read ends that response, not the process.
  function stream(file: string, res: ServerResponse, range?: { start: number; end: number }): void {
    pipeline(createReadStream(file, range), res, (err) => {
      if (err && err.code !== 'ERR_STREAM_PREMATURE_CLOSE') engine.log.warn('host file read failed', { error: err });
    });
  }

  // Large requests come in parts (shared/bridge.ts), so a frame over this is not our page.
  const sockets = new WebSocketServer({ noServer: true, maxPayload: BRIDGE_MAX_FRAME_BYTES });
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    try {
      const path = new URL(req.url ?? '/', origin).pathname;
      // A browser always sends Origin on a WebSocket: only our own page may open the bridge.
      if (path !== BRIDGE_PATH || !hostAllowed(req) || !authorised(req) || req.headers.origin !== origin) {
        socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
        return;
      }
      sockets.handleUpgrade(req, socket, head, (ws) => serveBridge(ws, engine));
    } catch (err) {
      engine.log.warn('bridge upgrade failed', { error: err });
      socket.destroy();
    }
  });

  const stopEvents = engine.onAny((name, payload) => {
    for (const ws of sockets.clients) sendFrame(ws, { type: 'event', name, payload });
  });

  const address = await listen(server, options.port ?? 0, options.address, engine);
  server.on('error', (err) => engine.log.error('host server error', { error: err }));
  const port = (server.address() as AddressInfo).port;
  origin = `http://${address}:${port}`;
  cookieName = bridgeCookie(port);
  policy = hostPolicy(`ws://${address}:${port}`);

  return {
    url: `${origin}/?token=${token}`,
    origin,
    address,
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

/**
 * Listens on the given address, or on a random one of 127.0.0.0/8 (never 127.0.0.1, which other
 * local services share). Where the OS only has 127.0.0.1 (macOS, usually), falls back to it.
 */
async function listen(server: Server, port: number, fixed: string | undefined, engine: Engine): Promise<string> {
  const attempt = (address: string): Promise<string> =>
    new Promise((ok, fail) => {
      const failed = (err: Error): void => fail(err);
      server.once('error', failed);
      server.listen(port, address, () => {
        server.off('error', failed);
        ok(address);
      });
    });
  if (fixed) return attempt(fixed);
  const address = `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
  try {
    return await attempt(address);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRNOTAVAIL') throw err;
    engine.log.warn('this system cannot listen on other loopback addresses; using 127.0.0.1', { tried: address });
    return attempt('127.0.0.1');
  }
}

/** The shared CSP with connect-src narrowed to this host's own bridge. */
function hostPolicy(bridge: string): string {
  return CONTENT_SECURITY_POLICY.split('; ')
    .map((directive) => (directive.startsWith('connect-src ') ? `connect-src 'self' ${bridge}` : directive))
    .join('; ');
}

function safeDecode(path: string): string | null {
  try {
    return decodeURIComponent(path);
  } catch {
    return null;
  }
}

function send(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}

function setSecurityHeaders(res: ServerResponse, policy: string): void {
  res.setHeader('Content-Security-Policy', policy);
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
