// The worker thread of upgrade.ts (built as out/main/journal-upgrade.js): runs the journal's
// migrations and tells each step as it starts, then closes the journal.
import { parentPort, workerData } from 'node:worker_threads';
import { openJournal } from './db';
import type { UpgradeJob, UpgradeMessage } from './upgrade';

const job = workerData as UpgradeJob;
const post = (message: UpgradeMessage): void => parentPort?.postMessage(message);
try {
  openJournal(job.path, {
    ...(job.nativeDir ? { nativeDir: job.nativeDir } : {}),
    onMigrate: (m) => post({ kind: 'step', version: m.version, name: m.name, ...(m.says ? { says: m.says } : {}) }),
  }).close();
  post({ kind: 'done' });
} catch (err) {
  post({ kind: 'failed', message: err instanceof Error ? err.message : String(err) });
}
