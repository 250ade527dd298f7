// The server's saved workflows (ComfyUI's user data under workflows/, the same routes on Comfy
// Cloud): listed with full_info, read, written with `overwrite`, deleted; and the templates of
// custom node packs. What the server sends is read field by field: an entry that is not a file
// with a name, a size and a time is skipped.
import { DeskError } from '../../../shared/errors';
import type { TemplatePack } from '../../../shared/saved-workflows';
import type { ComfyHttp } from './http';

export interface RemoteSavedFile {
  /** Relative to workflows/, as the server says it (checked by the caller). */
  path: string;
  size: number;
  /** Epoch ms. */
  modified: number;
}

const DIR = 'workflows/';

/** The user-data route of a file under workflows/ (its slashes encoded, as ComfyUI's frontend does). */
function fileRoute(path: string): string {
  return `/userdata/${encodeURIComponent(DIR + path)}`;
}

/** A modified time as epoch ms: seconds (a float, local ComfyUI), ms, or an ISO date (Cloud). */
export function modifiedOf(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0)
    return Math.round(value > 1e11 ? value : value * 1000);
  if (typeof value === 'string' && value.length < 64) {
    const n = Number(value);
    if (value.trim() !== '' && Number.isFinite(n)) return modifiedOf(n);
    const t = Date.parse(value);
    return Number.isFinite(t) ? t : null;
  }
  return null;
}

export async function listSaved(http: ComfyHttp): Promise<{ files: RemoteSavedFile[]; malformed: number }> {
  let body: unknown;
  try {
    body = await http.json('GET', '/userdata', { query: { dir: DIR, recurse: true, full_info: true, split: false } });
  } catch (err) {
    // A local server without a workflows/ folder yet answers 404: nothing saved.
    if (err instanceof DeskError && err.code === 'not_found') return { files: [], malformed: 0 };
    throw err;
  }
  if (!Array.isArray(body)) throw new DeskError('bad_response', 'The server sent no list of saved workflows.');
  const files: RemoteSavedFile[] = [];
  let malformed = 0;
  for (const item of body) {
    const entry = item && typeof item === 'object' ? (item as Record<string, unknown>) : null;
    const path = typeof entry?.path === 'string' ? entry.path : null;
    const modified = modifiedOf(entry?.modified);
    const size = typeof entry?.size === 'number' && Number.isFinite(entry.size) ? Math.max(0, entry.size) : null;
    if (!path || modified === null || size === null) malformed++;
    else files.push({ path, size, modified });
  }
  return { files, malformed };
}

/** The file's content as JSON; a clear error for a file that is not JSON. */
export async function readSaved(http: ComfyHttp, path: string): Promise<unknown> {
  try {
    return await http.json('GET', fileRoute(path));
  } catch (err) {
    if (err instanceof DeskError && err.code === 'bad_response' && err.status === 200)
      throw new DeskError('bad_response', `“${path}” on the server is not a workflow: it is not JSON.`);
    throw err;
  }
}

/**
 * Writes the file. `overwrite: false` makes the server refuse (409) when the name is taken: that is
 * thrown as a DeskError with code 'conflict'.
 */
export async function writeSaved(http: ComfyHttp, path: string, text: string, overwrite: boolean): Promise<void> {
  try {
    await http.json('POST', fileRoute(path), {
      query: { overwrite, full_info: true },
      rawBody: text,
      headers: { 'content-type': 'application/json' },
      idempotent: false,
    });
  } catch (err) {
    if (err instanceof DeskError && err.status === 409)
      throw new DeskError('conflict', `A workflow named “${path}” is already on the server.`, { status: 409 });
    throw err;
  }
}

export async function deleteSaved(http: ComfyHttp, path: string): Promise<void> {
  try {
    await http.json('DELETE', fileRoute(path));
  } catch (err) {
    if (err instanceof DeskError && err.code === 'not_found') return; // gone already
    throw err;
  }
}

/** The template packs a server offers ({pack: [name, …]}); an empty or absent answer is none. */
export async function listTemplates(http: ComfyHttp): Promise<TemplatePack[]> {
  let body: unknown;
  try {
    body = await http.json('GET', '/workflow_templates');
  } catch (err) {
    if (err instanceof DeskError && err.code === 'not_found') return [];
    throw err;
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return [];
  const packs: TemplatePack[] = [];
  for (const [pack, list] of Object.entries(body as Record<string, unknown>)) {
    if (!Array.isArray(list) || pack.length > 200) continue;
    const templates = list.filter((t): t is string => typeof t === 'string' && t.length > 0 && t.length <= 200);
    if (templates.length > 0) packs.push({ pack, templates: templates.slice(0, 1000) });
  }
  return packs.sort((a, b) => a.pack.localeCompare(b.pack));
}

export async function readTemplate(http: ComfyHttp, pack: string, name: string): Promise<unknown> {
  return http.json('GET', `/workflow_templates/${encodeURIComponent(pack)}/${encodeURIComponent(name)}.json`);
}
