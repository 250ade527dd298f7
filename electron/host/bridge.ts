// One bridge connection: request frames in, contract results and events out. Whatever a socket
// sends is bounded before it is used, and nothing it sends can end the process: a frame over the
// limit closes that socket (1009, by ws's maxPayload), a large request arrives in parts that are
// reassembled under a cap, and a malformed frame is ignored or answered with an error.
import type { RawData, WebSocket } from 'ws';
import {
  BRIDGE_MAX_FRAME_BYTES,
  BRIDGE_MAX_REQUEST_CHARS,
  type BridgeMessage,
  type BridgePart,
} from '../../shared/bridge';
import type { WireResult } from '../../shared/errors';
import { parseJsonBounded } from '../../shared/json-limits';
import { dispatch } from '../engine/dispatch';
import type { Engine } from '../engine/engine';

/**
 * Deeper than any contract input (JSON values are bounded at 64 levels inside it); a deeper value
 * would overflow the stack of whatever walks it next (String(), validators, the logger).
 */
const MAX_DEPTH = 100;
/** A reassembled request is bounded in UTF-16 units; one is at most 3 bytes of UTF-8. */
const MAX_REQUEST_BYTES = BRIDGE_MAX_REQUEST_CHARS * 3;
/** Our page sends a request's parts back to back, so more than a few at once is not our page. */
const MAX_OPEN_REQUESTS = 4;
/** A request whose next part does not come within this is dropped. */
const PART_IDLE_MS = 60_000;

interface Assembly {
  next: number;
  parts: string[];
  chars: number;
  timer: NodeJS.Timeout;
}

export function serveBridge(ws: WebSocket, engine: Engine): void {
  const open = new Map<number, Assembly>();
  // Characters held for this socket's unfinished requests, all together.
  let held = 0;

  const drop = (id: number): void => {
    const assembly = open.get(id);
    if (!assembly) return;
    clearTimeout(assembly.timer);
    held -= assembly.chars;
    open.delete(id);
  };
  const refuse = (id: number, message: string): void => {
    drop(id);
    sendFrame(ws, { type: 'result', id, result: { ok: false, error: { code: 'invalid_input', message } } });
  };

  // Without a listener, a socket's error (a frame over maxPayload, a reset) would end the process.
  ws.on('error', (err: Error & { code?: string }) =>
    engine.log.warn('bridge socket error', { code: err.code, error: err.message }),
  );
  ws.on('close', () => {
    for (const id of [...open.keys()]) drop(id);
  });
  ws.on('message', (data, isBinary) => {
    try {
      receive(data, isBinary);
    } catch (err) {
      engine.log.error('bridge frame failed', { error: err });
    }
  });

  function receive(data: RawData, isBinary: boolean): void {
    if (isBinary) return; // our page sends text only
    const frame = parseObject(data.toString(), BRIDGE_MAX_FRAME_BYTES);
    if (frame?.type === 'invoke') invoke(frame);
    else if (frame?.type === 'part') receivePart(frame);
  }

  function receivePart(frame: Record<string, unknown>): void {
    const { id, seq, last, data } = frame as Partial<Record<keyof BridgePart, unknown>>;
    if (!isId(id)) return; // nothing to answer to
    if (!Number.isSafeInteger(seq) || typeof last !== 'boolean' || typeof data !== 'string') {
      return refuse(id, 'The request was malformed.');
    }
    let assembly = open.get(id);
    if (!assembly) {
      if (seq !== 0) return; // the rest of a request already refused
      if (open.size >= MAX_OPEN_REQUESTS) return refuse(id, 'Too many large requests at once. Try again.');
      const timer = setTimeout(() => refuse(id, 'The request did not arrive in time.'), PART_IDLE_MS).unref();
      assembly = { next: 0, parts: [], chars: 0, timer };
      open.set(id, assembly);
    } else if (seq !== assembly.next) {
      return refuse(id, 'The request arrived out of order.');
    }
    if (held + data.length > BRIDGE_MAX_REQUEST_CHARS) return refuse(id, 'The request was too large.');
    assembly.parts.push(data);
    assembly.chars += data.length;
    held += data.length;
    assembly.next += 1;
    assembly.timer.refresh();
    if (!last) return;
    const text = assembly.parts.join('');
    drop(id);
    const request = parseObject(text, MAX_REQUEST_BYTES);
    if (request?.type !== 'invoke' || request.id !== id) return refuse(id, 'The request was malformed.');
    invoke(request);
  }

  function invoke(request: Record<string, unknown>): void {
    const { id } = request;
    if (!isId(id)) return;
    void dispatch(engine.handlers, request.name, request.input, engine.log, engine.redact)
      // dispatch answers a handler's failure itself; this is for one of its own (e.g. a name
      // that cannot be turned into text), which would otherwise be an unhandled rejection.
      .catch((err: unknown): WireResult<unknown> => {
        engine.log.error('bridge request failed', { error: err });
        return { ok: false, error: { code: 'internal', message: 'Comfy Desk could not handle this request.' } };
      })
      .then((result) => sendFrame(ws, { type: 'result', id, result }));
  }
}

/**
 * Sends one frame, whole. Results are not split: the page's WebSocket has no size limit on what it
 * receives, and what the host sends is made by its own handlers, not by a peer to be bounded.
 */
export function sendFrame(ws: WebSocket, message: BridgeMessage): void {
  if (ws.readyState !== ws.OPEN) return;
  let text: string;
  try {
    text = JSON.stringify(message);
  } catch {
    // A value JSON cannot carry (a BigInt, a cycle): the caller still gets an answer.
    if (message.type !== 'result') return;
    const error = { code: 'internal', message: 'Comfy Desk could not send this result.' } as const;
    text = JSON.stringify({ type: 'result', id: message.id, result: { ok: false, error } } satisfies BridgeMessage);
  }
  ws.send(text);
}

function isId(id: unknown): id is number {
  return Number.isSafeInteger(id);
}

/** A JSON object from a request's text, or null for anything else (not JSON, too deep, an array…). */
function parseObject(text: string, maxBytes: number): Record<string, unknown> | null {
  let value: unknown;
  try {
    value = parseJsonBounded(text, { maxBytes, maxDepth: MAX_DEPTH });
  } catch {
    return null;
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}
