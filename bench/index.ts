// `npm run bench`: every benchmark, one BENCH line per figure; `npm run bench <name>` one of them;
// `npm run bench:quick` (--quick) the gallery at 100,000 outputs only. A benchmark that fails (throws,
// rejects, or crashes the process with an uncaught error) prints `BENCH <name> failed` and the rest run.
import { benchDownloads } from './downloads';
import { benchGalleryOrganize } from './gallery-organize';
import { benchGalleryQueries } from './gallery-queries';
import { benchGalleryRenderer } from './gallery-renderer';
import { benchJournalIngest } from './journal-ingest';
import { benchPipeline } from './pipeline';
import { benchQueue } from './queue';
import { benchQueueRenderer } from './queue-renderer';
import { benchUiConvert } from './ui-convert';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.find((a) => !a.startsWith('--'));
const benches: Record<string, () => void | Promise<void>> = {
  'journal-ingest': benchJournalIngest,
  'gallery-queries': () => benchGalleryQueries(quick ? [100_000] : [100_000, 1_000_000]),
  'gallery-renderer': benchGalleryRenderer,
  'gallery-organize': benchGalleryOrganize,
  downloads: benchDownloads,
  pipeline: benchPipeline,
  queue: benchQueue,
  'queue-renderer': benchQueueRenderer,
  'ui-convert': benchUiConvert,
  'video-posters': async () => (await import('./video-posters')).benchVideoPosters(),
};
const QUICK = ['gallery-queries', 'ui-convert'];

// An error nobody awaited (a socket closing under a library) fails the benchmark that runs, not the run.
let crash: ((err: unknown) => void) | null = null;
const onCrash = (err: unknown): void => {
  if (crash) crash(err);
  else console.error('BENCH: an error outside any benchmark', err);
};
process.on('uncaughtException', onCrash);
process.on('unhandledRejection', onCrash);

let failed = 0;
for (const [name, run] of Object.entries(benches)) {
  if (only ? only !== name : quick && !QUICK.includes(name)) continue;
  try {
    await new Promise<void>((resolve, reject) => {
      crash = reject;
      Promise.resolve()
        .then(run)
        .then(() => resolve(), reject);
    });
  } catch (err) {
    failed++;
    console.log(`BENCH ${name} failed`);
    console.error(err);
  } finally {
    crash = null;
  }
}
if (only && !(only in benches)) {
  console.error(`No benchmark named ${only}: ${Object.keys(benches).join(', ')}`);
  process.exitCode = 1;
}
// Handles left open by a failed benchmark (servers, sockets) must not keep the run alive.
process.exit(process.exitCode ?? (failed ? 1 : 0));
