// Journal ingest: 100,000 WebSocket messages shaped like a real ComfyUI run (trace 04, replayed over
// many jobs) applied to the journal by the tracker, against a naive client that inserts each message
// with its own autocommit on SQLite's default settings. Both in this process, on the same disk.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openJournal } from '../electron/engine/journal/db';
import { JobJournal } from '../electron/engine/journal/jobs';
import { parseServerMessage } from '../electron/engine/cloud/messages';
import { MessageTracker } from '../electron/engine/jobs/tracker';
import { readTrace } from '../tests/unit/jobs/journal-helpers';
import { report, timed } from './report';

const TOTAL = 100_000;
const BASELINE_SAMPLE = 5_000;
/** Messages the socket delivers between two event-loop turns under load. */
const BURST = 500;

export function benchJournalIngest(): void {
  const dir = mkdtempSync(join(tmpdir(), 'bench-ingest-'));
  try {
    const { messages, prompts } = readTrace('04_run_emptyimage_blur_scale_save.json');
    const template = prompts[0]!;
    const perJob = messages.length;
    const jobs = Math.ceil(TOTAL / perJob);

    const db = openJournal(join(dir, 'journal.sqlite3'));
    const journal = new JobJournal(db);
    const workflowId = journal.saveWorkflow(template.prompt, 'bench');
    const stream: { type: string; data: unknown }[] = [];
    journal.transaction(() => {
      for (let j = 0; j < jobs; j++) {
        const promptId = `prompt-${j}`;
        journal.createJob({
          id: `job-${j}`,
          profileId: 'cloud',
          workflowId,
          prompt: template.prompt,
          state: 'pending',
          promptId,
          cause: 'bench',
        });
      }
    });
    for (let j = 0; j < jobs && stream.length < TOTAL; j++) {
      const json = JSON.stringify(messages).split(template.promptId).join(`prompt-${j}`);
      stream.push(...(JSON.parse(json) as typeof messages));
    }
    stream.length = TOTAL;
    const frames = stream.map((m) => JSON.stringify(m));

    const tracker = new MessageTracker(journal, 'cloud', { jobsChanged: () => {}, outputAdded: () => {} });
    const ours = timed(() => {
      for (let i = 0; i < stream.length; i += BURST) {
        // From the socket's text, as the engine gets it: the wire layer's parsing is part of ingest.
        for (const text of frames.slice(i, i + BURST)) {
          const parsed = parseServerMessage(text);
          if (parsed.ok && parsed.message) tracker.push(parsed.message);
        }
        tracker.flush();
      }
    });
    const completed = (db.prepare(`SELECT COUNT(*) n FROM jobs WHERE state = 'completed'`).get() as { n: number }).n;
    if (completed < jobs - 1) throw new Error(`ingest lost work: ${completed} of ${jobs} jobs completed`);
    db.close();

    // The naive client: default settings, one autocommit INSERT per message.
    const naive = new Database(join(dir, 'naive.sqlite3'));
    naive.exec('CREATE TABLE events (id INTEGER PRIMARY KEY, prompt_id TEXT, type TEXT, data TEXT, at INTEGER)');
    const insert = naive.prepare('INSERT INTO events (prompt_id, type, data, at) VALUES (?, ?, ?, ?)');
    const baseline = timed(() => {
      for (const m of stream.slice(0, BASELINE_SAMPLE)) {
        const d = m.data as { prompt_id?: string };
        insert.run(d.prompt_id ?? null, m.type, JSON.stringify(m.data), Date.now());
      }
    });
    naive.close();

    const oursRate = TOTAL / (ours.ms / 1000);
    const baseRate = BASELINE_SAMPLE / (baseline.ms / 1000);
    report('journal_ingest_rate', oursRate, 'events/s', '>=50000', oursRate >= 50_000);
    report('journal_ingest_vs_naive', oursRate / baseRate, 'x', '>=20', oursRate / baseRate >= 20);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
