// A real journal on disk for job tests, and the recorded WebSocket traffic of a real ComfyUI server.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { openJournal } from '../../../electron/engine/journal/db';
import { JobJournal } from '../../../electron/engine/journal/jobs';

export const TRACES = join(import.meta.dirname, '../../../../shared/traces/comfyui-0.8.0');
export const FIXTURES = join(import.meta.dirname, '../../../../shared/fixtures');

export function openTestJournal(dir: string): { db: Database; journal: JobJournal } {
  const db = openJournal(join(dir, 'journal.sqlite3'));
  return { db, journal: new JobJournal(db) };
}

interface TraceEvent {
  kind: string;
  frame?: string;
  json?: { type: string; data: unknown };
  request?: { method: string; path: string; json?: { prompt?: Record<string, unknown> } };
  response?: { status: number; json?: { prompt_id?: string } };
}

/** The text WebSocket messages of a recorded scenario, in order, and the prompts it submitted. */
export function readTrace(name: string): {
  messages: { type: string; data: unknown }[];
  prompts: { promptId: string; prompt: Record<string, unknown> }[];
} {
  const trace = JSON.parse(readFileSync(join(TRACES, name), 'utf8')) as { events: TraceEvent[] };
  const messages = trace.events.filter((e) => e.kind === 'ws' && e.frame === 'text' && e.json).map((e) => e.json!);
  const prompts = trace.events
    .filter((e) => e.kind === 'http' && e.request?.method === 'POST' && e.request.path.endsWith('/prompt'))
    .filter((e) => e.response?.status === 200 && e.response.json?.prompt_id)
    .map((e) => ({ promptId: e.response!.json!.prompt_id!, prompt: e.request!.json!.prompt! }));
  return { messages, prompts };
}
