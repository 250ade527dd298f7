// The engine's data, built once (the composition root): the journal's parts over one database and
// the output store. engine.ts hands each command group what it uses; jobs/ takes what the job
// machinery needs (sessions, the service, downloads and sync live there).
import type { Database } from 'better-sqlite3';
import { Drafts } from './journal/drafts';
import { GalleryQueries } from './journal/gallery';
import { JobJournal, type JournalRedactor } from './journal/jobs';
import { Library } from './journal/library';
import { Organizer } from './journal/organize';
import { QueueJournal } from './journal/queue';
import { SavedWorkflowsJournal } from './journal/saved-workflows';
import { UiWorkflows } from './journal/ui-workflows';
import { ImageIndexer } from './jobs/image-index';
import type { Logger } from './log';
import { OutputStore } from './store';
import { UploadService } from './uploads';

export interface EngineParts {
  /** Jobs, their events and outputs. */
  journal: JobJournal;
  gallery: GalleryQueries;
  /** The app's own queue: held order, windows, pauses, batches. */
  queue: QueueJournal;
  /** Ratings, tags, albums, lineage. */
  organizer: Organizer;
  library: Library;
  /** Open workflows (tabs). */
  drafts: Drafts;
  /** Graphs from ComfyUI's editor kept beside the prompts. */
  uiWorkflows: UiWorkflows;
  /** Each server's saved workflows, kept for offline use. */
  savedWorkflows: SavedWorkflowsJournal;
  /** Content-addressed files: outputs, thumbnails, uploads. */
  store: OutputStore;
  uploads: UploadService;
  /** Perceptual hashes of older images, made in the background. */
  images: ImageIndexer;
}

export function buildParts(
  db: Database,
  options: { storeDir: string; redact: JournalRedactor; log: Logger },
): EngineParts {
  const journal = new JobJournal(db, options.redact);
  const store = new OutputStore(options.storeDir, (hash) => journal.referencedPath(hash));
  return {
    journal,
    gallery: new GalleryQueries(db, journal),
    queue: new QueueJournal(db),
    organizer: new Organizer(db),
    library: new Library(db),
    drafts: new Drafts(db),
    uiWorkflows: new UiWorkflows(db),
    savedWorkflows: new SavedWorkflowsJournal(db),
    store,
    uploads: new UploadService(db, store),
    images: new ImageIndexer(db, store, options.log),
  };
}
