// Perceptual hashes for images stored before the journal kept them (or imported in bulk): made in
// the background, a few at a time, from the thumbnail when there is one. sharp decodes on libuv's
// thread pool; this loop only yields between images, so the app stays responsive.
import { stat } from 'node:fs/promises';
import type { Database } from 'better-sqlite3';
import { perceptualHash, type OutputStore } from '../store';

const BATCH = 20;

export class ImageIndexer {
  private stopped = false;
  private running: Promise<void> | null = null;
  /** Images hashed since start (the benchmark and tests read it). */
  indexed = 0;

  constructor(
    private readonly db: Database,
    private readonly store: OutputStore,
    private readonly log: { warn(m: string, f?: Record<string, unknown>): void },
  ) {}

  /** Starts (or wakes) the loop; resolves when nothing is left to hash. */
  run(): Promise<void> {
    this.running ??= this.loop().finally(() => (this.running = null));
    return this.running;
  }

  stop(): void {
    this.stopped = true;
  }

  private async loop(): Promise<void> {
    const next = this.db.prepare(
      `SELECT id, hash FROM outputs WHERE phash IS NULL AND state = 'stored' AND kind = 'image'
         AND hash IS NOT NULL AND deleted_at IS NULL LIMIT ${BATCH}`,
    );
    const save = this.db.prepare('UPDATE outputs SET phash = ? WHERE id = ?');
    while (!this.stopped) {
      const rows = next.all() as { id: number; hash: string }[];
      if (rows.length === 0) return;
      for (const row of rows) {
        if (this.stopped) return;
        const thumb = this.store.thumbPathOf(row.hash);
        const path = (await stat(thumb).catch(() => null)) ? thumb : await this.store.locate(row.hash);
        let phash = '';
        try {
          if (path) phash = await perceptualHash(path);
        } catch (err) {
          this.log.warn('no perceptual hash', { output: row.id, error: (err as Error).message });
        }
        // '' marks an image that could not be hashed: it is not tried again.
        if (!this.stopped) save.run(phash, row.id);
        this.indexed += 1;
        await new Promise((r) => setImmediate(r));
      }
    }
  }
}
