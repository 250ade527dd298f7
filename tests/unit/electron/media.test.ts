// desk-media:// against a real engine with a stored file: ranges, HEAD, and refusals.
import { createHash, randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('electron', () => import('./fake-electron'));
import * as electron from './fake-electron';
import { MEDIA_SCHEME } from '../../../shared/contract';
import { mediaRequestOf, registerMediaScheme, serveMedia } from '../../../electron/main/media';
import { storeBytes, useEngines } from './engine';

const openEngine = useEngines();
beforeEach(() => electron.resetElectron());

const HASH = 'a'.repeat(64);

describe('reading the URL', () => {
  it('takes exactly one hash on the media host, and the variant', () => {
    expect(mediaRequestOf(`desk-media://media/${HASH}`)).toEqual({ hash: HASH, variant: 'full' });
    expect(mediaRequestOf(`desk-media://media/${HASH}?v=thumb`)).toEqual({ hash: HASH, variant: 'thumb' });
    expect(mediaRequestOf(`desk-media://media/${HASH}?v=../../x`)).toEqual({ hash: HASH, variant: 'full' });
  });

  it.each([
    `desk-media://other/${HASH}`,
    `desk-media://media/../../etc/passwd`,
    `desk-media://media/%2e%2e/%2e%2e/etc/passwd`,
    `desk-media://media/${HASH}/../../etc/passwd`,
    `desk-media://media/..%2F..%2Fetc%2Fpasswd`,
    `desk-media://media/${HASH.toUpperCase()}`,
    `desk-media://media/${HASH}.png`,
    `desk-media://media/${HASH}/x`,
    `desk-media://media/${'a'.repeat(63)}`,
    `desk-media://media/`,
    `file:///media/${HASH}`,
    'not a url',
  ])('refuses %s', (url) => expect(mediaRequestOf(url)).toBeNull());
});

it('registers the scheme as privileged before ready, and serves after', async () => {
  registerMediaScheme();
  expect(electron.protocol.privileged).toEqual([
    {
      scheme: MEDIA_SCHEME,
      privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true, corsEnabled: true },
    },
  ]);
  electron.app.becomeReady();
  serveMedia(await openEngine());
  expect(electron.protocol.registeredBeforeReady).toBe(true);
  expect([...electron.protocol.handlers.keys()]).toEqual([MEDIA_SCHEME]);
});

describe('serving a stored file', () => {
  async function served() {
    electron.app.becomeReady();
    const engine = await openEngine();
    serveMedia(engine);
    const bytes = randomBytes(300_000);
    const hash = await storeBytes(engine, bytes);
    expect(hash).toBe(createHash('sha256').update(bytes).digest('hex'));
    return { bytes, url: `desk-media://media/${hash}` };
  }

  it('whole, by range (206 with Content-Range), and 416 outside it', async () => {
    const { bytes, url } = await served();
    const whole = await electron.protocol.fetch(url);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    // The window (a file:// page) may read the bytes: the difference view's worker fetches them.
    expect(whole.headers.get('access-control-allow-origin')).toBe('*');
    expect(Buffer.from(await whole.arrayBuffer())).toEqual(bytes);

    const part = await electron.protocol.fetch(url, { headers: { range: 'bytes=100000-100099' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 100000-100099/300000');
    expect(part.headers.get('content-length')).toBe('100');
    expect(Buffer.from(await part.arrayBuffer())).toEqual(bytes.subarray(100000, 100100));

    const tail = await electron.protocol.fetch(url, { headers: { range: 'bytes=-10' } });
    expect(Buffer.from(await tail.arrayBuffer())).toEqual(bytes.subarray(-10));

    const outside = await electron.protocol.fetch(url, { headers: { range: 'bytes=400000-' } });
    expect(outside.status).toBe(416);
    expect(outside.headers.get('content-range')).toBe('bytes */300000');
  });

  it('HEAD answers headers only; other methods are refused', async () => {
    const { url } = await served();
    const head = await electron.protocol.fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('300000');
    expect((await electron.protocol.fetch(url, { method: 'POST', body: 'x' })).status).toBe(405);
  });

  it('an unknown hash, another host or a traversal is 404, never a file', async () => {
    const { url } = await served();
    const hash = url.slice(-64);
    for (const other of [
      `desk-media://media/${'b'.repeat(64)}`,
      `desk-media://elsewhere/${hash}`,
      `desk-media://media/../${hash}/../../../../etc/passwd`,
    ]) {
      expect((await electron.protocol.fetch(other)).status, other).toBe(404);
    }
  });
});
