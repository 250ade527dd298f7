// Brings a folder of ComfyUI outputs into the gallery: every image and video is copied into the
// store, with the prompt and workflow read from its metadata, searchable like the app's own outputs.
// Importing again adds only what is new (by content hash); unreadable files are listed, not fatal.
import { createHash, randomUUID } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import type { ImportSummary } from '../../shared/contract';
import { basename, extname, join, relative } from 'node:path';
import type { JobJournal } from './journal/jobs';
import { makeThumbnail, verifyMediaFile, type OutputStore } from './store';
import { promptTextOf, type ApiWorkflow } from './workflows/api-format';
import { readImageMetadata } from './workflows/metadata';

const MEDIA = new Set(['.png', '.jpg', '.jpeg', '.webp', '.gif', '.mp4', '.webm', '.mov']);

export type { ImportSummary } from '../../shared/contract';

/** copy: into the store (the folder can go); reference: the files stay where they are. */
export type ImportMode = 'copy' | 'reference';

export async function importFolder(
  folder: string,
  deps: { journal: JobJournal; store: OutputStore; profileId: string },
  onProgress?: (done: number, total: number) => void,
  mode: ImportMode = 'copy',
): Promise<ImportSummary> {
  const files = await listMedia(folder);
  const summary: ImportSummary = { added: 0, known: 0, unreadable: [] };
  const label = `Imported from ${basename(folder)}`;
  for (const [i, file] of files.entries()) {
    try {
      const bytes = await readFile(file);
      const hash = createHash('sha256').update(bytes).digest('hex');
      if (deps.journal.hasOutputWithHash(hash)) {
        summary.known += 1;
      } else {
        // A damaged or mislabelled file is listed with the reason before anything is stored.
        const verified = await verifyMediaFile(file, { filename: basename(file) });
        if (!verified.ok) throw new Error(verified.reason);
        const stored =
          mode === 'copy'
            ? await deps.store.ingest(oneChunk(bytes), { expectedSize: bytes.length })
            : { hash, size: bytes.length, mime: verified.mime };
        const meta = readImageMetadata(bytes);
        if (stored.mime.startsWith('image/') && !meta.width) throw new Error('not a readable image');
        let dims: { width: number | null; height: number | null; phash: string | null } = {
          width: meta.width,
          height: meta.height,
          phash: null,
        };
        let hasThumb = false;
        if (stored.mime.startsWith('image/')) {
          dims = await makeThumbnail(deps.store, stored.hash, mode === 'reference' ? file : undefined);
          hasThumb = true;
        }
        const prompt = (meta.prompt ?? {}) as ApiWorkflow;
        const at = (await stat(file)).mtimeMs;
        deps.journal.transaction(() => {
          const workflowId = deps.journal.saveWorkflow(prompt, label);
          const job = deps.journal.createJob({
            id: randomUUID(),
            profileId: deps.profileId,
            workflowId,
            prompt,
            state: 'completed',
            source: 'import',
            promptText: promptTextOf(prompt),
            createdAt: Math.round(at),
            finishedAt: Math.round(at),
            cause: `import: ${relative(folder, file)}`,
          });
          const { item } = deps.journal.addOutput(job.id, {
            nodeId: '',
            kind: stored.mime.startsWith('video/') ? 'video' : 'image',
            filename: relative(folder, file),
            subfolder: '',
            type: 'import',
            createdAt: Math.round(at),
          });
          deps.journal.outputStored(item.id, { ...stored, ...dims, hasThumb });
          if (mode === 'reference') deps.journal.setSourcePath(item.id, file);
        });
        summary.added += 1;
      }
    } catch (err) {
      summary.unreadable.push({ file: relative(folder, file), reason: (err as Error).message });
    }
    onProgress?.(i + 1, files.length);
  }
  return summary;
}

async function* oneChunk(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

async function listMedia(folder: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) out.push(...(await listMedia(path)));
    else if (entry.isFile() && MEDIA.has(extname(entry.name).toLowerCase())) out.push(path);
  }
  return out.sort();
}
