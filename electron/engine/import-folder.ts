// Brings a folder of ComfyUI outputs into the gallery: every image, video and audio file is copied
// into the store, with the prompt and workflow read from its metadata (PNG text, WebP EXIF, a
// video's or audio file's container tags), searchable like the app's own outputs. Importing again
// adds only what is new (by content hash); unreadable files are listed, not fatal.
import { createHash, randomUUID } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import type { ImportSummary } from '../../shared/contract';
import { basename, extname, join, relative } from 'node:path';
import type { JobJournal } from './journal/jobs';
import {
  bundledTool,
  makePoster,
  makeThumbnail,
  makeWaveform,
  probeMedia,
  verifyMediaFile,
  type MediaProbe,
  type OutputStore,
} from './store';
import { isUiWorkflow, promptTextOf, type ApiWorkflow } from './workflows/api-format';
import { embeddedFromTags, readImageMetadata } from './workflows/metadata';

const MEDIA = new Set(
  ['.png', '.jpg', '.jpeg', '.webp', '.gif'].concat(['.mp4', '.webm', '.mov'], ['.wav', '.mp3', '.flac', '.ogg']),
);

export type { ImportSummary } from '../../shared/contract';

/** copy: into the store (the folder can go); reference: the files stay where they are. */
export type ImportMode = 'copy' | 'reference';

export async function importFolder(
  folder: string,
  deps: {
    journal: JobJournal;
    store: OutputStore;
    profileId: string;
    /** A file's UI workflow (what ComfyUI's editor embeds) is kept too: it opens as its graph. */
    uiWorkflows: { save(ui: Record<string, unknown>): string };
  },
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
        const isImage = verified.mime.startsWith('image/');
        // A video or audio file is probed before it is stored: one ffprobe cannot read is listed.
        const probe = isImage ? null : await probeIfPossible(file);
        const stored =
          mode === 'copy'
            ? await deps.store.ingest(oneChunk(bytes), { expectedSize: bytes.length })
            : { hash, size: bytes.length, mime: verified.mime };
        const meta = isImage ? readImageMetadata(bytes) : null;
        if (isImage && !meta?.width) throw new Error('not a readable image');
        let dims: { width: number | null; height: number | null; phash: string | null } = {
          width: meta?.width ?? probe?.width ?? null,
          height: meta?.height ?? probe?.height ?? null,
          phash: null,
        };
        let hasThumb = false;
        if (isImage) {
          dims = await makeThumbnail(deps.store, stored.hash, mode === 'reference' ? file : undefined);
          hasThumb = true;
        } else if (probe) {
          // The poster or waveform from the file as it is here (the same bytes as the store's copy).
          const make = probe.kind === 'video' ? makePoster : makeWaveform;
          hasThumb = (await make(deps.store, stored.hash, file, { probe })).ok;
        }
        const timing = { durationMs: probe?.durationMs ?? null, fps: probe?.fps ?? null };
        const embedded = meta ?? (probe ? embeddedFromTags(probe.tags) : null);
        const prompt = (embedded?.prompt ?? {}) as ApiWorkflow;
        const ui = isUiWorkflow(embedded?.workflow) ? embedded!.workflow : null;
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
            uiWorkflowId: ui ? deps.uiWorkflows.save(ui) : null,
          });
          const { item } = deps.journal.addOutput(job.id, {
            nodeId: '',
            kind: probe?.kind ?? (stored.mime.startsWith('video/') ? 'video' : isImage ? 'image' : 'audio'),
            filename: relative(folder, file),
            subfolder: '',
            type: 'import',
            createdAt: Math.round(at),
          });
          deps.journal.outputStored(item.id, { ...stored, ...dims, ...timing, hasThumb });
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

/**
 * What ffprobe says of a video or audio file; a file it cannot read is refused with its reason.
 * Where the app has no ffprobe (a platform the bundled tools do not cover), the file comes in
 * without a thumbnail, length or workflow.
 */
async function probeIfPossible(file: string): Promise<MediaProbe | null> {
  if (bundledTool('ffprobe') instanceof Error) return null;
  const probe = await probeMedia(file);
  if (!probe.ok) throw new Error(probe.reason);
  const { ok: _ok, ...facts } = probe;
  return facts;
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
