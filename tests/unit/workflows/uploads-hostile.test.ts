// Damaged, cut-off and hostile files are refused before anything goes up, with a reason; the
// check stays quick and small on a zlib bomb.
import { deflateRawSync, constants as zlibConstants } from 'node:zlib';
import type { Database } from 'better-sqlite3';
import fc from 'fast-check';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { DeskError } from '../../../shared/errors';
import type { ComfyHttp } from '../../../electron/engine/cloud/http';
import { checkUploadable, CLOUD_LIMITS, UploadService } from '../../../electron/engine/uploads';
import { makePng, pngChunk } from '../../fake-cloud/png';

/** The byte offset of the first chunk of a type. */
function chunkAt(png: Buffer, type: string): number {
  for (let offset = 8; offset < png.length; offset += png.readUInt32BE(offset) + 12) {
    if (png.toString('latin1', offset + 4, offset + 8) === type) return offset;
  }
  throw new Error(`no ${type}`);
}

/** The refusal `checkUploadable` gives, or null when it takes the file. */
function refusal(bytes: Uint8Array, name = 'x.png'): DeskError | null {
  try {
    checkUploadable(bytes, name, CLOUD_LIMITS);
    return null;
  } catch (err) {
    if (!(err instanceof DeskError)) throw err;
    return err;
  }
}

const png = makePng(64, 64, 5, { prompt: '{"1":{"class_type":"X","inputs":{}}}' });
let jpeg: Buffer;
let webp: Buffer;
beforeAll(async () => {
  jpeg = await sharp(png).jpeg().toBuffer();
  webp = await sharp(png).webp().toBuffer();
});

describe('checkUploadable on damaged files', () => {
  it('takes whole PNG, JPEG and WebP images', () => {
    expect(checkUploadable(png, 'a.png', CLOUD_LIMITS)).toEqual({ mime: 'image/png', width: 64, height: 64 });
    expect(checkUploadable(jpeg, 'a.jpg', CLOUD_LIMITS)).toEqual({ mime: 'image/jpeg', width: 64, height: 64 });
    expect(checkUploadable(webp, 'a.webp', CLOUD_LIMITS)).toEqual({ mime: 'image/webp', width: 64, height: 64 });
  });

  it('refuses a PNG with a bad CRC in a critical chunk, naming the chunk', () => {
    const idat = chunkAt(png, 'IDAT');
    const flipped = Buffer.from(png);
    flipped[idat + 20]! ^= 0x40;
    const err = refusal(flipped);
    expect(err?.code).toBe('invalid_input');
    expect(err?.message).toBe(
      `x.png is damaged or cut short: the IDAT chunk at byte ${idat} is damaged (its checksum does not match).`,
    );
    const header = Buffer.from(png);
    header[17]! ^= 0x01; // a width byte in IHDR
    expect(refusal(header)?.message).toMatch(/IHDR chunk at byte 8 is damaged/);
  });

  it('refuses a PNG cut off at any point, or without IEND', () => {
    for (const cut of [8, 20, 33, 60, png.length - 13, png.length - 12, png.length - 1]) {
      expect(refusal(png.subarray(0, cut))?.message, `cut at ${cut}`).toMatch(
        /damaged or cut short: (the file is incomplete \(cut off after \d+ bytes\)|it has no image size)\.$/,
      );
    }
    const noEnd = Buffer.concat([png.subarray(0, chunkAt(png, 'IEND')), pngChunk('tEXt', Buffer.from('a\0b'))]);
    expect(refusal(noEnd)?.message).toMatch(/incomplete \(cut off after \d+ bytes\)/);
  });

  it('refuses a PNG with a garbage length field or garbage between chunks', () => {
    const huge = Buffer.from(png);
    huge.writeUInt32BE(0xffffffff, chunkAt(png, 'IDAT'));
    expect(refusal(huge)?.message).toMatch(/IDAT chunk claims an impossible length/);
    const longer = Buffer.from(png);
    longer.writeUInt32BE(png.readUInt32BE(chunkAt(png, 'IDAT')) + 1000, chunkAt(png, 'IDAT'));
    expect(refusal(longer)?.message).toMatch(/cut short/);
    const junk = Buffer.concat([
      png.subarray(0, 33),
      Buffer.from([0, 0, 0, 4, 0xde, 0xad, 0xbe, 0xef]),
      png.subarray(33),
    ]);
    expect(refusal(junk)?.message).toMatch(/damaged at byte 33/);
  });

  it('refuses a JPEG without its end marker, and a WebP cut short', () => {
    expect(refusal(jpeg.subarray(0, jpeg.length - 2), 'x.jpg')?.message).toMatch(/JPEG end marker is missing/);
    expect(refusal(Buffer.concat([jpeg, Buffer.alloc(16)]), 'x.jpg')).toBeNull(); // zero padding is fine
    expect(refusal(webp.subarray(0, webp.length - 4), 'x.webp')?.message).toMatch(/WebP header says/);
  });

  it('still refuses too many pixels, after the file is found whole', () => {
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(100_000, 0);
    ihdr.writeUInt32BE(100_000, 4);
    ihdr[8] = 8;
    ihdr[9] = 2;
    const claimsHuge = Buffer.concat([
      png.subarray(0, 8),
      pngChunk('IHDR', ihdr),
      png.subarray(chunkAt(png, 'IDAT')), // the pixels do not matter: the size is refused first
    ]);
    expect(refusal(claimsHuge)?.message).toMatch(/100000×100000; the server takes at most 16384 px/);
  });

  it('is quick and small on a whole PNG carrying a zlib bomb (nothing to inflate for an upload)', () => {
    const zeros = deflateRawSync(Buffer.alloc(16 * 1024 * 1024), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    const bomb = Buffer.concat([Buffer.from([0x78, 0x9c]), ...Array.from({ length: 64 }, () => zeros)]);
    const withBomb = Buffer.concat([
      png.subarray(0, 33),
      pngChunk('zTXt', Buffer.concat([Buffer.from('prompt\0\0'), bomb])),
      png.subarray(33),
    ]);
    const before = process.memoryUsage().rss;
    expect(checkUploadable(withBomb, 'bomb.png', CLOUD_LIMITS)).toMatchObject({ width: 64, height: 64 });
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
  });

  it('throws nothing but a DeskError for any bytes', () => {
    const prefixes = [
      png.subarray(0, 8),
      png.subarray(0, 33),
      Buffer.from('RIFF\0\0\0\0WEBP'),
      Buffer.from([0xff, 0xd8]),
    ];
    fc.assert(
      fc.property(fc.constantFrom(...prefixes, Buffer.alloc(0)), fc.uint8Array({ maxLength: 256 }), (head, tail) => {
        refusal(Buffer.concat([head, tail]));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('an upload of a damaged file', () => {
  it('sends nothing to the server', async () => {
    const calls: string[] = [];
    const http = {
      json: async (method: string, path: string) => {
        calls.push(`${method} ${path}`);
        return { name: 'x.png' };
      },
    } as unknown as ComfyHttp;
    // Statements may be made up front; none may be run for a refused file.
    const asked = () => {
      throw new Error('the journal must not be asked about a refused file');
    };
    const db = {
      prepare: () => ({ get: asked, all: asked, run: asked }),
    } as unknown as Database;
    const flipped = Buffer.from(png);
    flipped[chunkAt(png, 'IDAT') + 12]! ^= 1;
    await expect(
      new UploadService(db).upload(
        http,
        'cloud',
        { name: 'x.png', bytes: flipped },
        { kind: 'image', limits: CLOUD_LIMITS },
      ),
    ).rejects.toMatchObject({ code: 'invalid_input', message: /IDAT chunk .* is damaged/ });
    expect(calls).toEqual([]);
  });
});
