// Workflows, jobs, their events and outputs, uploads, and the full-text index over them.
import type { Database } from 'better-sqlite3';

export default {
  version: 2,
  name: 'jobs',
  up(db: Database): void {
    db.exec(`
      CREATE TABLE workflows (
        id           TEXT PRIMARY KEY,          -- sha256 of the canonical API-format JSON
        name         TEXT NOT NULL,
        api_json     TEXT NOT NULL,
        created_at   INTEGER NOT NULL,
        last_used_at INTEGER,
        saved        INTEGER NOT NULL DEFAULT 0 -- shown in the workflow library
      );

      CREATE TABLE jobs (
        id             TEXT PRIMARY KEY,        -- our own id, also sent in extra_data
        profile_id     TEXT NOT NULL,
        prompt_id      TEXT,
        workflow_id    TEXT NOT NULL REFERENCES workflows(id),
        prompt_json    TEXT NOT NULL,           -- the exact API prompt, without any key
        inputs_json    TEXT NOT NULL DEFAULT '{}',
        state          TEXT NOT NULL,
        source         TEXT NOT NULL DEFAULT 'app',
        created_at     INTEGER NOT NULL,
        submitted_at   INTEGER,
        started_at     INTEGER,
        finished_at    INTEGER,
        updated_at     INTEGER NOT NULL,
        error_json     TEXT,
        progress_json  TEXT,
        queue_position INTEGER,
        submit_attempts INTEGER NOT NULL DEFAULT 0,
        prompt_text    TEXT                     -- the prompts in plain text, for search and the gallery
      );
      CREATE UNIQUE INDEX jobs_prompt ON jobs(profile_id, prompt_id) WHERE prompt_id IS NOT NULL;
      CREATE INDEX jobs_open ON jobs(state) WHERE state NOT IN ('completed', 'failed', 'cancelled', 'interrupted');
      CREATE INDEX jobs_created ON jobs(created_at DESC);

      CREATE TABLE job_events (
        seq    INTEGER PRIMARY KEY,
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        at     INTEGER NOT NULL,
        type   TEXT NOT NULL,
        state  TEXT,
        cause  TEXT,
        data   TEXT
      );
      CREATE INDEX job_events_job ON job_events(job_id, seq);

      CREATE TABLE outputs (
        id         INTEGER PRIMARY KEY,
        job_id     TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        node_id    TEXT NOT NULL,
        kind       TEXT NOT NULL,
        filename   TEXT NOT NULL,               -- the server's name: metadata only, never a path
        subfolder  TEXT NOT NULL DEFAULT '',
        type       TEXT NOT NULL DEFAULT 'output',
        state      TEXT NOT NULL DEFAULT 'remote',
        hash       TEXT,
        size       INTEGER,
        mime       TEXT,
        width      INTEGER,
        height     INTEGER,
        has_thumb  INTEGER NOT NULL DEFAULT 0,
        favorite   INTEGER NOT NULL DEFAULT 0,
        attempts   INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        deleted_at INTEGER,
        created_at INTEGER NOT NULL,
        UNIQUE (job_id, node_id, filename, subfolder, type)
      );
      CREATE INDEX outputs_gallery ON outputs(created_at DESC, id DESC) WHERE deleted_at IS NULL;
      CREATE INDEX outputs_pending ON outputs(state) WHERE state IN ('remote', 'downloading');
      CREATE INDEX outputs_hash ON outputs(hash);
      CREATE INDEX outputs_job ON outputs(job_id);

      CREATE TABLE uploads (
        profile_id  TEXT NOT NULL,
        hash        TEXT NOT NULL,
        kind        TEXT NOT NULL,              -- image | mask
        remote_name TEXT NOT NULL,
        subfolder   TEXT NOT NULL DEFAULT '',
        type        TEXT NOT NULL DEFAULT 'input',
        created_at  INTEGER NOT NULL,
        PRIMARY KEY (profile_id, hash, kind)
      );

      -- One row per job: what a person would search for. rowid = jobs.rowid.
      CREATE VIRTUAL TABLE job_search USING fts5(
        prompt, workflow, nodes, filenames,
        tokenize = 'unicode61 remove_diacritics 2'
      );

      CREATE TABLE sync_state (
        profile_id TEXT PRIMARY KEY,
        newest_seen INTEGER,                    -- create_time of the newest job imported
        updated_at INTEGER NOT NULL
      );
    `);
  },
};
