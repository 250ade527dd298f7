// Errors that cross the contract: a stable code the UI can act on and a message written for a person.

export type DeskErrorCode =
  | 'invalid_input' // the caller sent something the contract refuses
  | 'unknown_command'
  | 'not_found'
  | 'keychain_unavailable' // no OS keychain: keys cannot be stored
  | 'no_key' // the server needs an API key and none is set
  | 'unauthorized' // 401: the key is missing or wrong
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
}

export class DeskError extends Error {
  readonly code: DeskErrorCode;
  readonly status: number | undefined;
  readonly details: unknown;

  constructor(
    code: DeskErrorCode,
    message: string,
    extra: { status?: number; details?: unknown; cause?: unknown } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'DeskError';
    this.code = code;
    this.status = extra.status;
    this.details = extra.details;
  }

  toInfo(): DeskErrorInfo {
    const info: DeskErrorInfo = { code: this.code, message: this.message };
    if (this.status !== undefined) info.status = this.status;
    if (this.details !== undefined) info.details = this.details;
    return info;
  }

  static fromInfo(info: DeskErrorInfo): DeskError {
    return new DeskError(info.code, info.message, { status: info.status, details: info.details });
  }
}

/** What every command returns on the wire: errors travel as data, not as thrown IPC errors. */
export type WireResult<T> = { ok: true; value: T } | { ok: false; error: DeskErrorInfo };
