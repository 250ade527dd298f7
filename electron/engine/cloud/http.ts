// HTTP to one ComfyUI server (Comfy Cloud or local) with undici: a keep-alive pool per server,
// timeouts, and every failure turned into a DeskError that names the cause for a person.
// The API key is added here and only here, as a header; the signed storage URL of a 302 is fetched
// through a separate agent without it.
import { Agent, Pool, type Dispatcher } from 'undici';
import { DeskError, dispositionOf } from '../../../shared/errors';
import { parseJsonBounded } from '../../../shared/json-limits';
import type { ServerKind } from '../../../shared/contract';

export interface ServerTarget {
  kind: ServerKind;
  /** Origin plus optional base path, no trailing slash. */
  url: string;
}

export interface HttpOptions {
  /** Returns the key for this server, or null (local servers need none). Read per request: keys change. */
  apiKey: () => string | null | Promise<string | null>;
  timeoutMs?: number;
  /** How many times an idempotent request is retried on 5xx / network failure. */
  retries?: number;
  retryBaseMs?: number;
  log?: { warn(message: string, fields?: Record<string, unknown>): void };
  /** Told after every answer from the server, whatever its status: the server is reachable. */
  onAnswer?: () => void;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Multipart and other prepared bodies. */
  rawBody?: Dispatcher.DispatchOptions['body'];
  headers?: Record<string, string>;
  /** GETs are retried on 5xx and network errors; a POST is not (its outcome may be unknown). */
  idempotent?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface OpenedBody {
  status: number;
  body: AsyncIterable<Uint8Array> & { destroy(err?: Error): void };
  /** Total size of the resource when the server says it (Content-Length, or Content-Range's total). */
  size?: number;
  /** Where a 206's bytes start, by its Content-Range. */
  rangeStart?: number;
  mime?: string;
}

const JSON_LIMIT = 64 * 1024 * 1024;
/** ComfyUI's deepest answers (a UI workflow inside a job's extra_data) nest a few dozen levels. */
const MAX_JSON_DEPTH = 128;
/** A Retry-After up to this long is waited out inside a request; a longer one goes back to the caller. */
const MAX_INLINE_WAIT_MS = 10_000;
/** A Retry-After longer than this is taken as this: a server cannot park us for a day. */
const MAX_RETRY_AFTER_MS = 10 * 60_000;

/** Signed storage URLs live on other origins and must never see the key: one shared keyless agent. */
const storageAgent = new Agent({ keepAliveTimeout: 10_000, connections: 16 });

export class ComfyHttp {
  private readonly pool: Pool;
  private readonly origin: string;
  private readonly basePath: string;
  private readonly timeoutMs: number;

  constructor(
    readonly target: ServerTarget,
    private readonly options: HttpOptions,
  ) {
    const url = new URL(target.url);
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.pool = new Pool(this.origin, { connections: 8, keepAliveTimeout: 30_000, pipelining: 1 });
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  /** A path under the server's API prefix (the local server answers both with and without /api). */
  apiPath(path: string): string {
    return `${this.basePath}/api${path}`;
  }

  /** JSON request/response with typed errors; retries idempotent requests that may pass by themselves. */
  async json(method: 'GET' | 'POST' | 'DELETE' | 'PUT', path: string, options: RequestOptions = {}): Promise<unknown> {
    const attempts = options.idempotent === false || method !== 'GET' ? 1 : 1 + (this.options.retries ?? 2);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.jsonOnce(method, path, options);
      } catch (err) {
        if (attempt >= attempts || dispositionOf(err) !== 'retry') throw err;
        // The server's Retry-After wins over our backoff; a long one is the caller's to wait out.
        const asked = (err as DeskError).retryAfterMs;
        if (asked !== undefined && asked > MAX_INLINE_WAIT_MS) throw err;
        this.options.log?.warn('request failed, retrying', { method, path, attempt, code: (err as DeskError).code });
        await sleep(Math.max(asked ?? 0, backoff(attempt, this.options.retryBaseMs ?? 250)), options.signal);
      }
    }
  }

  private async jsonOnce(method: string, path: string, options: RequestOptions): Promise<unknown> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...(await this.authHeaders()),
      ...options.headers,
    };
    let body = options.rawBody;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    const response = await this.send(method, this.apiPath(path) + queryString(options.query), headers, body, options);
    this.options.onAnswer?.();
    const text = await readText(response.body, JSON_LIMIT);
    return parseJsonResponse(response.statusCode, response.headers, text, `${method} ${path}`);
  }

  /**
   * Opens a generated file for streaming. Cloud answers 302 to a signed URL on another origin, which
   * is followed by hand WITHOUT the key; a local server answers 200 with the bytes. `offset` asks
   * for the rest of a partial download (206) where the storage supports it.
   */
  async openView(
    ref: { filename: string; subfolder: string; type: string },
    offset = 0,
    signal?: AbortSignal,
  ): Promise<OpenedBody> {
    const query = queryString({ filename: ref.filename, subfolder: ref.subfolder, type: ref.type });
    const range: Record<string, string> = offset > 0 ? { range: `bytes=${offset}-` } : {};
    const first = await this.send(
      'GET',
      this.apiPath('/view') + query,
      { ...(await this.authHeaders()), ...range },
      undefined,
      {
        signal,
      },
    );
    if (first.statusCode >= 300 && first.statusCode < 400) {
      discard(first.body);
      const location = first.headers.location;
      if (typeof location !== 'string')
        throw new DeskError('bad_response', 'The server redirected without a location.');
      const signed = new URL(location, this.origin);
      if (signed.protocol !== 'https:' && signed.protocol !== 'http:') {
        throw new DeskError('bad_response', 'The server redirected to an unsupported address.');
      }
      const second = await sendTo(storageAgent, signed, 'GET', { ...range }, undefined, this.timeoutMs, signal);
      return opened(second, 'storage');
    }
    return opened(first, 'server');
  }

  private async authHeaders(): Promise<Record<string, string>> {
    const key = await this.options.apiKey();
    return key ? { 'x-api-key': key } : {};
  }

  private send(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: Dispatcher.DispatchOptions['body'] | undefined,
    options: { timeoutMs?: number; signal?: AbortSignal | undefined },
  ): Promise<Dispatcher.ResponseData> {
    return sendTo(
      this.pool,
      new URL(path, this.origin),
      method,
      headers,
      body,
      options.timeoutMs ?? this.timeoutMs,
      options.signal,
    );
  }
}

async function sendTo(
  dispatcher: Dispatcher,
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: Dispatcher.DispatchOptions['body'] | undefined,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<Dispatcher.ResponseData> {
  try {
    return await dispatcher.request({
      origin: url.origin,
      path: url.pathname + url.search,
      method: method as Dispatcher.HttpMethod,
      headers,
      body: body ?? null,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal,
    });
  } catch (err) {
    throw networkError(err, url);
  }
}

/**
 * Drops a body nobody reads (a redirect's, a refusal's). Its error is handled here: a server that
 * closes the socket before the body ends would otherwise crash the process (undici's SocketError,
 * "other side closed", on a stream with no listener).
 */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.dump({ limit: 64 * 1024 }).catch(() => undefined);
}

function opened(response: Dispatcher.ResponseData, from: 'server' | 'storage'): OpenedBody {
  const status = response.statusCode;
  if (status !== 200 && status !== 206) {
    const failure = statusError(status, null, `download from ${from}`, retryAfterOf(response.headers['retry-after']));
    discard(response.body);
    throw failure;
  }
  const lengthHeader = response.headers['content-length'];
  const length = lengthHeader === undefined ? NaN : Number(lengthHeader);
  const range = /^bytes (\d+)-\d+\/(\d+)$/.exec(String(response.headers['content-range'] ?? '').trim());
  const size = range ? Number(range[2]) : Number.isFinite(length) ? length : undefined;
  const mime = response.headers['content-type'];
  return {
    status,
    body: response.body,
    ...(size !== undefined ? { size } : {}),
    ...(status === 206 && range ? { rangeStart: Number(range[1]) } : {}),
    ...(typeof mime === 'string' ? { mime } : {}),
  };
}

async function readText(body: Dispatcher.ResponseData['body'], limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += (chunk as Buffer).length;
    if (total > limit) {
      body.destroy();
      throw new DeskError(
        'bad_response',
        `The server sent more than ${limit / 1024 / 1024} MB where JSON was expected.`,
      );
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Turns a status + body into a value or a DeskError a person can act on. */
export function parseJsonResponse(
  status: number,
  headers: Record<string, string | string[] | undefined>,
  text: string,
  what: string,
): unknown {
  const looksHtml = /^\s*</.test(text) || String(headers['content-type'] ?? '').includes('text/html');
  let parsed: unknown;
  let parseError: string | null = null;
  if (!looksHtml && text.length > 0) {
    try {
      // Bounded in depth too: what is parsed here is journaled and stringified later, and a
      // value nested a few hundred thousand levels deep would overflow the stack there.
      parsed = parseJsonBounded(text, { maxBytes: JSON_LIMIT * 3, maxDepth: MAX_JSON_DEPTH });
    } catch (err) {
      parseError = (err as Error).message;
    }
  }
  if (status >= 200 && status < 300) {
    if (looksHtml) {
      throw new DeskError(
        'bad_response',
        'The server answered with a web page instead of data. Check that the address is a ComfyUI server.',
        { status },
      );
    }
    if (parseError !== null) {
      throw new DeskError('bad_response', `The server sent unreadable JSON for ${what}: ${parseError}`, { status });
    }
    return parsed ?? null;
  }
  throw statusError(status, looksHtml ? null : parsed, what, retryAfterOf(headers['retry-after']));
}

/** Retry-After as seconds or an HTTP date, in ms; undefined when absent or unreadable. */
export function retryAfterOf(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const seconds = /^\s*\d+\s*$/.test(value) ? Number(value) * 1000 : Date.parse(value) - now;
  if (!Number.isFinite(seconds)) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, seconds));
}

export function statusError(status: number, body: unknown, what: string, retryAfterMs?: number): DeskError {
  const serverMessage = messageOf(body);
  const suffix = serverMessage ? ` (server: ${serverMessage})` : '';
  switch (true) {
    case status === 400:
      return new DeskError('rejected', `The server refused ${what}${suffix}.`, { status, details: body });
    case status === 401:
      return new DeskError(
        'unauthorized',
        'The server refused the API key (401). It is missing, mistyped or revoked: create a key at platform.comfy.org → API Keys and set it in Settings.',
        { status },
      );
    case status === 402:
      return new DeskError(
        'payment_required',
        'Not enough credits to run this (402). Add credits to your Comfy account, then try again.',
        { status },
      );
    case status === 403:
      return new DeskError(
        'forbidden',
        `Access denied (403) for ${what}${suffix}. The key or the account may not do this: check the key and the plan in Settings.`,
        { status },
      );
    case status === 404:
      return new DeskError('not_found', `Not found on the server (404): ${what}${suffix}.`, { status });
    case status === 413:
      return new DeskError('rejected', `The server refused the file as too large (413)${suffix}.`, { status });
    case status === 429:
      return new DeskError(
        'rate_limited',
        `The server is turning requests away (429)${retryAfterMs !== undefined ? `; it asks to wait ${Math.ceil(retryAfterMs / 1000)} s` : ''}: too many requests were sent, or the subscription is inactive. Comfy Desk will retry; check your Comfy Cloud plan if this lasts.`,
        { status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) },
      );
    case status >= 500:
      return new DeskError(
        'server_error',
        `The server had a problem (${status})${suffix}. Comfy Desk will retry; nothing is lost.`,
        { status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) },
      );
    default:
      return new DeskError('bad_response', `Unexpected answer ${status} for ${what}${suffix}.`, { status });
  }
}

function messageOf(body: unknown): string | null {
  if (!body || typeof body !== 'object') return null;
  const b = body as { message?: unknown; error?: unknown };
  if (typeof b.message === 'string') return b.message.slice(0, 300);
  if (typeof b.error === 'string') return b.error.slice(0, 300);
  if (b.error && typeof b.error === 'object' && typeof (b.error as { message?: unknown }).message === 'string') {
    return (b.error as { message: string }).message.slice(0, 300);
  }
  return null;
}

function networkError(err: unknown, url: URL): DeskError {
  if (err instanceof DeskError) return err;
  const e = err as { code?: string; name?: string; message?: string };
  if (e.name === 'AbortError') return new DeskError('network', 'The request was cancelled.', { cause: err });
  const reason =
    e.code === 'ECONNREFUSED'
      ? 'nothing is listening there'
      : e.code === 'ENOTFOUND'
        ? 'the name does not resolve'
        : e.code === 'UND_ERR_HEADERS_TIMEOUT' ||
            e.code === 'UND_ERR_BODY_TIMEOUT' ||
            e.code === 'UND_ERR_CONNECT_TIMEOUT'
          ? 'it did not answer in time'
          : e.code === 'ECONNRESET' || e.code === 'UND_ERR_SOCKET'
            ? 'the connection was cut'
            : (e.code ?? e.message ?? 'unknown error');
  return new DeskError('network', `Cannot reach ${url.host}: ${reason}.`, { cause: err });
}

export function backoff(attempt: number, baseMs: number, capMs = 30_000): number {
  const exp = Math.min(capMs, baseMs * 2 ** (attempt - 1));
  return exp / 2 + Math.random() * (exp / 2);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new DeskError('network', 'The request was cancelled.'));
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(new DeskError('network', 'The request was cancelled.'));
      },
      { once: true },
    );
  });
}

function queryString(query: RequestOptions['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}
