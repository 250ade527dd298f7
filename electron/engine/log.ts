// A small structured logger (JSON lines, rotated by size) and the Redactor that every line,
// every error message returned over the contract, and every field passes through first.
import { appendFileSync, existsSync, renameSync, rmSync, statSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const REDACTED = '[redacted]';

/** Field names whose values are secret whatever they look like. */
const SECRET_FIELD = /^(?:x-api-key|api[-_]?key|api_key_comfy_org|authorization|password|secret|[a-z_]*token)$/i;

/**
 * Text patterns that carry a secret: `token=VALUE` (also access_token=…), `X-API-Key: VALUE`,
 * `"x-api-key":"VALUE"`, `api_key_comfy_org` in any of those forms, and `Bearer VALUE`.
 * The first group is kept, the second replaced.
 */
const PATTERNS: RegExp[] = [
  /((?:["']?)\b(?:x-api-key|api_key_comfy_org|[a-z_]*token)(?:["']?)\s*[:=]\s*["']?)(?!\[redacted\])([^\s"'&,;}\])]+)/gi,
  /(\bBearer\s+)(?!\[redacted\])([^\s"',;}\])]+)/gi,
  /(\bAuthorization["']?\s*[:=]\s*["']?)(?!Bearer\b|\[redacted\])([^\s"',;}\])]+)/gi,
];

export class Redactor {
  private readonly secrets = new Set<string>();
  private ordered: string[] = [];

  /** Register a secret (an API key the engine has seen): it is replaced wherever it appears from now on. */
  add(secret: string | null | undefined): void {
    if (!secret || secret.length < 4 || this.secrets.has(secret)) return;
    this.secrets.add(secret);
    this.ordered = [...this.secrets].sort((a, b) => b.length - a.length);
  }

  /** Redact a piece of text. Bound, so it can be passed around as a plain function. */
  readonly redact = (text: string): string => {
    let out = text;
    for (const secret of this.ordered) out = out.split(secret).join(REDACTED);
    for (const pattern of PATTERNS) {
      out = out.replace(pattern, (_m, keep: string) => keep + REDACTED);
    }
    return out;
  };

  /** Redact every string in a JSON-like value, and every value under a secret-looking field name. */
  redactValue(value: unknown, depth = 0): unknown {
    if (typeof value === 'string') return this.redact(value);
    if (value === null || typeof value !== 'object') return value;
    if (depth > 8) return '[too deep]';
    if (value instanceof Error) {
      const out: Record<string, unknown> = { name: value.name, message: this.redact(value.message) };
      const code = (value as { code?: unknown }).code;
      if (code !== undefined) out.code = this.redactValue(code, depth + 1);
      if (value.stack) out.stack = this.redact(value.stack);
      return out;
    }
    if (Array.isArray(value)) return value.map((x) => this.redactValue(x, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] =
        SECRET_FIELD.test(k) && v !== null && v !== undefined && v !== '' ? REDACTED : this.redactValue(v, depth + 1);
    }
    return out;
  }
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LoggerOptions {
  dir: string;
  redactor: Redactor;
  fileName?: string;
  /** Rotate when the file would grow past this (default 5 MB). */
  maxBytes?: number;
  /** How many rotated files to keep beside the current one (default 3). */
  keep?: number;
  level?: LogLevel;
  /** Also print warnings and errors to stderr (default false). */
  echo?: boolean;
}

export class Logger {
  readonly path: string;
  private readonly redactor: Redactor;
  private readonly maxBytes: number;
  private readonly keep: number;
  private readonly level: number;
  private readonly echo: boolean;
  private size: number;

  constructor(options: LoggerOptions) {
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    this.path = join(options.dir, options.fileName ?? 'comfy-desk.log');
    this.redactor = options.redactor;
    this.maxBytes = options.maxBytes ?? 5 * 1024 * 1024;
    this.keep = options.keep ?? 3;
    this.level = LEVELS[options.level ?? 'info'];
    this.echo = options.echo ?? false;
    this.size = existsSync(this.path) ? statSync(this.path).size : 0;
  }

  debug(message: string, fields?: Record<string, unknown>): void {
    this.write('debug', message, fields);
  }
  info(message: string, fields?: Record<string, unknown>): void {
    this.write('info', message, fields);
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.write('warn', message, fields);
  }
  error(message: string, fields?: Record<string, unknown>): void {
    this.write('error', message, fields);
  }

  /** The files this logger writes: the current one first, then the rotated ones that exist. */
  files(): string[] {
    const all = [this.path];
    for (let i = 1; i <= this.keep; i++) all.push(`${this.path}.${i}`);
    return all.filter((f) => existsSync(f));
  }

  private write(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    if (LEVELS[level] < this.level) return;
    const record: Record<string, unknown> = { t: new Date().toISOString(), level, msg: this.redactor.redact(message) };
    if (fields) {
      const clean = this.redactor.redactValue(fields) as Record<string, unknown>;
      for (const [k, v] of Object.entries(clean)) if (!(k in record)) record[k] = v;
    }
    // Redact once more over the whole line: catches a secret split across fields' serialisation.
    const line = this.redactor.redact(safeStringify(record)) + '\n';
    const bytes = Buffer.byteLength(line);
    try {
      if (this.size > 0 && this.size + bytes > this.maxBytes) this.rotate();
      appendFileSync(this.path, line, { mode: 0o600 });
      this.size += bytes;
    } catch (err) {
      // Logging must never take the app down.
      if (this.echo) process.stderr.write(`log write failed: ${String(err)}\n`);
    }
    if (this.echo && LEVELS[level] >= LEVELS.warn) process.stderr.write(line);
  }

  private rotate(): void {
    rmSync(`${this.path}.${this.keep}`, { force: true });
    for (let i = this.keep - 1; i >= 1; i--) {
      const from = `${this.path}.${i}`;
      if (existsSync(from)) renameSync(from, `${this.path}.${i + 1}`);
    }
    if (this.keep >= 1) renameSync(this.path, `${this.path}.1`);
    else rmSync(this.path, { force: true });
    this.size = 0;
  }
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    return JSON.stringify({ msg: String(value) });
  }
}
