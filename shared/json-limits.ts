// JSON from outside (a server, an image's metadata, a file) with a size and a nesting limit.
// JSON.parse itself copes with any depth, but everything recursive after it (JSON.stringify,
// structuredClone, a renderer) overflows the stack on a value nested 100,000 levels deep.

export interface JsonLimits {
  /** Longest accepted text, in UTF-8 bytes. */
  maxBytes: number;
  /** Deepest accepted nesting: a primitive is 0, `[]` and `{}` are 1, `[[1]]` is 2. */
  maxDepth: number;
}

/** Parses `text` (a string or UTF-8 bytes), or throws an Error whose message says why not. */
export function parseJsonBounded(text: string | Uint8Array, limits: JsonLimits): unknown {
  if (typeof text === 'string' ? utf8Over(text, limits.maxBytes) : text.byteLength > limits.maxBytes) {
    throw new Error(`the JSON is larger than ${sizeLabel(limits.maxBytes)} (the most accepted here)`);
  }
  let value: unknown;
  try {
    value = JSON.parse(typeof text === 'string' ? text : utf8.decode(text));
  } catch (err) {
    throw new Error(`not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (depthOf(value, limits.maxDepth) > limits.maxDepth) {
    throw new Error(`the JSON is nested more than ${limits.maxDepth} levels deep`);
  }
  return value;
}

/**
 * How deeply `value` nests arrays and objects, counted without recursion; stops counting past
 * `limit` (returns limit + 1), so a cycle or a very deep value costs at most `limit` levels.
 * Meant for trees such as JSON.parse returns: shared sub-objects are walked once per reference.
 */
export function depthOf(value: unknown, limit: number): number {
  if (value === null || typeof value !== 'object') return 0;
  const stack: unknown[] = [value, 1]; // pairs: a value, then its depth
  let deepest = 1;
  while (stack.length > 0) {
    const depth = stack.pop() as number;
    const current = stack.pop() as Record<string, unknown>;
    if (depth > deepest) {
      deepest = depth;
      if (deepest > limit) return limit + 1;
    }
    if (Array.isArray(current)) {
      for (let i = 0; i < current.length; i++) {
        const child: unknown = current[i];
        if (child !== null && typeof child === 'object') stack.push(child, depth + 1);
      }
    } else {
      for (const key in current) {
        const child = current[key];
        if (child !== null && typeof child === 'object') stack.push(child, depth + 1);
      }
    }
  }
  return deepest;
}

const utf8 = new TextDecoder();

/** Whether a string's UTF-8 form is longer than `cap` bytes, counted only as far as needed. */
function utf8Over(text: string, cap: number): boolean {
  // Each UTF-16 unit is 1 to 3 bytes: the length alone often settles it.
  if (text.length > cap) return true;
  if (text.length * 3 <= cap) return false;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4; // a surrogate pair is one 4-byte character
      i++;
    } else bytes += 3; // a lone surrogate is written as U+FFFD, 3 bytes
    if (bytes > cap) return true;
  }
  return false;
}

function sizeLabel(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${+(bytes / 1024 / 1024).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${+(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}
