// desk-media://media/<sha256>?v=thumb|large: stored outputs by content hash, with ranges (video
// seeking). Main only reads the URL; which file a hash is (and that it lies in the store or a folder
// imported in place) is the engine's answer, shared with the headless host's /media/ route.
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { protocol } from 'electron';
import { MEDIA_SCHEME, mediaVariantOf, type MediaVariant } from '../../shared/contract';
import type { MediaFile } from '../engine/engine';
import { answerMedia } from '../engine/media-range';

export interface MediaSource {
  media(hash: string, variant: MediaVariant): Promise<MediaFile | null>;
}

const HASH = /^\/([a-f0-9]{64})$/;

/** Must run before the app is ready: a standard, secure scheme that fetch and <video> may stream from. */
export function registerMediaScheme(): void {
  protocol.registerSchemesAsPrivileged([
    // corsEnabled: the window (a file:// page) may read the bytes with fetch, for the difference view.
    {
      scheme: MEDIA_SCHEME,
      privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true, corsEnabled: true },
    },
  ]);
}

/** What a desk-media:// URL asks for, or null: another host, a path that is not exactly one hash. */
export function mediaRequestOf(raw: string): { hash: string; variant: MediaVariant } | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== `${MEDIA_SCHEME}:` || url.host !== 'media') return null;
  const hash = HASH.exec(url.pathname)?.[1];
  return hash ? { hash, variant: mediaVariantOf(url.searchParams.get('v')) } : null;
}

export async function answerMediaRequest(source: MediaSource, request: Request): Promise<Response> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return new Response(null, { status: 405 });
  const asked = mediaRequestOf(request.url);
  const media = asked ? await source.media(asked.hash, asked.variant) : null;
  if (!media) return new Response('No such media', { status: 404 });
  const answer = answerMedia(media, request.headers.get('range'));
  // Only this app's window reaches this scheme (navigation is locked, nothing remote is loaded): its
  // file:// page may read what it shows.
  answer.headers['access-control-allow-origin'] = '*';
  // An empty file has no byte range to stream (and a read stream refuses end < start).
  if (answer.status === 416 || request.method === 'HEAD' || media.size === 0) {
    return new Response(null, { status: answer.status, headers: answer.headers });
  }
  const body = Readable.toWeb(createReadStream(media.path, { start: answer.start, end: answer.end }));
  return new Response(body as ReadableStream, { status: answer.status, headers: answer.headers });
}

/** After ready: serve the scheme from the engine. */
export function serveMedia(source: MediaSource): void {
  protocol.handle(MEDIA_SCHEME, (request) => answerMediaRequest(source, request));
}
