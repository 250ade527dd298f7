// `npm run bench`: every benchmark, one BENCH line per figure.
import { benchDownloads } from './downloads';
import { benchGalleryOrganize } from './gallery-organize';
import { benchGalleryQueries } from './gallery-queries';
import { benchGalleryRenderer } from './gallery-renderer';
import { benchJournalIngest } from './journal-ingest';
import { benchPipeline } from './pipeline';
import { benchQueue } from './queue';
import { benchQueueRenderer } from './queue-renderer';

const only = process.argv[2];
const benches: Record<string, () => void | Promise<void>> = {
  'journal-ingest': benchJournalIngest,
  'gallery-queries': benchGalleryQueries,
  'gallery-renderer': benchGalleryRenderer,
  'gallery-organize': benchGalleryOrganize,
  downloads: benchDownloads,
  pipeline: benchPipeline,
  queue: benchQueue,
  'queue-renderer': benchQueueRenderer,
  'video-posters': async () => (await import('./video-posters')).benchVideoPosters(),
};

for (const [name, run] of Object.entries(benches)) {
  if (only && only !== name) continue;
  await run();
}
