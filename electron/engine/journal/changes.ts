// What other processes changed in the journal. SQLite's data_version moves only when another
// connection commits, so a quiet poll costs one pragma; when it moves, the change log (written by
// triggers, migrations 0007 and 0009) names the jobs, outputs and batches to show again.
import type { Database, Statement } from 'better-sqlite3';

/** How many change rows are kept; a reader further behind than this just reloads what it shows. */
const KEEP = 50_000;
const PAGE = 5_000;

export interface Changes {
  jobIds: string[];
  outputIds: number[];
  batchIds: string[];
  /** Pauses, windows or settings changed. */
  queue: boolean;
}

export class ChangeLog {
  private lastSeq: number;
  private lastVersion: number;
  private readonly since: Statement<[number], { seq: number; kind: string; ref: string }>;

  constructor(private readonly db: Database) {
    this.since = db.prepare(`SELECT seq, kind, ref FROM changes WHERE seq > ? ORDER BY seq LIMIT ${PAGE}`);
    this.lastSeq = this.maxSeq();
    this.lastVersion = this.dataVersion();
  }

  /** Changes committed by other connections since the last call; null when there are none. */
  poll(): Changes | null {
    const version = this.dataVersion();
    if (version === this.lastVersion) return null;
    this.lastVersion = version;
    const jobs = new Set<string>();
    const outputs = new Set<number>();
    const batches = new Set<string>();
    let queue = false;
    // In pages, to the end: a burst larger than a page is read whole now, not at the next write.
    for (;;) {
      const rows = this.since.all(this.lastSeq);
      for (const row of rows) {
        this.lastSeq = row.seq;
        if (row.kind === 'job') jobs.add(row.ref);
        else if (row.kind === 'output') outputs.add(Number(row.ref));
        else if (row.kind === 'batch') batches.add(row.ref);
        else queue = true;
      }
      if (rows.length < PAGE) break;
    }
    if (jobs.size === 0 && outputs.size === 0 && batches.size === 0 && !queue) return null;
    return { jobIds: [...jobs], outputIds: [...outputs], batchIds: [...batches], queue };
  }

  /** Drops old rows (any process may do it; readers that far behind reload). */
  prune(): void {
    this.db.prepare('DELETE FROM changes WHERE seq < ?').run(this.maxSeq() - KEEP);
  }

  private maxSeq(): number {
    return (this.db.prepare('SELECT coalesce(max(seq), 0) AS n FROM changes').get() as { n: number }).n;
  }

  private dataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }
}
