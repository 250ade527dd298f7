// Errors that cross the contract: a stable code the UI can act on and a message written for a person.

export type DeskErrorCode =
  | 'invalid_input' // the caller sent something the contract refuses
  | 'unknown_command'
  | 'not_found'
  | 'keychain_unavailable' // no OS keychain: keys cannot be stored
  | 'no_key' // the server needs an API key and none is set
  | 'unauthorized' // 401: the key is missing or wrong
  | 'forbidden' // 403: the key or the account may not do this
  | 'payment_required' // 402: not enough credits
  | 'rate_limited' // 429: too many requests or subscription inactive
  | 'server_error' // 5xx
  | 'bad_response' // HTML or malformed JSON where JSON was expected
  | 'rejected' // 400 from the server: the workflow was refused
  | 'network' // unreachable, reset, timeout
  | 'conflict'
  | 'internal';

export interface DeskErrorInfo {
  code: DeskErrorCode;
  message: string;
  /** HTTP status when the error came from a server. */
  status?: number;
  /** Structured extra data (e.g. node_errors), always JSON and never secret. */
  details?: unknown;
  /** How long the server asked us to wait before trying again (Retry-After), in ms. */
  retryAfterMs?: number;
}

/**
 * What to do about a failure, decided once for every caller: `retry` (network, 5xx, 429: it may
 * pass by itself), `person` (401, 402, 403, no key: only the person can fix it, so retrying
 * would only hammer the server), `final` (anything else: this request will never succeed).
 */
export type Disposition = 'retry' | 'person' | 'final';

export function dispositionOf(err: unknown): Disposition {
  if (!(err instanceof DeskError)) return 'final';
  switch (err.code) {
    case 'network':
    case 'server_error':
    case 'rate_limited':
      return 'retry';
    case 'unauthorized':
    case 'forbidden':
    case 'payment_required':
    case 'no_key':
    case 'keychain_unavailable':
      return 'person';
    default:
      return 'final';
  }
}

export class DeskError extends Error {
  readonly code: DeskErrorCode;
  readonly status: number | undefined;
  readonly details: unknown;
  readonly retryAfterMs: number | undefined;

  constructor(
    code: DeskErrorCode,
    message: string,
    extra: { status?: number; details?: unknown; cause?: unknown; retryAfterMs?: number } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'DeskError';
    this.code = code;
    this.status = extra.status;
    this.details = extra.details;
    this.retryAfterMs = extra.retryAfterMs;
  }

  toInfo(): DeskErrorInfo {
    const info: DeskErrorInfo = { code: this.code, message: this.message };
    if (this.status !== undefined) info.status = this.status;
    if (this.details !== undefined) info.details = this.details;
    if (this.retryAfterMs !== undefined) info.retryAfterMs = this.retryAfterMs;
    return info;
  }

  static fromInfo(info: DeskErrorInfo): DeskError {
    return new DeskError(info.code, info.message, {
      status: info.status,
      details: info.details,
      retryAfterMs: info.retryAfterMs,
    });
  }
}

/** What every command returns on the wire: errors travel as data, not as thrown IPC errors. */
export type WireResult<T> = { ok: true; value: T } | { ok: false; error: DeskErrorInfo };
