// Properties of bounded JSON parsing: any JSON within the limits round-trips, anything over them
// is refused with a reason, and no depth or size overflows the stack.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { depthOf, parseJsonBounded } from '../../../shared/json-limits';

const roomy = { maxBytes: 1024 * 1024, maxDepth: 64 };
const encoder = new TextEncoder();

/** The depth by plain recursion: the reference for values small enough to recurse over. */
function referenceDepth(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  return 1 + Math.max(0, ...Object.values(value).map(referenceDepth));
}

describe('parseJsonBounded', () => {
  it('round-trips any JSON value, from a string or from UTF-8 bytes', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), (value) => {
        const text = JSON.stringify(value);
        const expected = JSON.parse(text) as unknown;
        expect(parseJsonBounded(text, roomy)).toEqual(expected);
        expect(parseJsonBounded(encoder.encode(text), roomy)).toEqual(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('the byte limit is exact, in UTF-8 bytes, for strings and bytes alike', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.integer({ min: -3, max: 3 }), (s, slack) => {
        const text = JSON.stringify(s);
        const size = encoder.encode(text).length;
        const limits = { maxBytes: size + slack, maxDepth: 4 };
        for (const input of [text, encoder.encode(text)]) {
          if (slack >= 0) expect(parseJsonBounded(input, limits)).toBe(s);
          else expect(() => parseJsonBounded(input, limits)).toThrow(/larger than/);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('the depth limit is exact: depth N passes with maxDepth N and fails with N - 1', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 10 }), (value) => {
        const depth = referenceDepth(value);
        expect(depthOf(value, 100)).toBe(depth);
        const text = JSON.stringify(value);
        expect(() => parseJsonBounded(text, { maxBytes: 1e9, maxDepth: depth })).not.toThrow();
        if (depth > 0) {
          expect(() => parseJsonBounded(text, { maxBytes: 1e9, maxDepth: depth - 1 })).toThrow(
            `the JSON is nested more than ${depth - 1} levels deep`,
          );
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses deep nesting (up to 200,000 levels) without a stack overflow', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 65, max: 200_000 }),
        fc.constantFrom(['[', ']'], ['{"a":', '}']),
        (depth, [open, close]) => {
          const text = open!.repeat(depth) + '0' + close!.repeat(depth);
          expect(() => parseJsonBounded(text, { maxBytes: 1e8, maxDepth: 64 })).toThrow(/nested more than 64/);
        },
      ),
      { numRuns: 20 },
    );
  });

  it('refuses what is not JSON with the parser’s reason', () => {
    expect(() => parseJsonBounded('{"a":', roomy)).toThrow(/^not valid JSON: /);
    expect(() => parseJsonBounded(new Uint8Array([0xff, 0xfe]), roomy)).toThrow(/^not valid JSON: /);
  });

  it('depthOf stops at its limit on cycles and very deep values', () => {
    const cycle: unknown[] = [];
    cycle.push(cycle);
    expect(depthOf(cycle, 64)).toBe(65);
    let deep: unknown = 1;
    for (let i = 0; i < 1_000_000; i++) deep = [deep];
    expect(depthOf(deep, 64)).toBe(65);
    expect(depthOf(deep, 2_000_000)).toBe(1_000_000);
  });
});
