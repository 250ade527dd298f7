// The person's organisation of the gallery in the journal: ratings, tags, albums (by hand, or a
// saved search), and lineage links (an output used as an input of a later job).
import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { DeskError } from '../../../shared/errors';
import { normalizeTag, type Album, type TagCount } from '../../../shared/organize';

interface AlbumRow {
  id: string;
  name: string;
  filter_json: string | null;
  created_at: number;
}

export interface LineageLink {
  outputId: number;
  nodeId: string;
  input: string;
}

export class Organizer {
  constructor(private readonly db: Database) {}

  /** Sets (1–5) or clears (null) the rating of outputs. */
  rate(ids: number[], rating: number | null): void {
    const stmt = this.db.prepare('UPDATE outputs SET rating = ? WHERE id = ?');
    this.db.transaction(() => ids.forEach((id) => stmt.run(rating, id)))();
  }

  /** Adds and removes tags on outputs, in one transaction. Returns the tags as kept (normalised). */
  tag(ids: number[], add: string[], remove: string[]): string[] {
    const adding = [...new Set(add.map(normalizeTag).filter(Boolean))];
    const removing = [...new Set(remove.map(normalizeTag).filter(Boolean))];
    const insert = this.db.prepare(
      'INSERT OR IGNORE INTO output_tags (output_id, tag, created_at) SELECT id, ?, ? FROM outputs WHERE id = ?',
    );
    const drop = this.db.prepare('DELETE FROM output_tags WHERE output_id = ? AND tag = ?');
    const now = Date.now();
    this.db.transaction(() => {
      for (const id of ids) {
        for (const tag of removing) drop.run(id, tag);
        for (const tag of adding) insert.run(tag, now, id);
      }
    })();
    return adding;
  }

  /** Tags in use, most used first; those starting with `prefix` (any case) when given: autocomplete. */
  tags(prefix = '', limit = 20): TagCount[] {
    const escaped = prefix.replace(/[\\%_]/g, (c) => `\\${c}`);
    return this.db
      .prepare(
        `SELECT t.tag, COUNT(*) AS count FROM output_tags t JOIN outputs o ON o.id = t.output_id
         WHERE o.deleted_at IS NULL AND t.tag LIKE ? ESCAPE '\\' GROUP BY t.tag COLLATE NOCASE
         ORDER BY count DESC, t.tag LIMIT ?`,
      )
      .all(`${escaped}%`, limit) as TagCount[];
  }

  albums(countOf: (filter: Record<string, unknown>) => { count: number; coverHash: string | null }): Album[] {
    const rows = this.db.prepare('SELECT * FROM albums ORDER BY name COLLATE NOCASE, created_at').all() as AlbumRow[];
    return rows.map((row) => this.toAlbum(row, countOf));
  }

  album(id: string, countOf: (filter: Record<string, unknown>) => { count: number; coverHash: string | null }): Album {
    return this.toAlbum(this.mustAlbum(id), countOf);
  }

  /** The saved search of a smart album, or null for one chosen by hand. */
  albumFilter(id: string): Record<string, unknown> | null {
    const row = this.mustAlbum(id);
    return row.filter_json ? (JSON.parse(row.filter_json) as Record<string, unknown>) : null;
  }

  /** Creates (no id) or updates an album; a filter makes it a smart album. */
  saveAlbum(input: { id?: string; name: string; filter?: Record<string, unknown> | null }): string {
    const now = Date.now();
    const filter = input.filter ? JSON.stringify(input.filter) : null;
    if (input.id) {
      this.mustAlbum(input.id);
      this.db
        .prepare('UPDATE albums SET name = ?, filter_json = ?, updated_at = ? WHERE id = ?')
        .run(input.name, filter, now, input.id);
      return input.id;
    }
    const id = randomUUID();
    this.db
      .prepare('INSERT INTO albums (id, name, filter_json, created_at, updated_at) VALUES (?, ?, ?, ?, ?)')
      .run(id, input.name, filter, now, now);
    return id;
  }

  deleteAlbum(id: string): void {
    this.mustAlbum(id);
    this.db.prepare('DELETE FROM albums WHERE id = ?').run(id);
  }

  /** Puts outputs in (or takes them out of) an album chosen by hand. */
  setInAlbum(id: string, ids: number[], inAlbum: boolean): void {
    const row = this.mustAlbum(id);
    if (row.filter_json)
      throw new DeskError('conflict', `"${row.name}" is a smart album: it shows what matches its search.`);
    const put = this.db.prepare(
      'INSERT OR IGNORE INTO album_items (album_id, output_id, added_at) SELECT ?, id, ? FROM outputs WHERE id = ?',
    );
    const take = this.db.prepare('DELETE FROM album_items WHERE album_id = ? AND output_id = ?');
    const now = Date.now();
    this.db.transaction(() =>
      ids.forEach((outputId) => (inAlbum ? put.run(id, now, outputId) : take.run(id, outputId))),
    )();
  }

  /** Records that a job took these outputs as input images or masks. */
  link(jobId: string, links: LineageLink[]): void {
    const stmt = this.db.prepare(
      'INSERT OR IGNORE INTO lineage (output_id, job_id, node_id, input, created_at) VALUES (?, ?, ?, ?, ?)',
    );
    const now = Date.now();
    this.db.transaction(() => links.forEach((l) => stmt.run(l.outputId, jobId, l.nodeId, l.input, now)))();
  }

  /** Outputs the job of this output took as inputs. */
  madeFrom(outputId: number): number[] {
    return this.db
      .prepare(
        `SELECT DISTINCT l.output_id FROM lineage l JOIN outputs o ON o.id = ?
         WHERE l.job_id = o.job_id ORDER BY l.output_id`,
      )
      .pluck()
      .all(outputId) as number[];
  }

  /** Jobs that took this output as an input, oldest first. */
  usedIn(outputId: number): string[] {
    return this.db
      .prepare(
        `SELECT l.job_id FROM lineage l JOIN jobs j ON j.id = l.job_id WHERE l.output_id = ?
         GROUP BY l.job_id ORDER BY MIN(j.created_at)`,
      )
      .pluck()
      .all(outputId) as string[];
  }

  private mustAlbum(id: string): AlbumRow {
    const row = this.db.prepare('SELECT * FROM albums WHERE id = ?').get(id) as AlbumRow | undefined;
    if (!row) throw new DeskError('not_found', `There is no album ${id}.`);
    return row;
  }

  private toAlbum(
    row: AlbumRow,
    countOf: (filter: Record<string, unknown>) => { count: number; coverHash: string | null },
  ): Album {
    const filter = row.filter_json ? (JSON.parse(row.filter_json) as Record<string, unknown>) : null;
    const { count, coverHash } = countOf(filter ?? { albumId: row.id });
    return { id: row.id, name: row.name, smart: filter !== null, filter, count, coverHash, createdAt: row.created_at };
  }
}
