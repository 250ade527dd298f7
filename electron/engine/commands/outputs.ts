// The contract's gallery and outputs commands: pages, counts, favorites, ratings, tags, delete and
// undo, lineage, comparison, reveal.
import { DeskError } from '../../../shared/errors';
import type { JobsModule } from '../jobs/module';
import type { EngineParts } from '../parts';
import { toSummary } from '../journal/jobs';
import { graphWithValues } from '../workflows/graph-values';
import type { ApiWorkflow } from '../workflows/api-format';
import { diffPrompts } from '../workflows/diff';
import { exportToFolder, exportToZip, safeName, withMetadata, type ExportItem } from '../export';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { DesktopActions, Emit, HandlersOf } from './types';

export function outputCommands(
  parts: Pick<EngineParts, 'gallery' | 'journal' | 'store' | 'organizer' | 'uiWorkflows'>,
  jobs: Pick<JobsModule, 'objectInfo'>,
  emit: Emit,
  /** Desktop actions the shell provides (Electron); absent in the headless host. */
  desktop?: DesktopActions,
): HandlersOf<'gallery' | 'outputs' | 'media'> {
  /** The file of an output on this computer, for an action only the desktop app can do. */
  const fileFor = async (
    id: number,
    action: string,
  ): Promise<{ path: string; hash: string; desktop: DesktopActions }> => {
    const output = parts.journal.output(id);
    if (!output?.hash) throw new DeskError('not_found', 'This output is not on this computer yet.');
    if (!desktop) throw new DeskError('not_found', `${action} is available in the desktop app; here, use Save as.`);
    const path = await parts.store.locate(output.hash);
    if (!path) throw new DeskError('not_found', 'The file of this output is no longer on this computer.');
    return { path, hash: output.hash, desktop };
  };
  /** What an export needs of each output: its file, name, kind and its job's prompt. */
  const exportItems = async (ids: number[]): Promise<ExportItem[]> =>
    Promise.all(
      ids.map(async (id) => {
        const output = parts.journal.output(id);
        if (!output?.hash) throw new DeskError('not_found', `Output ${id} is not on this computer.`);
        const path = await parts.store.locate(output.hash);
        if (!path) throw new DeskError('not_found', `The file of output ${id} is no longer on this computer.`);
        const job = parts.journal.get(output.jobId);
        const prompt = job && Object.keys(job.prompt).length > 0 ? job.prompt : null;
        const graph = parts.uiWorkflows.get(job?.uiWorkflowId);
        const workflow = graphWithValues(graph, job ? jobs.objectInfo(job.profileId) : null, prompt);
        return { path, filename: output.filename, mime: output.mime, prompt, workflow };
      }),
    );
  const changed = (ids: number[]): void => {
    for (const id of ids) {
      const tile = parts.gallery.tile(id);
      if (tile) emit('output.changed', tile);
    }
  };
  return {
    'gallery.page': (query) => parts.gallery.page(query),
    'gallery.count': (filter) => {
      const { count, estimated } = parts.gallery.countOf(filter);
      return estimated ? { count, estimated } : { count };
    },
    'outputs.favorite': ({ ids, favorite }) => {
      parts.gallery.setFavorite(ids, favorite);
      changed(ids);
    },
    'outputs.delete': ({ ids }) => {
      parts.gallery.setDeleted(ids, true);
      changed(ids);
    },
    'outputs.restore': ({ ids }) => {
      parts.gallery.setDeleted(ids, false);
      changed(ids);
    },
    'outputs.rate': ({ ids, rating }) => {
      parts.organizer.rate(ids, rating);
      changed(ids);
    },
    'outputs.tag': ({ ids, add, remove }) => {
      parts.organizer.tag(ids, add ?? [], remove ?? []);
      changed(ids);
    },
    'outputs.lineage': ({ id }) => {
      if (!parts.journal.output(id)) throw new DeskError('not_found', `There is no output ${id}.`);
      const tiles = (ids: number[]) => ids.flatMap((o) => parts.gallery.tile(o) ?? []);
      return {
        madeFrom: tiles(parts.organizer.madeFrom(id)),
        usedIn: parts.organizer.usedIn(id).flatMap((jobId) => {
          const job = parts.journal.get(jobId);
          return job ? [{ job: toSummary(job), outputs: tiles(parts.journal.outputs(jobId).map((o) => o.id)) }] : [];
        }),
      };
    },
    'outputs.export': async ({ ids, folder }) => {
      const items = await exportItems(ids);
      if (folder) return { ...(await exportToFolder(items, folder)), zip: null };
      const zip = await exportToZip(items, parts.store);
      return {
        files: zip.files,
        bytes: zip.bytes,
        zip: { hash: zip.hash, name: `comfy-desk-${ids.length}-outputs.zip` },
      };
    },
    'outputs.withWorkflow': async ({ id }) => {
      const [item] = await exportItems([id]);
      if (item!.mime !== 'image/png')
        throw new DeskError('invalid_input', 'Only a PNG can carry its workflow this way.');
      if (!item!.prompt && !item!.workflow)
        throw new DeskError('not_found', 'This output has no workflow in the journal.');
      const png = withMetadata(await readFile(item!.path), item!);
      const stored = await parts.store.ingest(Readable.from([png]));
      return { hash: stored.hash, name: safeName(item!.filename) };
    },
    'outputs.similar': ({ id, limit, maxDistance }) => parts.gallery.similar(id, limit ?? 60, maxDistance ?? 12),
    'outputs.compare': ({ ids }) => {
      const items = ids.map((id) => {
        const tile = parts.gallery.tile(id);
        if (!tile) throw new DeskError('not_found', `There is no output ${id}.`);
        return tile;
      });
      const prompts = items.map((item) => (parts.journal.get(item.jobId)?.prompt ?? {}) as ApiWorkflow);
      const names = items.map((i) => i.workflowName);
      return { items, jobIds: items.map((i) => i.jobId), ...diffPrompts(prompts, names) };
    },
    'media.save': async ({ hash, name }) => {
      if (!desktop)
        throw new DeskError('not_found', 'Saving with a dialog is the desktop app’s; here, the link downloads it.');
      const path = await parts.store.locate(hash);
      if (!path) throw new DeskError('not_found', 'This file is not on this computer any more.');
      return { saved: await desktop.saveAs(path, safeName(name)) };
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
      const thumb = await parts.store.media(files[0]!.hash, 'thumb');
      files[0]!.desktop.startDrag(
        files.map((f) => f.path),
        thumb?.path ?? null,
      );
    },
  };
}
