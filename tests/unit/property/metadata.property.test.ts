// Properties of the metadata reader: no bytes make it throw (random, or real ComfyUI outputs with
// flipped bytes, cuts, duplicated chunks and huge length fields), what it returns is safe to use,
// and a prompt/workflow written into a PNG's text chunks comes back as written.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { depthOf } from '../../../shared/json-limits';
import { readImageMetadata, type ImageMetadata } from '../../../electron/engine/workflows/metadata';
import { makePng, pngChunk } from '../../fake-cloud/png';
import { FIXTURES } from '../jobs/journal-helpers';

const dir = join(FIXTURES, 'comfyui-png');

/** A file as its pieces: the header, then each chunk (length, type, data, CRC or padding). */
function piecesOf(file: Buffer, kind: 'png' | 'webp'): Buffer[] {
  const headerSize = kind === 'png' ? 8 : 12;
  const pieces = [file.subarray(0, headerSize)];
  for (let offset = headerSize; offset + 8 <= file.length;) {
    const length = kind === 'png' ? file.readUInt32BE(offset) + 12 : 8 + file.readUInt32LE(offset + 4);
    const size = kind === 'png' ? length : length + (length % 2);
    pieces.push(file.subarray(offset, offset + size));
    offset += size;
  }
  return pieces;
}

const samples = {
  png: ['img2img__img2img_workflow.png', 'controlnet__input_scribble_example.png', 'flux__flux_dev_example.png'].map(
    (f) => piecesOf(readFileSync(join(dir, f)), 'png'),
  ),
  webp: [piecesOf(readFileSync(join(dir, 'wan__text_to_video_wan.webp')), 'webp')],
};

/** Structural mutations on the chunk list, then byte mutations on the joined file. */
const chunkMutation = fc.oneof(
  fc.record({ op: fc.constant('duplicate' as const), from: fc.nat(), to: fc.nat() }),
  fc.record({ op: fc.constant('remove' as const), at: fc.nat() }),
  fc.record({
    op: fc.constant('length' as const),
    at: fc.nat(),
    value: fc.oneof(fc.constantFrom(0xffffffff, 0x7fffffff, 0x80000000, 0), fc.nat({ max: 0xffffffff })),
  }),
);
// Text chunks sit near the start: aim most byte mutations there.
const position = fc.oneof(fc.nat({ max: 64 }), fc.nat({ max: 64 * 1024 }), fc.nat());
const byteMutation = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: position, mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ op: fc.constant('cut' as const), at: position }),
  fc.record({
    op: fc.constant('insert' as const),
    at: position,
    bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  }),
);

type Generated<A> = A extends fc.Arbitrary<infer T> ? T : never;

function mutate(
  pieces: Buffer[],
  kind: 'png' | 'webp',
  chunkOps: Generated<typeof chunkMutation>[],
  byteOps: Generated<typeof byteMutation>[],
): Buffer {
  const list = [...pieces];
  for (const m of chunkOps) {
    const n = list.length - 1; // the header stays first
    if (n === 0) break;
    if (m.op === 'duplicate') list.splice(1 + (m.to % n), 0, list[1 + (m.from % n)]!);
    else if (m.op === 'remove') list.splice(1 + (m.at % n), 1);
    else {
      const copy = Buffer.from(list[1 + (m.at % n)]!);
      if (copy.length >= 8) {
        if (kind === 'png') copy.writeUInt32BE(m.value, 0);
        else copy.writeUInt32LE(m.value, 4);
      }
      list[1 + (m.at % n)] = copy;
    }
  }
  let file = Buffer.concat(list);
  for (const m of byteOps) {
    const at = m.at % (file.length + 1);
    if (m.op === 'flip' && at < file.length) file[at]! ^= m.mask;
    else if (m.op === 'cut') file = file.subarray(0, at);
    else if (m.op === 'insert') file = Buffer.concat([file.subarray(0, at), m.bytes, file.subarray(at)]);
  }
  return file;
}

/** What every answer must be, whatever the input. */
function expectSafe(meta: ImageMetadata): void {
  expect(['png', 'webp', 'jpeg', 'gif', 'unknown']).toContain(meta.format);
  for (const field of [meta.width, meta.height]) {
    expect(field === null || (Number.isInteger(field) && field >= 0)).toBe(true);
  }
  for (const json of [meta.prompt, meta.workflow]) {
    if (json === null) continue;
    expect(typeof json === 'object' && !Array.isArray(json)).toBe(true);
    expect(depthOf(json, 64)).toBeLessThanOrEqual(64);
    expect(() => JSON.stringify(json)).not.toThrow();
  }
}

describe('readImageMetadata properties', () => {
  it('never throws on random bytes, with or without a known signature', () => {
    const prefixes = [
      Buffer.alloc(0),
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      Buffer.from('RIFF\xff\xff\xff\xffWEBP', 'latin1'),
      Buffer.from([0xff, 0xd8]),
      Buffer.from('GIF89a'),
    ];
    fc.assert(
      fc.property(fc.constantFrom(...prefixes), fc.uint8Array({ maxLength: 2048 }), (prefix, rest) => {
        expectSafe(readImageMetadata(Buffer.concat([prefix, rest])));
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on random chunks of the types it reads, with lying length fields', () => {
    const body = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc
        .tuple(
          fc.constantFrom('prompt\0', 'workflow\0', 'prompt\0\x01\0', 'Exif\0\0II*\0', 'II*\0', 'MM\0*'),
          fc.uint8Array({ maxLength: 64 }),
        )
        .map(([head, rest]) => Buffer.concat([Buffer.from(head, 'latin1'), rest])),
    );
    const piece = fc.record({
      type: fc.oneof(
        fc.constantFrom('IHDR', 'tEXt', 'zTXt', 'iTXt', 'IDAT', 'IEND', 'VP8 ', 'VP8L', 'VP8X', 'EXIF', 'ANMF'),
        fc.string({ unit: 'binary-ascii', minLength: 4, maxLength: 4 }),
      ),
      body,
      lie: fc.option(fc.nat({ max: 0xffffffff }), { freq: 3 }),
    });
    fc.assert(
      fc.property(fc.constantFrom('png', 'webp'), fc.array(piece, { maxLength: 8 }), (kind, list) => {
        const chunks = list.map(({ type, body, lie }) => {
          const head = Buffer.alloc(8);
          if (kind === 'png') {
            head.writeUInt32BE(lie ?? body.length, 0);
            head.write(type, 4, 'latin1');
            return Buffer.concat([head, body, Buffer.alloc(4)]);
          }
          head.write(type, 0, 'latin1');
          head.writeUInt32LE(lie ?? body.length, 4);
          return Buffer.concat([head, body, Buffer.alloc(body.length % 2)]);
        });
        const header =
          kind === 'png'
            ? Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
            : Buffer.from('RIFF\0\0\0\0WEBP', 'latin1');
        expectSafe(readImageMetadata(Buffer.concat([header, ...chunks])));
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on mutated real PNGs (flipped bytes, cuts, duplicated chunks, huge lengths)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...samples.png),
        fc.array(chunkMutation, { maxLength: 4 }),
        fc.array(byteMutation, { maxLength: 4 }),
        (pieces, chunkOps, byteOps) => {
          expectSafe(readImageMetadata(mutate(pieces, 'png', chunkOps, byteOps)));
        },
      ),
      { numRuns: 600 },
    );
  });

  it('never throws on a mutated real animated WebP', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...samples.webp),
        fc.array(chunkMutation, { maxLength: 4 }),
        fc.array(byteMutation, { maxLength: 4 }),
        (pieces, chunkOps, byteOps) => {
          expectSafe(readImageMetadata(mutate(pieces, 'webp', chunkOps, byteOps)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a prompt and workflow written into a PNG come back as written (tEXt from the fake cloud)', () => {
    const object = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 6 });
    fc.assert(
      fc.property(object, object, (prompt, workflow) => {
        const [p, w] = [JSON.stringify(prompt), JSON.stringify(workflow)];
        const meta = readImageMetadata(makePng(3, 2, 7, { prompt: p, workflow: w }));
        expect(meta).toEqual({ format: 'png', width: 3, height: 2, prompt: JSON.parse(p), workflow: JSON.parse(w) });
      }),
      { numRuns: 500 },
    );
  });

  it('the same through zTXt and iTXt (compressed or not), whatever the other chunks', () => {
    const chunk = pngChunk;
    const textChunk = (kind: string, keyword: string, text: string): Buffer => {
      const body = Buffer.from(text, 'utf8');
      if (kind === 'zTXt') return chunk('zTXt', Buffer.concat([Buffer.from(`${keyword}\0\0`), deflateSync(body)]));
      const compressed = kind === 'iTXt-z';
      const head = Buffer.from(`${keyword}\0${compressed ? '\x01' : '\0'}\0en\0${keyword}\0`);
      return chunk('iTXt', Buffer.concat([head, compressed ? deflateSync(body) : body]));
    };
    const base = makePng(2, 2, 3);
    fc.assert(
      fc.property(
        fc.constantFrom('zTXt', 'iTXt', 'iTXt-z'),
        fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }),
        fc.array(fc.tuple(fc.constantFrom('tEXt', 'zTXt', 'iTXt'), fc.string({ minLength: 1, maxLength: 12 })), {
          maxLength: 3,
        }),
        (kind, prompt, others) => {
          const text = JSON.stringify(prompt);
          const noise = others.map(([k, word]) =>
            textChunk(k, word.replace(/\0/g, '_') === 'prompt' ? 'other' : word.replace(/\0/g, '_'), 'noise'),
          );
          const file = Buffer.concat([
            base.subarray(0, 33),
            ...noise,
            textChunk(kind, 'prompt', text),
            base.subarray(33),
          ]);
          expect(readImageMetadata(file).prompt).toEqual(JSON.parse(text));
        },
      ),
      { numRuns: 500 },
    );
  });
});
