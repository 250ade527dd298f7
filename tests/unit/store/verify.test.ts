// A stored output is what its name says: real media passes, web pages, cut-off and damaged files
// fail with a reason a person can read.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkImageWhole, checkPngChunks, PngChunkWalker, verifyMediaFile } from '../../../electron/engine/store';
import { makePng } from '../../fake-cloud/png';
import { useTempDirs } from '../engine/tmp';
import { FIXTURES } from '../jobs/journal-helpers';

const tempDir = useTempDirs();
const fixtures = join(FIXTURES, 'comfyui-png');

/** Writes `bytes` as `name` in a fresh folder and verifies it. */
async function verifyBytes(name: string, bytes: Uint8Array, mimeHint?: string) {
  const path = join(tempDir(), name);
  writeFileSync(path, bytes);
  return verifyMediaFile(path, { filename: name, mimeHint });
}

/** The byte offset of the first chunk of a type. */
function chunkAt(png: Buffer, type: string): number {
  for (let offset = 8; offset < png.length; offset += png.readUInt32BE(offset) + 12) {
    if (png.toString('latin1', offset + 4, offset + 8) === type) return offset;
  }
  throw new Error(`no ${type}`);
}

let png: Buffer;
let jpeg: Buffer;
let webp: Buffer;
let gif: Buffer;
beforeAll(async () => {
  const raw = { width: 64, height: 48, channels: 3 } as const;
  const pixels = Buffer.from(Array.from({ length: 64 * 48 * 3 }, (_, i) => (i * 7) % 251));
  png = await sharp(pixels, { raw }).png().toBuffer();
  jpeg = await sharp(pixels, { raw }).jpeg().toBuffer();
  webp = await sharp(pixels, { raw }).webp().toBuffer();
  gif = await sharp(pixels, { raw }).gif().toBuffer();
});

describe('verifyMediaFile', () => {
  it('passes good PNG, JPEG, WebP and GIF images, with their size', async () => {
    for (const [name, bytes, mime] of [
      ['a.png', png, 'image/png'],
      ['a.jpg', jpeg, 'image/jpeg'],
      ['a.webp', webp, 'image/webp'],
      ['a.gif', gif, 'image/gif'],
    ] as const) {
      expect(await verifyBytes(name, bytes)).toEqual({ ok: true, mime, width: 64, height: 48 });
    }
  });

  it('passes every real ComfyUI output in the fixtures (the animated WebP by its frame size)', async () => {
    for (const file of readdirSync(fixtures).filter((f) => !f.endsWith('.tsv'))) {
      const result = await verifyMediaFile(join(fixtures, file), { filename: file });
      expect(result, file).toMatchObject({ ok: true });
    }
    expect(await verifyMediaFile(join(fixtures, 'wan__text_to_video_wan.webp'), { filename: 'wan.webp' })).toEqual({
      ok: true,
      mime: 'image/webp',
      width: 832,
      height: 480,
    });
  });

  it('fails a web page, JSON or an empty file named as media, saying what it is', async () => {
    const html = Buffer.from('\n  <!DOCTYPE html><html><body>502 Bad Gateway</body></html>');
    expect(await verifyBytes('x.png', html)).toEqual({ ok: false, reason: 'x.png is a web page (HTML), not an image' });
    expect(await verifyBytes('clip.mp4', Buffer.from('{"error":"not found"}'))).toEqual({
      ok: false,
      reason: 'clip.mp4 is JSON data, not a video',
    });
    expect(await verifyBytes('x.jpeg', Buffer.alloc(0))).toMatchObject({
      reason: 'x.jpeg is empty (0 bytes), not an image',
    });
    expect(await verifyBytes('song.mp3', Buffer.from('Internal Server Error'))).toMatchObject({
      reason: 'song.mp3 is text, not audio',
    });
    expect(await verifyBytes('x.webp', Buffer.from([0, 1, 2, 3, 200, 201]))).toMatchObject({
      reason: 'x.webp is unrecognized data, not an image',
    });
    // Real media of another kind: the name promised audio.
    expect(await verifyBytes('song.wav', png)).toMatchObject({ reason: 'song.wav is image/png data, not audio' });
  });

  it('without a known extension, the MIME hint says what to expect', async () => {
    const html = Buffer.from('<html><head><title>Login</title></head></html>');
    expect(await verifyBytes('output', html, 'image/png')).toMatchObject({ ok: false, reason: /web page \(HTML\)/ });
    expect(await verifyBytes('output', html, 'text/html')).toEqual({
      ok: true,
      mime: 'application/octet-stream',
      width: null,
      height: null,
    });
  });

  it('takes text and JSON outputs and other unknown extensions as they are', async () => {
    expect(await verifyBytes('notes.txt', Buffer.from('hello'))).toEqual({
      ok: true,
      mime: 'application/octet-stream',
      width: null,
      height: null,
    });
    expect(await verifyBytes('data.json', Buffer.from('{"a":1}'))).toMatchObject({ ok: true });
  });

  it('checks only the magic of video and audio', async () => {
    const mp4 = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom'), Buffer.alloc(64)]);
    expect(await verifyBytes('clip.mp4', mp4)).toEqual({ ok: true, mime: 'video/mp4', width: null, height: null });
    const wav = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WAVEfmt '), Buffer.alloc(32)]);
    expect(await verifyBytes('a.wav', wav)).toMatchObject({ ok: true, mime: 'audio/wav' });
    expect(await verifyBytes('a.flac', Buffer.from('fLaC\0\0\0\x22'))).toMatchObject({ ok: true, mime: 'audio/flac' });
  });

  it('fails a PNG cut off anywhere, saying after how many bytes', async () => {
    for (const cut of [4, 8, 20, 33, 40, Math.floor(png.length / 2), png.length - 12, png.length - 1]) {
      const result = await verifyBytes('cut.png', png.subarray(0, cut));
      expect(result, `cut at ${cut}`).toEqual({
        ok: false,
        reason: `cut.png: the file is incomplete (cut off after ${cut} bytes)`,
      });
    }
  });

  it('fails a PNG with one flipped byte in IDAT (its CRC)', async () => {
    const idat = chunkAt(png, 'IDAT');
    const flipped = Buffer.from(png);
    flipped[idat + 8 + 5]! ^= 0x01;
    expect(await verifyBytes('x.png', flipped)).toEqual({
      ok: false,
      reason: `x.png: the IDAT chunk at byte ${idat} is damaged (its checksum does not match)`,
    });
    const header = Buffer.from(png);
    header[16 + 3]! ^= 0x01; // IHDR's width
    expect(await verifyBytes('y.png', header)).toMatchObject({ ok: false, reason: /IHDR chunk at byte 8 is damaged/ });
  });

  it('passes a PNG whose text chunk has a wrong CRC, as libpng and ComfyUI do', async () => {
    // One of the real fixtures (from Comfy's docs) has a tEXt chunk edited without a new CRC.
    const texted = makePng(8, 8, 1, { prompt: '{"1":{}}' });
    texted[chunkAt(texted, 'tEXt') + 10]! ^= 0x20;
    expect(await verifyBytes('y.png', texted)).toMatchObject({ ok: true, width: 8, height: 8 });
  });

  it('fails a PNG whose CRCs are right but whose pixels do not decode', async () => {
    const broken = Buffer.from(png);
    const idat = chunkAt(broken, 'IDAT');
    const length = broken.readUInt32BE(idat);
    broken.fill(0xaa, idat + 8 + 2, idat + 8 + length - 4); // keep the zlib header, ruin the stream
    broken.writeUInt32BE(crc32(broken.subarray(idat + 4, idat + 8 + length)), idat + 8 + length);
    expect(checkPngChunks(broken)).toBeNull();
    expect(await verifyBytes('x.png', broken)).toMatchObject({
      ok: false,
      reason: /^x\.png cannot be decoded as an image: .+/,
    });
  });

  it('fails a PNG that does not start with IHDR, has no IEND or claims an impossible length', () => {
    const ihdr = chunkAt(png, 'IHDR');
    const noHeader = Buffer.concat([png.subarray(0, 8), png.subarray(ihdr + 25)]);
    expect(checkPngChunks(noHeader)).toBe('the PNG does not start with its header (IHDR)');
    const huge = Buffer.from(png);
    huge.writeUInt32BE(0xfffffff0, chunkAt(png, 'IDAT'));
    expect(checkPngChunks(huge)).toBe('the IDAT chunk claims an impossible length (4294967280 bytes)');
    const garbage = Buffer.concat([png.subarray(0, 33), Buffer.from('\0\0\0\x10\x01\x02\x03\x04')]);
    expect(checkPngChunks(garbage)).toBe('the file is damaged at byte 33 (no PNG chunk there)');
    expect(checkPngChunks(Buffer.from('GIF89a'))).toBe('not a PNG file');
    expect(checkPngChunks(new Uint8Array())).toBe('the file is empty');
  });

  it('fails a JPEG without its end marker; zero padding after it is fine', async () => {
    expect(await verifyBytes('x.jpg', jpeg.subarray(0, jpeg.length - 2))).toEqual({
      ok: false,
      reason: `x.jpg: the file is incomplete (cut off after ${jpeg.length - 2} bytes): the JPEG end marker is missing`,
    });
    expect(await verifyBytes('x.jpg', jpeg.subarray(0, jpeg.length / 2))).toMatchObject({ ok: false });
    expect(await verifyBytes('x.jpg', Buffer.concat([jpeg, Buffer.alloc(100)]))).toMatchObject({ ok: true });
  });

  it('fails a WebP whose RIFF size is not the file size, and a GIF without its trailer', async () => {
    expect(await verifyBytes('x.webp', webp.subarray(0, webp.length - 10))).toMatchObject({
      ok: false,
      reason: /^x\.webp: the file is incomplete \(cut off after \d+ bytes\): the WebP header says \d+ bytes$/,
    });
    expect(await verifyBytes('x.webp', Buffer.concat([webp, Buffer.alloc(2)]))).toMatchObject({
      ok: false,
      reason: `x.webp: the WebP header says ${webp.length} bytes but the file has ${webp.length + 2}`,
    });
    expect(await verifyBytes('x.gif', gif.subarray(0, gif.length - 1))).toMatchObject({
      ok: false,
      reason: /GIF trailer is missing/,
    });
  });

  it('checks a PNG larger than one read piece to its end', async () => {
    // Stored without compression: about 1.8 MB, so the walk spans several reads.
    const pixels = Buffer.alloc(800 * 800 * 3, 7);
    const big = await sharp(pixels, { raw: { width: 800, height: 800, channels: 3 } })
      .png({ compressionLevel: 0 })
      .toBuffer();
    expect(big.length).toBeGreaterThan(1.5 * 1024 * 1024);
    expect(await verifyBytes('big.png', big)).toMatchObject({ ok: true, width: 800, height: 800 });
    const late = Buffer.from(big);
    late[big.length - 1000]! ^= 0xff;
    expect(await verifyBytes('big.png', late)).toMatchObject({
      ok: false,
      reason: /IDAT chunk at byte \d+ is damaged/,
    });
  });

  it('never throws: a missing file or a folder is a failure with a reason', async () => {
    const dir = tempDir();
    expect(await verifyMediaFile(join(dir, 'gone.png'), { filename: 'gone.png' })).toMatchObject({
      ok: false,
      reason: /^gone\.png cannot be read: .*ENOENT/,
    });
    expect(await verifyMediaFile(dir, { filename: 'dir.png' })).toMatchObject({ ok: false });
  });
});

describe('the PNG chunk walk', () => {
  it('gives the same answer however the bytes are split', () => {
    const samples = [png, makePng(5, 5, 3, { prompt: '{}' }), png.subarray(0, 50), Buffer.from(png).fill(1, 60, 61)];
    fc.assert(
      fc.property(fc.constantFrom(...samples), fc.array(fc.nat(), { maxLength: 8 }), (bytes, cuts) => {
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const walker = new PngChunkWalker();
        let from = 0;
        for (const point of [...points, bytes.length]) {
          walker.push(bytes.subarray(from, point));
          from = point;
        }
        expect(walker.finish()).toBe(checkPngChunks(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('checkImageWhole applies the same rules to bytes in memory', () => {
    expect(checkImageWhole(png, 'image/png')).toBeNull();
    expect(checkImageWhole(jpeg, 'image/jpeg')).toBeNull();
    expect(checkImageWhole(webp, 'image/webp')).toBeNull();
    expect(checkImageWhole(gif, 'image/gif')).toBeNull();
    expect(checkImageWhole(png.subarray(0, 100), 'image/png')).toBe('the file is incomplete (cut off after 100 bytes)');
    expect(checkImageWhole(webp.subarray(0, 5), 'image/webp')).toBe('the file is incomplete (cut off after 5 bytes)');
  });

  it('reads a real PNG file independently of the fixture it came from', () => {
    const real = readFileSync(join(fixtures, 'controlnet__input_scribble_example.png'));
    expect(checkPngChunks(real)).toBeNull();
  });
});
