// The headless host's WebSocket bridge protocol: the same contract as Electron's IPC, as JSON frames.
import type { WireResult } from './errors';

export const BRIDGE_PATH = '/bridge';

/**
 * The HttpOnly cookie that carries the per-launch token, so page scripts never see it. Cookies are
 * not scoped by port, so the name carries it: two hosts on one address do not overwrite each other.
 */
export function bridgeCookie(port: number): string {
  return `desk_token_${port}`;
}

/** The largest frame the host reads; a larger one closes that socket with 1009. */
export const BRIDGE_MAX_FRAME_BYTES = 8 * 1024 * 1024;
/**
 * A request whose JSON text is longer than this goes in parts. A UTF-16 unit is at most 3 bytes of
 * UTF-8 even after escaping, so a part stays under 6 MiB plus its envelope: within one frame.
 */
export const BRIDGE_PART_CHARS = 2 * 1024 * 1024;
/** The longest request the host reassembles: a 50 MB upload as base64, plus its JSON. */
export const BRIDGE_MAX_REQUEST_CHARS = 96 * 1024 * 1024;

export type BridgeRequest = { type: 'invoke'; id: number; name: string; input?: unknown };
/** One piece of a request's JSON text, sent in order (`seq` from 0) until `last`. */
export type BridgePart = { type: 'part'; id: number; seq: number; last: boolean; data: string };

export type BridgeMessage =
  { type: 'result'; id: number; result: WireResult<unknown> } | { type: 'event'; name: string; payload: unknown };

/**
 * The frames that carry one request: the request itself, or its JSON text in parts when it is too
 * long for one frame. Null when it is longer than the host would take.
 */
export function requestFrames(request: BridgeRequest): string[] | null {
  const text = JSON.stringify(request);
  if (text.length <= BRIDGE_PART_CHARS) return [text];
  if (text.length > BRIDGE_MAX_REQUEST_CHARS) return null;
  const frames: string[] = [];
  for (let start = 0, seq = 0; start < text.length; seq++) {
    let end = Math.min(start + BRIDGE_PART_CHARS, text.length);
    // Keep a surrogate pair in one part, so every part is well-formed text.
    const code = text.charCodeAt(end - 1);
    if (end < text.length && code >= 0xd800 && code <= 0xdbff) end -= 1;
    const part: BridgePart = {
      type: 'part',
      id: request.id,
      seq,
      last: end === text.length,
      data: text.slice(start, end),
    };
    frames.push(JSON.stringify(part));
    start = end;
  }
  return frames;
}
