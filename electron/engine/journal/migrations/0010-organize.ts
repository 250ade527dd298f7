// The gallery organised by the person and by how outputs were made: a rating (1–5), tags, albums
// (chosen by hand, or a saved search: a smart album), a perceptual hash of each image, and lineage (an output used as an input
// image or mask of a later job).
import type { Database } from 'better-sqlite3';

export default {
  version: 10,
  name: 'organize',
  up(db: Database): void {
    db.exec(`
      ALTER TABLE outputs ADD COLUMN rating INTEGER;
      -- A perceptual hash (dHash, 16 hex digits) of an image, made with its thumbnail: "similar
      -- images". '' when the image could not be hashed (not tried again).
      ALTER TABLE outputs ADD COLUMN phash TEXT;
      CREATE INDEX outputs_rating ON outputs(rating) WHERE rating IS NOT NULL;
      CREATE TABLE output_tags (
        output_id  INTEGER NOT NULL REFERENCES outputs(id),
        tag        TEXT NOT NULL COLLATE NOCASE,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (output_id, tag)
      ) WITHOUT ROWID;
      CREATE INDEX output_tags_tag ON output_tags(tag, output_id);
      CREATE TABLE albums (
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        -- A smart album's saved search (a gallery filter); NULL for an album chosen by hand.
        filter_json TEXT,
        created_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL
      );
      CREATE TABLE album_items (
        album_id  TEXT NOT NULL REFERENCES albums(id) ON DELETE CASCADE,
        output_id INTEGER NOT NULL REFERENCES outputs(id),
        added_at  INTEGER NOT NULL,
        PRIMARY KEY (album_id, output_id)
      ) WITHOUT ROWID;
      CREATE INDEX album_items_output ON album_items(output_id);
      CREATE TABLE lineage (
        output_id  INTEGER NOT NULL REFERENCES outputs(id),
        job_id     TEXT NOT NULL REFERENCES jobs(id),
        node_id    TEXT NOT NULL,
        input      TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (output_id, job_id, node_id, input)
      ) WITHOUT ROWID;
      CREATE INDEX lineage_job ON lineage(job_id);
      -- A tag or album change shows in another process's window like any change of the output.
      CREATE TRIGGER output_tags_changed_insert AFTER INSERT ON output_tags
        BEGIN INSERT INTO changes (kind, ref) VALUES ('output', NEW.output_id); END;
      CREATE TRIGGER output_tags_changed_delete AFTER DELETE ON output_tags
        BEGIN INSERT INTO changes (kind, ref) VALUES ('output', OLD.output_id); END;
      -- A video's or audio file's length and a video's frame rate (ffprobe), when stored.
      ALTER TABLE outputs ADD COLUMN duration_ms INTEGER;
      ALTER TABLE outputs ADD COLUMN fps REAL;
    `);
  },
};
