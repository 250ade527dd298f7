// Runtime validators for everything that crosses a trust boundary (renderer → main, bridge → engine).
// Small on purpose: each validator returns the parsed value or throws a ValidationError that names the path.

export class ValidationError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path || 'input'}: ${problem}`);
    this.name = 'ValidationError';
  }
}

export interface Validator<T> {
  readonly parse: (value: unknown, path?: string) => T;
  /** A short description of the accepted type, for error messages. */
  readonly describe: string;
}

export type Infer<V> = V extends Validator<infer T> ? T : never;

function validator<T>(describe: string, parse: (value: unknown, path: string) => T): Validator<T> {
  return { describe, parse: (value, path = '') => parse(value, path) };
}

function fail(path: string, problem: string): never {
  throw new ValidationError(path, problem);
}

export interface StringRules {
  min?: number;
  max?: number;
  pattern?: RegExp;
}

export function string(rules: StringRules = {}): Validator<string> {
  const { min = 0, max = 10_000, pattern } = rules;
  return validator('string', (v, path) => {
    if (typeof v !== 'string') fail(path, `expected a string, got ${kindOf(v)}`);
    if (v.length < min) fail(path, min === 1 ? 'must not be empty' : `must have at least ${min} characters`);
    if (v.length > max) fail(path, `must have at most ${max} characters`);
    if (pattern && !pattern.test(v)) fail(path, `has an invalid format`);
    return v;
  });
}

export interface NumberRules {
  min?: number;
  max?: number;
  integer?: boolean;
}

export function number(rules: NumberRules = {}): Validator<number> {
  return validator(rules.integer ? 'integer' : 'number', (v, path) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(path, `expected a finite number, got ${kindOf(v)}`);
    if (rules.integer && !Number.isInteger(v)) fail(path, 'must be a whole number');
    if (rules.min !== undefined && v < rules.min) fail(path, `must be at least ${rules.min}`);
    if (rules.max !== undefined && v > rules.max) fail(path, `must be at most ${rules.max}`);
    return v;
  });
}

export const integer = (rules: Omit<NumberRules, 'integer'> = {}): Validator<number> =>
  number({ ...rules, integer: true });

export const boolean: Validator<boolean> = validator('boolean', (v, path) => {
  if (typeof v !== 'boolean') fail(path, `expected true or false, got ${kindOf(v)}`);
  return v;
});

/** Accepts nothing: commands without input are called with `undefined`. */
export const none: Validator<void> = validator('nothing', (v, path) => {
  if (v !== undefined && v !== null) fail(path, 'expected no input');
});

export function literal<const T extends string | number | boolean>(...values: T[]): Validator<T> {
  return validator(values.map((x) => JSON.stringify(x)).join(' | '), (v, path) => {
    if (!values.includes(v as T)) fail(path, `expected one of ${values.map((x) => JSON.stringify(x)).join(', ')}`);
    return v as T;
  });
}

export function optional<T>(inner: Validator<T>): Validator<T | undefined> {
  return validator(`${inner.describe}?`, (v, path) => (v === undefined ? undefined : inner.parse(v, path)));
}

export function nullable<T>(inner: Validator<T>): Validator<T | null> {
  return validator(`${inner.describe} | null`, (v, path) => (v === null ? null : inner.parse(v, path)));
}

/** The first of these that accepts the value. */
export function union<V extends Validator<unknown>[]>(...options: V): Validator<Infer<V[number]>> {
  return validator(options.map((o) => o.describe).join(' | '), (v, path) => {
    for (const option of options) {
      try {
        return option.parse(v, path) as Infer<V[number]>;
      } catch {
        // the next one may accept it
      }
    }
    return fail(path, `expected ${options.map((o) => o.describe).join(' or ')}, got ${kindOf(v)}`);
  });
}

export function array<T>(item: Validator<T>, rules: { max?: number; min?: number } = {}): Validator<T[]> {
  const { max = 10_000, min = 0 } = rules;
  return validator(`${item.describe}[]`, (v, path) => {
    if (!Array.isArray(v)) fail(path, `expected a list, got ${kindOf(v)}`);
    if (v.length > max) fail(path, `must have at most ${max} items`);
    if (v.length < min) fail(path, `must have at least ${min} items`);
    return v.map((x, i) => item.parse(x, `${path}[${i}]`));
  });
}

type Shape = Record<string, Validator<unknown>>;
type OptionalKeys<S extends Shape> = {
  [K in keyof S]: undefined extends Infer<S[K]> ? K : never;
}[keyof S];
export type ObjectOf<S extends Shape> = {
  [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]>;
} & { [K in OptionalKeys<S>]?: Infer<S[K]> };

/** A plain object with exactly these keys: unknown keys are refused, so typos surface. */
export function object<S extends Shape>(shape: S): Validator<ObjectOf<S>> {
  return validator('object', (v, path) => {
    if (!isPlainObject(v)) fail(path, `expected an object, got ${kindOf(v)}`);
    for (const key of Object.keys(v)) {
      if (!(key in shape)) fail(join(path, key), 'is not a known field');
    }
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(shape)) {
      const parsed = field.parse(v[key], join(path, key));
      if (parsed !== undefined) out[key] = parsed;
    }
    return out as ObjectOf<S>;
  });
}

/** Any JSON value, bounded in size and depth so a hostile or broken input cannot exhaust main. */
export function json(rules: { maxBytes?: number; maxDepth?: number } = {}): Validator<unknown> {
  const { maxBytes = 20_000_000, maxDepth = 64 } = rules;
  return validator('JSON value', (v, path) => {
    let budget = maxBytes;
    const walk = (x: unknown, depth: number, at: string): void => {
      if (depth > maxDepth) fail(at, `is nested deeper than ${maxDepth} levels`);
      if (x === null || typeof x === 'boolean') return;
      if (typeof x === 'number') {
        if (!Number.isFinite(x)) fail(at, 'is not a finite number');
        return;
      }
      if (typeof x === 'string') {
        budget -= x.length;
        if (budget < 0) fail(path, `is larger than ${maxBytes} bytes`);
        return;
      }
      if (Array.isArray(x)) {
        x.forEach((item, i) => walk(item, depth + 1, `${at}[${i}]`));
        return;
      }
      if (isPlainObject(x)) {
        for (const [k, item] of Object.entries(x)) {
          budget -= k.length;
          walk(item, depth + 1, join(at, k));
        }
        return;
      }
      fail(at, `is not JSON (${kindOf(x)})`);
    };
    walk(v, 0, path);
    return v;
  });
}

/** A JSON object (not an array or a plain value), bounded as `json` is. */
export function jsonObject(rules: { maxBytes?: number; maxDepth?: number } = {}): Validator<Record<string, unknown>> {
  const bounded = json(rules);
  return validator('JSON object', (v, path) => {
    if (!isPlainObject(v)) fail(path, `expected an object, got ${kindOf(v)}`);
    return bounded.parse(v, path) as Record<string, unknown>;
  });
}

export function record<T>(value: Validator<T>, rules: { maxKeys?: number } = {}): Validator<Record<string, T>> {
  const { maxKeys = 10_000 } = rules;
  return validator(`Record<string, ${value.describe}>`, (v, path) => {
    if (!isPlainObject(v)) fail(path, `expected an object, got ${kindOf(v)}`);
    const entries = Object.entries(v);
    if (entries.length > maxKeys) fail(path, `must have at most ${maxKeys} entries`);
    const out: Record<string, T> = {};
    for (const [k, item] of entries) out[k] = value.parse(item, join(path, k));
    return out;
  });
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** The ids the app creates itself (profiles, jobs): short, safe in any context. */
export const id = string({ min: 1, max: 64, pattern: /^[A-Za-z0-9_-]+$/ });

/** http(s) URLs only: the renderer must never make main talk file:// or other schemes. */
export const httpUrl = validator('http(s) URL', (v, path) => {
  const s = string({ min: 1, max: 2048 }).parse(v, path);
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    fail(path, 'is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(path, 'must start with http:// or https://');
  if (url.username || url.password) fail(path, 'must not contain a user name or password');
  return url.origin + url.pathname.replace(/\/+$/, '');
});
