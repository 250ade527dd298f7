// Workflows saved from ComfyUI's editor (UI format) on the command line: `convert` prints the API
// prompt ComfyUI's frontend would send for one, and `run` / `check` convert one before they go on.
// The conversion needs a server's node definitions (object_info): the server's, or a saved file.
import { readFile, writeFile } from 'node:fs/promises';
import { DeskError } from '../../shared/errors';
import { parseJsonBounded } from '../../shared/json-limits';
import type { Engine } from '../engine/engine';
import type { ApiWorkflow } from '../engine/workflows/api-format';
import { noNodeListMessage } from '../engine/workflows/report';
import { convertUiWorkflow } from '../engine/workflows/ui';
import type { ObjectInfo } from '../engine/workflows/validate';
import { EXIT, readWorkflowSource, UsageError, type Args } from './args';

/** object_info of all of ComfyUI's core nodes is about 2 MB; custom node packs add to it. */
const MAX_OBJECT_INFO_BYTES = 64 * 1024 * 1024;

/** The server's node definitions: fresh when it answers, the ones kept from the last time otherwise. */
export async function serverObjectInfo(engine: Engine, profileId: string): Promise<ObjectInfo> {
  await engine.jobs.refreshObjectInfo(profileId).catch(() => undefined);
  const info = engine.jobs.objectInfo(profileId);
  if (!info) throw new DeskError('network', noNodeListMessage(engine.jobs.profileName(profileId)));
  return info;
}

/** The UI workflow converted, or a usage error (exit 2) that says what is wrong with it. */
export function convertForRun(ui: Record<string, unknown>, info: ObjectInfo): ApiWorkflow {
  try {
    return convertUiWorkflow(ui, info).prompt;
  } catch (err) {
    if (err instanceof DeskError) throw new UsageError(err.message);
    throw err;
  }
}

/** --object-info FILE: a saved /object_info answer. */
export async function readObjectInfoFile(file: string): Promise<ObjectInfo> {
  const text = await readFile(file, 'utf8').catch((err: Error) => {
    throw new UsageError(`--object-info ${file}: ${err.message}`);
  });
  if (text.length > MAX_OBJECT_INFO_BYTES) throw new UsageError(`--object-info ${file} is too large.`);
  let info: unknown;
  try {
    info = parseJsonBounded(text, { maxBytes: MAX_OBJECT_INFO_BYTES, maxDepth: 64 });
  } catch (err) {
    throw new UsageError(`--object-info ${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (!info || typeof info !== 'object' || Array.isArray(info))
    throw new UsageError(`--object-info ${file} is not a server's node list (/object_info answers an object).`);
  return info as ObjectInfo;
}

/**
 * `comfy-desk convert FILE [--server S | --object-info FILE] [--out api.json]`: the UI workflow in
 * FILE (JSON, or an image or video that carries one) as an API prompt, on stdout or in --out.
 */
export async function convertCommand(
  args: Args,
  objectInfo: () => Promise<ObjectInfo>,
  out: NodeJS.WritableStream,
): Promise<number> {
  const file = args.positionals[0];
  const source = await readWorkflowSource(file);
  if (!source.ui) {
    if (!source.prompt) throw new UsageError(`${file} carries no workflow.`);
    throw new UsageError(`${file} is already an API-format workflow (a prompt): there is nothing to convert.`);
  }
  const prompt = convertForRun(source.ui, await objectInfo());
  const text = `${JSON.stringify(prompt, null, 2)}\n`;
  if (args.out === undefined) {
    out.write(text);
    return EXIT.ok;
  }
  await writeFile(args.out, text).catch((err: Error) => {
    throw new UsageError(`--out ${args.out}: ${err.message}`);
  });
  out.write(`Wrote ${args.out}: ${Object.keys(prompt).length} nodes in API format.\n`);
  return EXIT.ok;
}
