// The headless host's WebSocket bridge protocol: the same contract as Electron's IPC, as JSON frames.
import type { WireResult } from './errors';

export const BRIDGE_PATH = '/bridge';
/** The HttpOnly cookie that carries the per-launch token, so page scripts never see it. */
export const BRIDGE_COOKIE = 'desk_token';

export type BridgeRequest = { type: 'invoke'; id: number; name: string; input?: unknown };

export type BridgeMessage =
  { type: 'result'; id: number; result: WireResult<unknown> } | { type: 'event'; name: string; payload: unknown };
