// The metadata reader on hostile files: zlib bombs, deep JSON, oversized text, endless chunks and
// EXIF entries that all point at one large value cost little and give null fields.
import { deflateRawSync, deflateSync, constants as zlibConstants, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readImageMetadata } from '../../../electron/engine/workflows/metadata';
import { makePng, pngChunk } from '../../fake-cloud/png';

const MiB = 1024 * 1024;

const base = makePng(4, 4, 1);
/** A real 4×4 PNG with `chunks` between IHDR and IDAT. */
function pngWith(...chunks: Buffer[]): Buffer {
  return Buffer.concat([base.subarray(0, 33), ...chunks, base.subarray(33)]);
}

const zTXt = (keyword: string, body: Buffer) => pngChunk('zTXt', Buffer.concat([Buffer.from(`${keyword}\0\0`), body]));
const iTXt = (keyword: string, body: Buffer, compressed: boolean) =>
  pngChunk('iTXt', Buffer.concat([Buffer.from(`${keyword}\0${compressed ? '\x01' : '\0'}\0en\0${keyword}\0`), body]));
const tEXt = (keyword: string, text: string) => pngChunk('tEXt', Buffer.from(`${keyword}\0${text}`));

/** About 1 MB of zlib stream that inflates to 1 GiB of zeros (built without ever holding 1 GiB). */
function zlibBomb(): Buffer {
  const piece = deflateRawSync(Buffer.alloc(16 * MiB), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  return Buffer.concat([Buffer.from([0x78, 0x9c]), ...Array.from({ length: 64 }, () => piece)]);
}

/** `{"a":{"a":…{}}}` nested `depth` levels. */
const nested = (depth: number) => '{"a":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1);

describe('metadata reader limits', () => {
  it('a 1 MB zlib bomb in zTXt or iTXt gives null without taking memory; other chunks still count', () => {
    const bomb = zlibBomb();
    expect(bomb.length).toBeGreaterThan(0.5 * MiB);
    expect(bomb.length).toBeLessThan(2 * MiB);
    expect(() => inflateSync(bomb, { maxOutputLength: 64 * MiB })).toThrow(/larger than/); // it is a bomb
    const file = pngWith(zTXt('prompt', bomb), iTXt('workflow', bomb, true), tEXt('workflow', '{"nodes":[]}'));
    const before = process.memoryUsage().rss;
    const meta = readImageMetadata(file);
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * MiB);
    expect(meta).toEqual({ format: 'png', width: 4, height: 4, prompt: null, workflow: { nodes: [] } });
  });

  it('many bombs share one budget per file: each file is bounded, not each chunk', () => {
    const bomb = zlibBomb().subarray(0, 64 * 1024); // 64 KB inflating to 64 MiB
    const before = process.memoryUsage().rss;
    const started = performance.now();
    const meta = readImageMetadata(pngWith(...Array.from({ length: 200 }, () => zTXt('prompt', bomb))));
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * MiB);
    expect(performance.now() - started).toBeLessThan(5000); // 200 unbounded inflates would take minutes
    expect(meta.prompt).toBeNull();
  });

  it('only prompt and workflow are inflated: other keywords spend none of the budget', () => {
    const bomb = zlibBomb();
    const prompt = { '1': { class_type: 'KSampler', inputs: { seed: 1 } } };
    const meta = readImageMetadata(
      pngWith(
        zTXt('parameters', bomb),
        zTXt('comment', bomb),
        zTXt('extra', bomb),
        zTXt('prompt', deflateSync(JSON.stringify(prompt))),
        iTXt('workflow', deflateSync('{"nodes":[1]}'), true),
      ),
    );
    expect(meta.prompt).toEqual(prompt);
    expect(meta.workflow).toEqual({ nodes: [1] });
  });

  it('reads zTXt and iTXt (compressed or not); a broken iTXt header gives null', () => {
    expect(readImageMetadata(pngWith(iTXt('prompt', Buffer.from('{"a":"é"}'), false))).prompt).toEqual({ a: 'é' });
    expect(readImageMetadata(pngWith(zTXt('prompt', deflateSync('{"b":2}')))).prompt).toEqual({ b: 2 });
    const noLanguageEnd = pngChunk('iTXt', Buffer.from('prompt\0\0\0en'));
    expect(readImageMetadata(pngWith(noLanguageEnd)).prompt).toBeNull();
    expect(readImageMetadata(pngWith(zTXt('prompt', Buffer.from('not zlib')))).prompt).toBeNull();
  });

  it('JSON nested 100,000 levels gives null, not a stack overflow later; 64 levels is fine', () => {
    const deep = readImageMetadata(pngWith(tEXt('prompt', nested(100_000)), tEXt('workflow', nested(65))));
    expect(deep.prompt).toBeNull();
    expect(deep.workflow).toBeNull();
    const fine = readImageMetadata(pngWith(tEXt('prompt', nested(64))));
    expect(fine.prompt).not.toBeNull();
    expect(() => JSON.stringify(fine.prompt)).not.toThrow();
  });

  it('a text over 16 MiB gives null', () => {
    const big = `{"a":"${'x'.repeat(16 * MiB)}"}`;
    expect(readImageMetadata(pngWith(tEXt('prompt', big))).prompt).toBeNull();
    expect(readImageMetadata(pngWith(tEXt('prompt', `{"a":"${'x'.repeat(MiB)}"}`))).prompt).not.toBeNull();
  });

  it('walks at most 10,000 chunks; a length field past the end keeps what was read', () => {
    const filler = pngChunk('aaAa', Buffer.alloc(0));
    const late = readImageMetadata(pngWith(...Array.from({ length: 10_000 }, () => filler), tEXt('prompt', '{}')));
    expect(late).toMatchObject({ width: 4, height: 4, prompt: null });
    expect(
      readImageMetadata(pngWith(...Array.from({ length: 100 }, () => filler), tEXt('prompt', '{}'))).prompt,
    ).toEqual({});
    const huge = pngWith(tEXt('prompt', '{"x":1}'), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x49, 0x44, 0x41, 0x54]));
    expect(readImageMetadata(huge)).toMatchObject({ width: 4, prompt: { x: 1 } });
  });
});

/** A RIFF chunk: type, little-endian length, data padded to an even size. */
function riff(type: string, data: Buffer, claimed = data.length): Buffer {
  const head = Buffer.alloc(8);
  head.write(type, 0, 'latin1');
  head.writeUInt32LE(claimed, 4);
  return Buffer.concat([head, data, Buffer.alloc(data.length % 2)]);
}

function webpWith(...chunks: Buffer[]): Buffer {
  const body = Buffer.concat([Buffer.from('WEBP'), ...chunks]);
  const size = Buffer.alloc(4);
  size.writeUInt32LE(body.length);
  return Buffer.concat([Buffer.from('RIFF'), size, body]);
}

const vp8x = riff('VP8X', Buffer.from([0x02, 0, 0, 0, 99, 0, 0, 49, 0, 0])); // 100×50

/** A little-endian TIFF block whose IFD0 has ASCII entries: [value index or string] per entry. */
function exif(values: string[], entries: number[] = values.map((_, i) => i)): Buffer {
  const ifdSize = 2 + entries.length * 12 + 4;
  const offsets: number[] = [];
  let at = 8 + ifdSize;
  for (const v of values) {
    offsets.push(at);
    at += Buffer.byteLength(v) + 1;
  }
  const out = Buffer.alloc(at);
  out.write('II*\0', 0, 'latin1');
  out.writeUInt32LE(8, 4);
  out.writeUInt16LE(entries.length, 8);
  entries.forEach((valueIndex, i) => {
    const entry = 10 + i * 12;
    out.writeUInt16LE(Math.max(1, 0x010f - i), entry);
    out.writeUInt16LE(2, entry + 2); // ASCII
    out.writeUInt32LE(Buffer.byteLength(values[valueIndex]!) + 1, entry + 4);
    out.writeUInt32LE(offsets[valueIndex]!, entry + 8);
  });
  values.forEach((v, i) => out.write(v, offsets[i]!));
  return Buffer.concat([Buffer.from('Exif\0\0'), out]);
}

describe('WebP EXIF limits', () => {
  it('reads prompt and workflow from EXIF, the first of each', () => {
    const file = webpWith(
      vp8x,
      riff('EXIF', exif(['workflow:{"nodes":[]}', 'prompt:{"1":{}}', 'prompt:{"2":{}}', 'Make:ACME'])),
    );
    expect(readImageMetadata(file)).toEqual({
      format: 'webp',
      width: 100,
      height: 50,
      prompt: { '1': {} },
      workflow: { nodes: [] },
    });
  });

  it('deep JSON in EXIF gives null', () => {
    const file = webpWith(vp8x, riff('EXIF', exif([`prompt:${nested(100_000)}`])));
    expect(readImageMetadata(file).prompt).toBeNull();
  });

  it('thousands of entries pointing at one large value are read once', () => {
    const large = `prompt:${'x'.repeat(4 * MiB)}`;
    const file = webpWith(
      vp8x,
      riff(
        'EXIF',
        exif(
          [large],
          Array.from({ length: 5000 }, () => 0),
        ),
      ),
    );
    const started = performance.now();
    expect(readImageMetadata(file).prompt).toBeNull();
    expect(performance.now() - started).toBeLessThan(2000); // 5000 decodes of 4 MB would take far longer
  });

  it('a VP8, VP8L or VP8X chunk cut short gives no size, never a throw', () => {
    for (const type of ['VP8 ', 'VP8L', 'VP8X']) {
      const cut = webpWith(riff(type, Buffer.from([1, 2, 3]), 10)); // claims 10 bytes, has 3
      expect(() => readImageMetadata(cut)).not.toThrow();
      expect(readImageMetadata(cut)).toMatchObject({ format: 'webp', width: null, height: null });
    }
  });
});
