// A real journal on disk for job tests, and the recorded WebSocket traffic of a real ComfyUI server.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { parseServerMessage, type ServerMessage } from '../../../electron/engine/cloud/messages';
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
/** Raw socket messages as the wire layer turns them into typed ones (what the tracker takes). */
export function wire(messages: unknown[]): ServerMessage[] {
  return messages.flatMap((m) => {
    const parsed = parseServerMessage(JSON.stringify(m));
    return parsed.ok && parsed.message ? [parsed.message] : [];
  });
}

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

/** The words seeded prompts are made of (seedGallery here, seedGallerySql in the journal tests). */
export const WORDS = [
  'red',
  'fox',
  'blue',
  'whale',
  'forest',
  'castle',
  'neon',
  'city',
  'portrait',
  'sunset',
  'robot',
  'garden',
];

/**
 * Fills a journal with `outputs` gallery items (5 per job) straight through SQL, fast enough for
 * 100,000: the same tables and full-text rows the engine writes, with varied prompts and dates.
 */
export function seedGallery(db: Database, outputs: number, options: { hashes?: string[]; start?: number } = {}): void {
  const start = options.start ?? Date.now() - outputs * 60_000;
  const jobs = Math.ceil(outputs / 5);
  const insertWorkflow = db.prepare(
    `INSERT OR IGNORE INTO workflows (id, name, api_json, created_at) VALUES (?, ?, '{}', ?)`,
  );
  const insertJob = db.prepare(
    `INSERT INTO jobs (id, profile_id, prompt_id, workflow_id, prompt_json, state, source, created_at, finished_at, updated_at, prompt_text)
     VALUES (?, ?, ?, ?, ?, ?, 'app', ?, ?, ?, ?)`,
  );
  const insertOutput = db.prepare(
    `INSERT INTO outputs (job_id, node_id, kind, filename, subfolder, type, state, hash, size, mime, width, height, has_thumb, created_at)
     VALUES (?, '9', ?, ?, '', 'output', 'stored', ?, 1000, ?, 512, 512, ?, ?)`,
  );
  const insertSearch = db.prepare(
    `INSERT INTO job_search (rowid, prompt, workflow, nodes, filenames) VALUES (?, ?, ?, ?, ?)`,
  );
  db.transaction(() => {
    for (let w = 0; w < 8; w++) insertWorkflow.run(`wf-${w}`, `Workflow ${w}`, start);
    let made = 0;
    for (let j = 0; j < jobs; j++) {
      const at = start + j * 300_000;
      const text = `${WORDS[j % 12]} ${WORDS[(j * 7) % 12]} ${WORDS[(j * 5 + 3) % 12]} number${j}`;
      const prompt = JSON.stringify({ '6': { class_type: 'CLIPTextEncode', inputs: { text } } });
      const state = j % 50 === 0 ? 'failed' : 'completed';
      const info = insertJob.run(
        `seed-${j}`,
        j % 3 ? 'cloud' : 'local',
        `p-${j}`,
        `wf-${j % 8}`,
        prompt,
        state,
        at,
        at,
        at,
        text,
      );
      const names: string[] = [];
      for (let o = 0; o < 5 && made < outputs; o++, made++) {
        const name = `ComfyUI_${String(made).padStart(6, '0')}_.png`;
        names.push(name);
        const hash = options.hashes?.[made % options.hashes.length] ?? made.toString(16).padStart(64, '0');
        const kind = made % 20 === 0 ? 'video' : 'image';
        insertOutput.run(
          `seed-${j}`,
          kind,
          name,
          hash,
          kind === 'video' ? 'video/mp4' : 'image/png',
          options.hashes ? 1 : 0,
          at + o,
        );
      }
      insertSearch.run(
        info.lastInsertRowid,
        text,
        `Workflow ${j % 8}`,
        'CLIPTextEncode KSampler SaveImage',
        names.join(' '),
      );
    }
  })();
}
