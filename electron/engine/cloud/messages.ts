// The wire layer for the server's WebSocket text messages: every frame is parsed here, within
// limits of size and nesting, into a tagged union with bounded strings. Nothing past cloud/ sees
// raw server data, and nothing a server sends can throw past this module: a malformed message
// comes back as { ok: false, reason } for the caller to log and skip.
import { parseJsonBounded } from '../../../shared/json-limits';
import type { JobError } from '../../../shared/jobs';
import type { NewOutput } from '../journal/jobs';
import { nodeTitle, outputKindOf } from '../workflows/api-format';

/** A text frame larger than this is not a ComfyUI message (the largest real ones are a few KB). */
export const MAX_TEXT_FRAME = 4 * 1024 * 1024;
/** ComfyUI's messages nest a handful of levels; anything deeper is hostile. */
export const MAX_DEPTH = 32;
const MAX_ID = 256;
const MAX_MESSAGE = 8 * 1024;
const MAX_TRACEBACK_LINES = 40;
const MAX_NODES = 10_000;
const MAX_OUTPUTS = 1_000;

export interface ExecutionFailure {
  message: string;
  nodeId?: string;
  nodeType?: string;
  exceptionType?: string;
  traceback?: string[];
}

export interface NodeState {
  nodeId: string;
  state: 'pending' | 'running' | 'finished' | 'error';
  value: number;
  max: number;
}

/** What the server said, as the app understands it. `at` is epoch ms (the server's time when it sent one). */
export type ServerMessage =
  | { type: 'status'; queueRemaining: number | null }
  | { type: 'execution_start'; promptId: string; at: number }
  | { type: 'execution_cached'; promptId: string; nodes: string[] }
  | { type: 'executing'; promptId: string; node: string | null }
  | { type: 'progress'; promptId: string; node: string | null; value: number; max: number }
  | { type: 'progress_state'; promptId: string; nodes: NodeState[] }
  | { type: 'executed'; promptId: string; node: string; outputs: NewOutput[] }
  | { type: 'execution_success'; promptId: string; at: number }
  | { type: 'execution_error'; promptId: string; at: number; error: ExecutionFailure }
  | { type: 'execution_interrupted'; promptId: string; at: number };

export type ParsedMessage =
  | { ok: true; message: ServerMessage }
  /** Not for us (a message type the app does not use): skipped quietly. */
  | { ok: true; message: null; ignored: string }
  | { ok: false; reason: string };

/** Parses one WebSocket text frame. Never throws. */
export function parseServerMessage(text: string): ParsedMessage {
  if (text.length > MAX_TEXT_FRAME) return { ok: false, reason: `a text frame of ${text.length} characters` };
  let raw: unknown;
  try {
    raw = parseJsonBounded(text, { maxBytes: MAX_TEXT_FRAME, maxDepth: MAX_DEPTH });
  } catch (err) {
    return { ok: false, reason: `not valid JSON within limits: ${(err as Error).message}` };
  }
  try {
    return interpret(raw);
  } catch (err) {
    // interpret only reads checked fields; this is a last line of defence, never expected.
    return { ok: false, reason: `unreadable message: ${(err as Error).message}` };
  }
}

function interpret(raw: unknown): ParsedMessage {
  if (!isObj(raw) || typeof raw.type !== 'string') return { ok: false, reason: 'not a {type, data} object' };
  const type = raw.type.slice(0, 64);
  const data = isObj(raw.data) ? raw.data : null;
  if (type === 'status') {
    const info = obj(obj(data?.status).exec_info);
    return { ok: true, message: { type, queueRemaining: count(info.queue_remaining) } };
  }
  if (!KNOWN.has(type)) return { ok: true, message: null, ignored: type };
  if (!data) return { ok: false, reason: `${type} without data` };
  const promptId = id(data.prompt_id);
  if (!promptId) return { ok: false, reason: `${type} without a usable prompt_id` };
  switch (type) {
    case 'execution_start':
    case 'execution_success':
    case 'execution_interrupted':
      return { ok: true, message: { type, promptId, at: timeOf(data.timestamp) } };
    case 'execution_cached': {
      const nodes = Array.isArray(data.nodes) ? data.nodes.slice(0, MAX_NODES).map(id).filter(isString) : [];
      return { ok: true, message: { type, promptId, nodes } };
    }
    case 'executing':
      return { ok: true, message: { type, promptId, node: id(data.node) } };
    case 'progress':
      return {
        ok: true,
        message: { type, promptId, node: id(data.node), value: finite(data.value), max: finite(data.max) },
      };
    case 'progress_state': {
      const nodes: NodeState[] = [];
      for (const [nodeId, n] of Object.entries(obj(data.nodes)).slice(0, MAX_NODES)) {
        // A null or a string where a node's state belongs is skipped, not fatal to the others.
        if (!isObj(n) || nodeId.length > MAX_ID) continue;
        const state = n.state === 'finished' || n.state === 'running' || n.state === 'error' ? n.state : 'pending';
        nodes.push({ nodeId, state, value: finite(n.value), max: finite(n.max) });
      }
      return { ok: true, message: { type, promptId, nodes } };
    }
    case 'executed': {
      const node = id(data.node) ?? '';
      return { ok: true, message: { type, promptId, node, outputs: outputsOf(node, data.output) } };
    }
    case 'execution_error':
      return { ok: true, message: { type, promptId, at: timeOf(data.timestamp), error: failureOf(data) } };
    default:
      return { ok: true, message: null, ignored: type };
  }
}

/** The message types the app applies to jobs (besides status); others are skipped quietly. */
export const JOB_MESSAGE_TYPES = [
  'execution_start',
  'execution_cached',
  'executing',
  'progress',
  'progress_state',
  'executed',
  'execution_success',
  'execution_error',
  'execution_interrupted',
] as const;
const KNOWN = new Set<string>(JOB_MESSAGE_TYPES);

/** The files of an `executed` output (or a history entry's node output): anything with a filename. */
export function outputsOf(nodeId: string, output: unknown): NewOutput[] {
  if (!isObj(output)) return [];
  const found: NewOutput[] = [];
  for (const [key, list] of Object.entries(output)) {
    if (!Array.isArray(list)) continue;
    for (const entry of list) {
      if (found.length >= MAX_OUTPUTS) return found;
      if (!isObj(entry) || typeof entry.filename !== 'string' || !entry.filename) continue;
      found.push({
        nodeId: nodeId.slice(0, MAX_ID),
        kind: outputKindOf(entry.filename, key),
        filename: entry.filename.slice(0, 512),
        subfolder: typeof entry.subfolder === 'string' ? entry.subfolder.slice(0, 512) : '',
        type: typeof entry.type === 'string' ? entry.type.slice(0, 32) : 'output',
      });
    }
  }
  return found;
}

/** An execution_error (socket, history or job detail) as a person reads it: bounded, no inputs or outputs. */
export function failureOf(data: Record<string, unknown>): ExecutionFailure {
  const failure: ExecutionFailure = {
    message:
      text(data.exception_message, MAX_MESSAGE) ??
      text(data.message, MAX_MESSAGE) ??
      'The workflow failed while running.',
  };
  const nodeId = id(data.node_id);
  const nodeType = text(data.node_type, MAX_ID);
  const exceptionType = text(data.exception_type, MAX_ID);
  if (nodeId) failure.nodeId = nodeId;
  if (nodeType) failure.nodeType = nodeType;
  if (exceptionType) failure.exceptionType = exceptionType;
  if (Array.isArray(data.traceback)) {
    const lines = data.traceback
      .slice(-MAX_TRACEBACK_LINES)
      .map((l) => text(l, 2048))
      .filter(isString);
    if (lines.length > 0) failure.traceback = lines;
  }
  return failure;
}

/** A failure as the journal keeps it: named by the node's title in this prompt where it has one. */
export function jobErrorOf(prompt: Record<string, unknown>, failure: ExecutionFailure | null): JobError {
  const error: JobError = { kind: 'execution', message: failure?.message ?? 'The job failed on the server.' };
  if (!failure) return error;
  if (failure.nodeId) {
    error.nodeId = failure.nodeId;
    const title = nodeTitle(prompt, failure.nodeId);
    if (title) error.nodeTitle = title;
  }
  if (failure.nodeType) error.nodeType = failure.nodeType;
  if (failure.exceptionType) error.exceptionType = failure.exceptionType;
  if (failure.traceback) error.traceback = failure.traceback;
  return error;
}

function timeOf(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 1e12 && v < 1e14 ? v : Date.now();
}

function id(v: unknown): string | null {
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_ID ? v : null;
}

function text(v: unknown, max: number): string | undefined {
  return typeof v === 'string' && v ? v.slice(0, max) : undefined;
}

function finite(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

function count(v: unknown): number | null {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : null;
}

function isString(v: unknown): v is string {
  return typeof v === 'string';
}

export function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function obj(v: unknown): Record<string, unknown> {
  return isObj(v) ? v : {};
}
