// Properties of the wire layer for WebSocket text frames (electron/engine/cloud/messages.ts): any
// text gives a typed message or a reason, never a throw; every string it hands on is bounded;
// and what a real server sends comes back as the fields it said.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JOB_MESSAGE_TYPES, parseServerMessage, type ServerMessage } from '../../../electron/engine/cloud/messages';
import { readTrace } from '../jobs/journal-helpers';

// Every type the wire layer knows, and two it does not (skipped, never a throw).
const TYPES = ['status', ...JOB_MESSAGE_TYPES, 'feature_flags', 'crystools.monitor'];

/** Every string inside a parsed message, to check the bounds. */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => strings(v, out));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => strings(v, out));
  return out;
}

/** A message's data with random values where the real ones go: any JSON, any type. */
const hostileData = fc.record(
  {
    prompt_id: fc.oneof(fc.string({ maxLength: 300 }), fc.integer(), fc.constant(null), fc.jsonValue({ maxDepth: 2 })),
    node: fc.oneof(fc.string({ maxLength: 300 }), fc.constant(null), fc.integer(), fc.jsonValue({ maxDepth: 2 })),
    nodes: fc.oneof(
      fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 20 }),
      fc.dictionary(fc.string({ maxLength: 20 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 20 }),
      fc.jsonValue({ maxDepth: 2 }),
    ),
    output: fc.jsonValue({ maxDepth: 4 }),
    value: fc.oneof(fc.double(), fc.jsonValue({ maxDepth: 1 })),
    max: fc.oneof(fc.double(), fc.jsonValue({ maxDepth: 1 })),
    timestamp: fc.oneof(fc.double(), fc.integer(), fc.string()),
    exception_message: fc.oneof(fc.string({ maxLength: 20_000 }), fc.jsonValue({ maxDepth: 2 })),
    traceback: fc.oneof(fc.array(fc.string({ maxLength: 5000 }), { maxLength: 80 }), fc.jsonValue({ maxDepth: 2 })),
    status: fc.jsonValue({ maxDepth: 4 }),
  },
  { requiredKeys: [] },
);

describe('parseServerMessage properties', () => {
  it('never throws on any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => {
        const parsed = parseServerMessage(text);
        expect(typeof parsed.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on any JSON, and says why when it skips', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const parsed = parseServerMessage(JSON.stringify(value));
        if (!parsed.ok) expect(parsed.reason.length).toBeGreaterThan(0);
      }),
      { numRuns: 1500 },
    );
  });

  it('known message types with hostile data: a typed message or a reason; every string bounded', () => {
    fc.assert(
      fc.property(fc.constantFrom(...TYPES), hostileData, (type, data) => {
        const parsed = parseServerMessage(JSON.stringify({ type, data }));
        if (!parsed.ok || !parsed.message) return;
        const message: ServerMessage = parsed.message;
        expect(TYPES).toContain(message.type);
        if ('promptId' in message) {
          expect(typeof message.promptId).toBe('string');
          expect(message.promptId.length).toBeGreaterThan(0);
          expect(message.promptId.length).toBeLessThanOrEqual(256);
        }
        for (const s of strings(message)) expect(s.length).toBeLessThanOrEqual(8192);
        if (message.type === 'progress') {
          expect(Number.isFinite(message.value) && Number.isFinite(message.max)).toBe(true);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('nesting deeper than the limit is refused, however it is nested', () => {
    fc.assert(
      fc.property(fc.integer({ min: 33, max: 20_000 }), fc.constantFrom('[', '{"a":'), (depth, open) => {
        const close = open === '[' ? ']' : '}';
        const inner = `${open.repeat(depth)}1${close.repeat(depth)}`;
        const parsed = parseServerMessage(`{"type":"execution_error","data":{"prompt_id":"p","x":${inner}}}`);
        expect(parsed.ok).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it("a real server's messages come back as the fields they carried", () => {
    const { messages } = readTrace('04_run_emptyimage_blur_scale_save.json');
    for (const raw of messages) {
      const parsed = parseServerMessage(JSON.stringify(raw));
      expect(parsed.ok).toBe(true);
      if (!parsed.ok || !parsed.message) continue;
      const data = raw.data as Record<string, unknown>;
      const m = parsed.message;
      expect(m.type).toBe(raw.type);
      if ('promptId' in m) expect(m.promptId).toBe(data.prompt_id);
      if (m.type === 'executing') expect(m.node).toBe(data.node);
      if (m.type === 'progress') expect([m.value, m.max]).toEqual([data.value, data.max]);
      if (m.type === 'executed') {
        const images = (data.output as { images: { filename: string }[] }).images;
        expect(m.outputs.map((o) => o.filename)).toEqual(images.map((i) => i.filename));
      }
    }
  });
});
