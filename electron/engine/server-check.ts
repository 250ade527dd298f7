// "Test the key": one authenticated request to the profile's server, explained for a person.
// Cloud: GET {url}/api/user with X-API-Key. Local ComfyUI: GET {url}/api/system_stats, no key.
import { request, type Dispatcher } from 'undici';
import type { ConnectionStateName, ServerCheck, ServerProfile } from '../../shared/contract';

export type CheckOutcome =
  | 'ok'
  | 'no_key'
  | 'unauthorized'
  | 'payment_required'
  | 'rate_limited'
  | 'server_error'
  | 'bad_response'
  | 'network'
  | 'other';

export interface DetailedCheck {
  outcome: CheckOutcome;
  check: ServerCheck;
}

export interface ServerCheckOptions {
  timeoutMs?: number;
  /** Hides secrets in anything quoted from the server (the key itself is always hidden). */
  redact?: (text: string) => string;
  dispatcher?: Dispatcher;
}

const KEYS_PAGE = 'https://platform.comfy.org (profile → API Keys)';
const MAX_BODY = 256 * 1024;

/** The connection state a check result stands for. */
export function connectionStateFor(outcome: CheckOutcome): ConnectionStateName {
  switch (outcome) {
    case 'ok':
    case 'payment_required':
    case 'rate_limited':
      return 'online';
    case 'no_key':
      return 'no_key';
    case 'unauthorized':
      return 'unauthorized';
    default:
      return 'offline';
  }
}

export async function checkServer(
  profile: ServerProfile,
  key: string | null,
  options: ServerCheckOptions = {},
): Promise<ServerCheck> {
  return (await checkServerDetailed(profile, key, options)).check;
}

export async function checkServerDetailed(
  profile: ServerProfile,
  key: string | null,
  options: ServerCheckOptions = {},
): Promise<DetailedCheck> {
  const cloud = profile.kind === 'cloud';
  const hide = (text: string): string => {
    let out = key ? text.split(key).join('[redacted]') : text;
    if (options.redact) out = options.redact(out);
    return out;
  };
  if (cloud && !key) {
    return {
      outcome: 'no_key',
      check: {
        ok: false,
        message: `No API key is set for "${profile.name}". Create one at ${KEYS_PAGE} and paste it here.`,
      },
    };
  }
  const path = cloud ? '/api/user' : '/api/system_stats';
  const url = profile.url.replace(/\/+$/, '') + path;
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'ComfyDesk' };
  // Only Comfy Cloud gets the key: a local profile's address could be anything on the network.
  if (key && cloud) headers['x-api-key'] = key;
  const timeoutMs = options.timeoutMs ?? 10_000;

  let status: number;
  let contentType: string;
  let location: string | undefined;
  let text: string;
  try {
    const res = await request(url, {
      method: 'GET',
      headers,
      signal: AbortSignal.timeout(timeoutMs),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    });
    status = res.statusCode;
    contentType = String(res.headers['content-type'] ?? '');
    const loc = res.headers.location;
    location = Array.isArray(loc) ? loc[0] : loc;
    text = await readLimited(res.body);
  } catch (err) {
    return { outcome: 'network', check: { ok: false, message: hide(networkMessage(profile, err, timeoutMs)) } };
  }

  const looksHtml = /text\/html/i.test(contentType) || /^\s*</.test(text);
  let body: unknown;
  let jsonOk = false;
  if (!looksHtml && text.trim() !== '') {
    try {
      body = JSON.parse(text);
      jsonOk = true;
    } catch {
      // handled below
    }
  }
  const serverSays = jsonOk ? errorMessageOf(body) : undefined;
  const quote = serverSays ? ` The server said: "${hide(serverSays).slice(0, 200)}".` : '';
  const where = cloud ? 'Comfy Cloud' : `the server at ${profile.url}`;

  if (status >= 300 && status < 400) {
    let target = '';
    try {
      target = location ? new URL(location, url).origin : '';
    } catch {
      // ignore
    }
    return {
      outcome: 'bad_response',
      check: {
        ok: false,
        status,
        message: `${profile.url} redirects elsewhere${target ? ` (to ${target})` : ''}. Check the address: use the server's own address, with http:// or https:// as it expects.`,
      },
    };
  }
  if (status === 401 || status === 403) {
    const message = cloud
      ? `Comfy Cloud refused the API key (HTTP ${status}): it is missing, wrong or has been revoked. Create a new key at ${KEYS_PAGE}, then paste it here.${quote}`
      : `The server at ${profile.url} refused the request (HTTP ${status}): it needs credentials that Comfy Desk does not have.${quote}`;
    return { outcome: 'unauthorized', check: { ok: false, status, message } };
  }
  if (status === 402) {
    return {
      outcome: 'payment_required',
      check: {
        ok: false,
        status,
        message: `The key works, but the account does not have enough credits (HTTP 402). Add credits at https://platform.comfy.org.${quote}`,
      },
    };
  }
  if (status === 429) {
    return {
      outcome: 'rate_limited',
      check: {
        ok: false,
        status,
        message: `${cap(where)} is limiting requests (HTTP 429): too many requests, or the subscription is not active. Wait a minute and try again, or check your plan at https://platform.comfy.org.${quote}`,
      },
    };
  }
  if (status >= 500) {
    return {
      outcome: 'server_error',
      check: {
        ok: false,
        status,
        message: `${cap(where)} is having trouble (HTTP ${status}). This is not your key; try again later.${quote}`,
      },
    };
  }
  if (looksHtml) {
    return {
      outcome: 'bad_response',
      check: {
        ok: false,
        status,
        message: `${profile.url} is not a ComfyUI server (it answered with a web page). Check the address: it should be the ComfyUI server itself${cloud ? ' (https://cloud.comfy.org)' : ', e.g. http://127.0.0.1:8188'}.`,
      },
    };
  }
  if (status === 404) {
    return {
      outcome: 'bad_response',
      check: {
        ok: false,
        status,
        message: `${profile.url} answered, but has no ${path} (HTTP 404): it does not look like a ComfyUI server. Check the address.`,
      },
    };
  }
  if (status < 200 || status >= 300) {
    return {
      outcome: 'other',
      check: { ok: false, status, message: `${cap(where)} answered HTTP ${status}.${quote}` },
    };
  }
  if (!jsonOk) {
    return {
      outcome: 'bad_response',
      check: {
        ok: false,
        status,
        message: `${profile.url} answered, but not with JSON: it does not look like a ComfyUI server. Check the address.`,
      },
    };
  }

  if (cloud) {
    const user = userOf(body);
    const state = isRecord(body) && typeof body.status === 'string' ? body.status : undefined;
    const who = user ? ` as ${hide(user)}` : '';
    const message =
      state === 'waitlisted'
        ? `The key works${who}, but the account is still on the Comfy Cloud waitlist.`
        : `Connected to Comfy Cloud${who}. The key works.`;
    const check: ServerCheck = { ok: true, status, message };
    if (user) check.user = hide(user);
    return { outcome: 'ok', check };
  }
  const system = isRecord(body) && isRecord(body.system) ? body.system : undefined;
  const version = system && typeof system.comfyui_version === 'string' ? ` ${system.comfyui_version}` : '';
  return {
    outcome: 'ok',
    check: {
      ok: true,
      status,
      message: `Connected to ComfyUI${version} at ${profile.url}. Local servers need no key.`,
    },
  };
}

async function readLimited(
  body: AsyncIterable<Buffer | Uint8Array | string> & { destroy?: () => void },
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk);
    size += buf.length;
    if (size > MAX_BODY) {
      chunks.push(buf.subarray(0, MAX_BODY - (size - buf.length)));
      body.destroy?.();
      break;
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function networkMessage(profile: ServerProfile, err: unknown, timeoutMs: number): string {
  const codes: string[] = [];
  let e: unknown = err;
  for (let i = 0; i < 4 && e; i++) {
    if (isRecord(e) || e instanceof Error) {
      const r = e as { code?: unknown; name?: unknown; cause?: unknown };
      if (typeof r.code === 'string') codes.push(r.code);
      if (typeof r.name === 'string') codes.push(r.name);
      e = r.cause;
    } else break;
  }
  const has = (...names: string[]): boolean => names.some((n) => codes.includes(n));
  let host = profile.url;
  try {
    host = new URL(profile.url).host;
  } catch {
    // keep the url
  }
  if (has('ECONNREFUSED')) {
    return profile.kind === 'local'
      ? `Nothing is listening at ${profile.url} (connection refused). Is ComfyUI running? Check the address and port.`
      : `${host} refused the connection. Check the address.`;
  }
  if (has('ENOTFOUND', 'EAI_AGAIN')) {
    return `The server ${host} could not be found (DNS lookup failed). Check the address and your internet connection.`;
  }
  if (
    has(
      'TimeoutError',
      'AbortError',
      'UND_ERR_CONNECT_TIMEOUT',
      'UND_ERR_HEADERS_TIMEOUT',
      'UND_ERR_BODY_TIMEOUT',
      'ETIMEDOUT',
    )
  ) {
    return `${host} did not answer within ${Math.round(timeoutMs / 1000)} s: the server is unreachable. Check the address and your connection.`;
  }
  if (codes.some((c) => /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(c))) {
    return `The secure connection to ${host} failed (certificate problem). Check the address.`;
  }
  if (has('ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE')) {
    return `The connection to ${host} was cut off. The server may be restarting or the address is not a ComfyUI server; try again.`;
  }
  const detail = err instanceof Error ? err.message : String(err);
  return `Could not reach ${host}: the server is unreachable (${detail.slice(0, 120)}). Check the address.`;
}

function errorMessageOf(body: unknown): string | undefined {
  if (!isRecord(body)) return undefined;
  if (typeof body.message === 'string') return body.message;
  if (isRecord(body.error) && typeof body.error.message === 'string') return body.error.message;
  if (typeof body.error === 'string') return body.error;
  return undefined;
}

function userOf(body: unknown): string | undefined {
  if (!isRecord(body)) return undefined;
  const sources = [body, isRecord(body.user) ? body.user : undefined];
  for (const s of sources) {
    if (!s) continue;
    for (const field of ['name', 'username', 'display_name', 'email']) {
      const value = s[field];
      if (typeof value === 'string' && value.trim()) return value.trim().slice(0, 120);
    }
  }
  return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
