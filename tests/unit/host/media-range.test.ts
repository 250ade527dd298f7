// Media by range: the headless host answers Range requests (video seeking) as Electron's
// desk-media:// protocol does, through one reading of the header (engine/media-range.ts).
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { answerMedia } from '../../../electron/engine/media-range';
import { useHosts } from './harness';

const start = useHosts();
const file = { path: '/x', mime: 'video/mp4', size: 1000 };

describe('answerMedia', () => {
  it.each([
    [undefined, 200, 0, 999],
    ['bytes=0-', 206, 0, 999],
    ['bytes=100-199', 206, 100, 199],
    ['bytes=900-5000', 206, 900, 999],
    ['bytes=-100', 206, 900, 999],
    ['bytes=-5000', 206, 0, 999],
    ['bytes=0-1,5-9', 200, 0, 999], // several ranges: the whole file
    ['pages=1-2', 200, 0, 999],
  ])('Range %s → %i, bytes %i to %i', (range, status, from, to) => {
    const a = answerMedia(file, range);
    expect(a.status).toBe(status);
    if (a.status !== 416) expect([a.start, a.end]).toEqual([from, to]);
    expect(a.headers['Accept-Ranges']).toBe('bytes');
  });

  it.each(['bytes=1000-', 'bytes=5000-6000', 'bytes=-0', 'bytes=500-100'])('Range %s is not satisfiable', (range) => {
    const a = answerMedia(file, range);
    expect(a.status).toBe(416);
    expect(a.headers['Content-Range']).toBe('bytes */1000');
  });
});

it('the host serves a stored file by range: seeking reads exactly the bytes asked for', async () => {
  const { host, engine, cookie } = await start();
  const bytes = randomBytes(300_000);
  const stored = await engine.jobs.store.ingest(
    (async function* () {
      yield bytes;
    })(),
  );
  const hash = createHash('sha256').update(bytes).digest('hex');
  expect(stored.hash).toBe(hash);
  const url = `${host.origin}/media/${hash}`;
  const part = await request(url, { headers: { cookie, range: 'bytes=100000-100099' } });
  expect(part.statusCode).toBe(206);
  expect(part.headers['content-range']).toBe('bytes 100000-100099/300000');
  expect(Buffer.from(await part.body.arrayBuffer())).toEqual(bytes.subarray(100000, 100100));
  const whole = await request(url, { headers: { cookie } });
  expect(whole.statusCode).toBe(200);
  expect(whole.headers['accept-ranges']).toBe('bytes');
  expect((await whole.body.arrayBuffer()).byteLength).toBe(300_000);
  const outside = await request(url, { headers: { cookie, range: 'bytes=400000-' } });
  expect(outside.statusCode).toBe(416);
  await outside.body.dump();
});
