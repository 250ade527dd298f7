// The contract's gallery and outputs commands: pages, counts, favorites, ratings, tags, delete and
// undo, lineage, comparison, reveal.
import { DeskError } from '../../../shared/errors';
import type { JobsModule } from '../jobs/module';
import { toSummary } from '../journal/jobs';
import type { ApiWorkflow } from '../workflows/api-format';
import { diffPrompts } from '../workflows/diff';
import type { DesktopActions, Emit, HandlersOf } from './types';

export function outputCommands(
  jobs: JobsModule,
  emit: Emit,
  /** Desktop actions the shell provides (Electron); absent in the headless host. */
  desktop?: DesktopActions,
): HandlersOf<'gallery' | 'outputs'> {
  /** The file of an output on this computer, for an action only the desktop app can do. */
  const fileFor = async (
    id: number,
    action: string,
  ): Promise<{ path: string; hash: string; desktop: DesktopActions }> => {
    const output = jobs.journal.output(id);
    if (!output?.hash) throw new DeskError('not_found', 'This output is not on this computer yet.');
    if (!desktop) throw new DeskError('not_found', `${action} is available in the desktop app; here, use Save as.`);
    const path = await jobs.store.locate(output.hash);
    if (!path) throw new DeskError('not_found', 'The file of this output is no longer on this computer.');
    return { path, hash: output.hash, desktop };
  };
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
    'outputs.rate': ({ ids, rating }) => {
      jobs.organizer.rate(ids, rating);
      changed(ids);
    },
    'outputs.tag': ({ ids, add, remove }) => {
      jobs.organizer.tag(ids, add ?? [], remove ?? []);
      changed(ids);
    },
    'outputs.lineage': ({ id }) => {
      if (!jobs.journal.output(id)) throw new DeskError('not_found', `There is no output ${id}.`);
      const tiles = (ids: number[]) => ids.flatMap((o) => jobs.gallery.tile(o) ?? []);
      return {
        madeFrom: tiles(jobs.organizer.madeFrom(id)),
        usedIn: jobs.organizer.usedIn(id).flatMap((jobId) => {
          const job = jobs.journal.get(jobId);
          return job ? [{ job: toSummary(job), outputs: tiles(jobs.journal.outputs(jobId).map((o) => o.id)) }] : [];
        }),
      };
    },
    'outputs.similar': ({ id, limit, maxDistance }) => jobs.gallery.similar(id, limit ?? 60, maxDistance ?? 12),
    'outputs.compare': ({ ids }) => {
      const items = ids.map((id) => {
        const tile = jobs.gallery.tile(id);
        if (!tile) throw new DeskError('not_found', `There is no output ${id}.`);
        return tile;
      });
      const prompts = items.map((item) => (jobs.journal.get(item.jobId)?.prompt ?? {}) as ApiWorkflow);
      return { items, jobIds: items.map((i) => i.jobId), ...diffPrompts(prompts) };
    },
    'outputs.reveal': async ({ id }) => {
      const { path, desktop: d } = await fileFor(id, 'Showing files in a folder');
      d.reveal(path);
    },
    'outputs.open': async ({ id }) => {
      const { path, desktop: d } = await fileFor(id, 'Opening files with another app');
      await d.open(path);
    },
    'outputs.drag': async ({ ids }) => {
      const files = await Promise.all(ids.map((id) => fileFor(id, 'Dragging files out of the window')));
      // The first file's thumbnail shows under the pointer.
      const thumb = await jobs.store.media(files[0]!.hash, 'thumb');
      files[0]!.desktop.startDrag(
        files.map((f) => f.path),
        thumb?.path ?? null,
      );
    },
  };
}
