// The contract's gallery and outputs commands: pages, counts, favorites, delete and undo, reveal.
import { DeskError } from '../../../shared/errors';
import type { JobsModule } from '../jobs/module';
import type { Emit, HandlersOf } from './types';

export function outputCommands(
  jobs: JobsModule,
  emit: Emit,
  /** Desktop actions the shell provides (Electron); absent in the headless host. */
  desktop?: { reveal(path: string): void },
): HandlersOf<'gallery' | 'outputs'> {
  const changed = (ids: number[]): void => {
    for (const id of ids) {
      const tile = jobs.gallery.tile(id);
      if (tile) emit('output.changed', tile);
    }
  };
  return {
    'gallery.page': (query) => jobs.gallery.page(query),
    'gallery.count': (filter) => ({ count: jobs.gallery.count(filter) }),
    'outputs.favorite': ({ ids, favorite }) => {
      jobs.gallery.setFavorite(ids, favorite);
      changed(ids);
    },
    'outputs.delete': ({ ids }) => {
      jobs.gallery.setDeleted(ids, true);
      changed(ids);
    },
    'outputs.restore': ({ ids }) => {
      jobs.gallery.setDeleted(ids, false);
      changed(ids);
    },
    'outputs.reveal': async ({ id }) => {
      const output = jobs.journal.output(id);
      if (!output?.hash) throw new DeskError('not_found', 'This output is not on this computer yet.');
      if (!desktop) {
        throw new DeskError(
          'not_found',
          'Showing files in a folder is available in the desktop app; here, use Save as.',
        );
      }
      const path = await jobs.store.locate(output.hash);
      if (!path) throw new DeskError('not_found', 'The file of this output is no longer on this computer.');
      desktop.reveal(path);
    },
  };
}
