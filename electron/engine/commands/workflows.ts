// The contract's workflow, node-definition, upload and import commands: what goes into a job.
import { createHash, randomUUID } from 'node:crypto';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EmbeddedWorkflow } from '../../../shared/contract';
import { DeskError } from '../../../shared/errors';
import { importFolder } from '../import-folder';
import type { JobsModule } from '../jobs/module';
import { downloadTo, makeThumbnail, probeMedia, sniffMime, verifyMediaFile, type OutputStore } from '../store';
import type { EngineParts } from '../parts';
import { limitsFrom } from '../uploads';
import { embeddedFromTags, readImageMetadata } from '../workflows/metadata';
import { inspectWorkflow } from '../workflows/report';
import { setNodeMode } from '../workflows/ui';
import type { Emit, HandlersOf } from './types';

export function workflowCommands(deps: {
  jobs: JobsModule;
  parts: Pick<EngineParts, 'gallery' | 'journal' | 'store' | 'uploads' | 'uiWorkflows'>;
  activeProfileId: () => string;
  emit: Emit;
}): HandlersOf<'workflows' | 'objectInfo' | 'uploads' | 'import'> {
  const { jobs } = deps;
  const inspect = (workflow: unknown, profile: string) =>
    inspectWorkflow(workflow, jobs.objectInfo(profile), {
      serverName: jobs.profileName(profile),
      uploaded: (name) => deps.parts.uploads.has(profile, name),
      listsInputFiles: jobs.profileKind(profile) === 'local',
    });
  const upload = async (
    profileId: string,
    name: string,
    bytes: Uint8Array,
    kind: 'image' | 'mask',
    original?: { name: string; subfolder: string; type: string },
  ) => {
    const session = jobs.session(profileId);
    const features = await session.api.features().catch(() => null);
    return deps.parts.uploads.upload(
      session.http,
      profileId,
      { name, bytes },
      {
        kind,
        limits: limitsFrom(features),
        ...(original ? { originalRef: original } : {}),
        onProgress: (sent, total) => deps.emit('upload.progress', { name, sent, total }),
      },
    );
  };
  return {
    'workflows.inspect': ({ workflow, profileId }) => inspect(workflow, profileId ?? deps.activeProfileId()),
    'workflows.setNodeMode': ({ workflow, uiId, mode, profileId }) => {
      const changed = setNodeMode(workflow, uiId, mode);
      return { workflow: changed, report: inspect(changed, profileId ?? deps.activeProfileId()) };
    },
    'workflows.list': () => deps.parts.gallery.workflows(),
    'workflows.fromImage': async ({ data }) => {
      const bytes = Buffer.from(data, 'base64');
      const meta = readImageMetadata(bytes);
      if (meta.format !== 'unknown') {
        return { prompt: meta.prompt, workflow: meta.workflow, width: meta.width, height: meta.height };
      }
      // A video or audio file (MP4, WebM, FLAC…) carries its workflow in its container tags.
      if (!/^(video|audio)\//.test(sniffMime(bytes.subarray(0, 16))))
        throw new DeskError('invalid_input', 'This file is not a PNG, WebP, JPEG or GIF image, nor a video.');
      return embeddedOfMediaBytes(deps.parts.store, bytes);
    },
    'import.folder': async ({ path, mode }) => {
      const info = await stat(path).catch(() => null);
      if (!info?.isDirectory()) throw new DeskError('not_found', `${path} is not a folder on this computer.`);
      return importFolder(
        path,
        {
          journal: deps.parts.journal,
          store: deps.parts.store,
          uiWorkflows: deps.parts.uiWorkflows,
          profileId: deps.activeProfileId(),
        },
        (done, total) => deps.emit('import.progress', { done, total }),
        mode ?? 'copy',
      );
    },
    'objectInfo.get': ({ profileId }) => jobs.objectInfo(profileId ?? deps.activeProfileId()),
    'uploads.image': ({ profileId, name, data, kind, original }) =>
      upload(profileId ?? deps.activeProfileId(), name, Buffer.from(data, 'base64'), kind, original),
    'uploads.fetch': async ({ profileId, name, subfolder }) => {
      const profile = profileId ?? deps.activeProfileId();
      const session = jobs.session(profile);
      // "dir/name.png" as a workflow names it is the same file as name.png in subfolder dir.
      const slash = name.lastIndexOf('/');
      const ref = {
        filename: slash >= 0 ? name.slice(slash + 1) : name,
        subfolder: subfolder ?? (slash >= 0 ? name.slice(0, slash) : ''),
        type: 'input',
      };
      const key = `input-${createHash('sha256').update(`${profile}\0${ref.subfolder}\0${ref.filename}`).digest('hex').slice(0, 32)}`;
      const stored = await downloadTo(deps.parts.store, key, (offset) => session.http.openView(ref, offset), {
        attempts: 2,
        verify: (path) => verifyMediaFile(path, { filename: ref.filename }),
      });
      if (!stored.mime.startsWith('image/')) {
        throw new DeskError('invalid_input', `${ref.filename} on the server is not an image.`);
      }
      const { width, height } = await makeThumbnail(deps.parts.store, stored.hash).catch(() => ({
        width: null,
        height: null,
      }));
      return { hash: stored.hash, width, height };
    },
    'uploads.fromOutput': async ({ id, profileId }) => {
      const output = deps.parts.journal.output(id);
      if (!output?.hash) throw new DeskError('not_found', 'This output is not on this computer yet.');
      const path = await deps.parts.store.locate(output.hash);
      if (!path) throw new DeskError('not_found', 'The file of this output is no longer on this computer.');
      const bytes = await readFile(path);
      const name = output.filename.split(/[\\/]/).pop() || `output-${id}.png`;
      return upload(profileId ?? deps.activeProfileId(), name, bytes, 'image');
    },
  };
}

/**
 * The workflow in a video's bytes: ffprobe reads a file (an MP4's index may be at its end), so the
 * bytes go to a temp file in the store's own folder for the one run, and are deleted after.
 */
async function embeddedOfMediaBytes(store: OutputStore, bytes: Uint8Array): Promise<EmbeddedWorkflow> {
  await store.ensure();
  const temp = join(store.tmpDir, `embedded-${randomUUID()}`);
  try {
    await writeFile(temp, bytes, { mode: 0o600 });
    const probe = await probeMedia(temp);
    if (!probe.ok) throw new DeskError('invalid_input', `This video cannot be read: ${probe.reason}`);
    return { ...embeddedFromTags(probe.tags), width: probe.width, height: probe.height };
  } finally {
    await rm(temp, { force: true });
  }
}
