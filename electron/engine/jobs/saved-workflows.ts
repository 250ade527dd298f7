// Each server's saved workflows, as the person's library: listed and kept in the journal (so they
// open offline), read, saved back without ever overwriting a newer version made elsewhere (the
// server's modified time is compared first; a conflict keeps both), renamed, moved, deleted, and
// copied between servers. A version saved here is kept in the journal until the server has it.
import { DeskError, dispositionOf } from '../../../shared/errors';
import { parseJsonBounded } from '../../../shared/json-limits';
import {
  MAX_SAVED_BYTES,
  MAX_SAVED_ENTRIES,
  savedPathProblem,
  splitSavedPath,
  type SavedWorkflowEntry,
  type SavedWorkflowFile,
  type SavedWorkflowList,
  type SavedWorkflowSaveResult,
  type TemplatePack,
} from '../../../shared/saved-workflows';
import type { ComfyHttp } from '../cloud/http';
import {
  deleteSaved,
  listSaved,
  listTemplates,
  readSaved,
  readTemplate,
  writeSaved,
  type RemoteSavedFile,
} from '../cloud/userdata';
import type { SavedWorkflowsJournal } from '../journal/saved-workflows';
import { isUiWorkflow, parseApiWorkflow } from '../workflows/api-format';

/** Files read ahead on a refresh, so they open offline (newest first). */
const READ_AHEAD = 100;

export interface SavedWorkflowsDeps {
  journal: SavedWorkflowsJournal;
  http: (profileId: string) => ComfyHttp;
  serverName: (profileId: string) => string;
  log?: { warn(message: string, fields?: Record<string, unknown>): void };
}

export class SavedWorkflows {
  constructor(private readonly deps: SavedWorkflowsDeps) {}

  /** What the journal has; with `refresh`, the server's listing first (versions saved here go up first). */
  async list(profileId: string, refresh = true): Promise<SavedWorkflowList> {
    if (refresh) {
      try {
        await this.pushPending(profileId);
        const { files, skipped } = await this.listing(profileId);
        this.deps.journal.replaceListing(profileId, files, skipped);
        await this.readAhead(profileId, files);
      } catch (err) {
        this.deps.journal.listingFailed(profileId, this.failure(profileId, err, 'list the saved workflows'));
      }
    }
    return { profileId, entries: this.deps.journal.entries(profileId), ...this.deps.journal.listing(profileId) };
  }

  /** A saved workflow: the server's newest version, or the journal's copy when the server is out of reach. */
  async open(profileId: string, path: string): Promise<SavedWorkflowFile> {
    checkPath(path);
    try {
      // The listing first, then the file: the time kept is never newer than the content.
      const current = await this.current(profileId, path);
      if (!current) throw new DeskError('not_found', `“${path}” is no longer on ${this.deps.serverName(profileId)}.`);
      const content = await readSaved(this.deps.http(profileId), path);
      const workflow = asWorkflow(content, path);
      this.deps.journal.stored(profileId, current, JSON.stringify(workflow));
      const pending = this.deps.journal.copy(profileId, path)?.pending;
      if (pending)
        return {
          profileId,
          path,
          workflow: asWorkflow(parse(pending, path), path),
          modified: current.modified,
          offline: false,
        };
      return { profileId, path, workflow, modified: current.modified, offline: false };
    } catch (err) {
      if (dispositionOf(err) !== 'retry') throw err;
      const copy = this.deps.journal.copy(profileId, path);
      const text = copy?.pending ?? copy?.content;
      if (!copy || !text)
        throw new DeskError(
          'network',
          `${this.failure(profileId, err, `open “${path}”`)} It was never opened here, so there is no copy on this computer.`,
        );
      return {
        profileId,
        path,
        workflow: asWorkflow(parse(text, path), path),
        modified: (copy.pending ? copy.pendingBase : copy.contentModified) ?? copy.modified,
        offline: true,
      };
    }
  }

  /**
   * Saves a workflow (its text) to `path`. `base` is the server's modified time of the version it was
   * opened from (null: a new name, never overwriting). Kept in the journal first; a server out of
   * reach leaves it there (saved: false) until the next refresh sends it.
   */
  async save(profileId: string, path: string, text: string, base: number | null): Promise<SavedWorkflowSaveResult> {
    checkPath(path);
    if (Buffer.byteLength(text) > MAX_SAVED_BYTES) throw new DeskError('rejected', `“${path}” is larger than 8 MB.`);
    asWorkflow(parse(text, path), path);
    this.deps.journal.keepPending(profileId, path, text, base);
    try {
      return await this.push(profileId, path, text, base);
    } catch (err) {
      if (dispositionOf(err) === 'retry') {
        const entry = this.deps.journal.entry(profileId, path);
        return {
          entry,
          saved: false,
          conflictPath: null,
          message: `${this.failure(profileId, err, `save “${path}”`)} It is kept on this computer and goes to the server when it is reachable.`,
        };
      }
      // Refused for good (a name taken, no access): said, and the tab keeps the work.
      this.deps.journal.clearPending(profileId, path);
      if (!this.deps.journal.copy(profileId, path)?.content && this.deps.journal.copy(profileId, path)?.modified === 0)
        this.deps.journal.remove(profileId, path);
      throw err;
    }
  }

  /** Renames or moves (another folder) a saved workflow: written under the new name, then the old one deleted. */
  async rename(profileId: string, from: string, to: string): Promise<SavedWorkflowEntry> {
    checkPath(from);
    checkPath(to);
    if (from === to) throw new DeskError('rejected', 'The new name is the same as the old one.');
    const http = this.deps.http(profileId);
    const copy = this.deps.journal.copy(profileId, from);
    const text = copy?.pending ?? JSON.stringify(asWorkflow(await readSaved(http, from), from));
    try {
      await writeSaved(http, to, text, false);
    } catch (err) {
      if (err instanceof DeskError && err.code === 'conflict')
        throw new DeskError('conflict', `${to} is already on ${this.deps.serverName(profileId)}: choose another name.`);
      throw err;
    }
    await deleteSaved(http, from);
    this.deps.journal.remove(profileId, from);
    const current = (await this.current(profileId, to)) ?? {
      path: to,
      size: Buffer.byteLength(text),
      modified: Date.now(),
    };
    this.deps.journal.stored(profileId, current, text);
    return this.deps.journal.entry(profileId, to)!;
  }

  async remove(profileId: string, path: string): Promise<void> {
    checkPath(path);
    await deleteSaved(this.deps.http(profileId), path);
    this.deps.journal.remove(profileId, path);
  }

  /** Copies a saved workflow to another server (as `as`, or its own name); a name taken there keeps both. */
  async copy(from: string, path: string, to: string, as?: string): Promise<SavedWorkflowSaveResult> {
    const { workflow } = await this.open(from, path);
    const target = as ?? path;
    checkPath(target);
    const text = JSON.stringify(workflow);
    this.deps.journal.keepPending(to, target, text, null);
    try {
      const result = await this.push(to, target, text, null, true);
      return result.conflictPath
        ? result
        : { ...result, message: `Copied to ${this.deps.serverName(to)} as “${target}”.` };
    } catch (err) {
      if (dispositionOf(err) !== 'retry') this.deps.journal.remove(to, target);
      throw err;
    }
  }

  async templates(profileId: string): Promise<TemplatePack[]> {
    return listTemplates(this.deps.http(profileId));
  }

  async template(profileId: string, pack: string, name: string): Promise<Record<string, unknown>> {
    return asWorkflow(await readTemplate(this.deps.http(profileId), pack, name), `${pack}/${name}`);
  }

  // ---------- inside ----------

  private async push(
    profileId: string,
    path: string,
    text: string,
    base: number | null,
    keepBothOnTaken = false,
  ): Promise<SavedWorkflowSaveResult> {
    const http = this.deps.http(profileId);
    const server = this.deps.serverName(profileId);
    const current = await this.current(profileId, path);
    let conflictPath: string | null = null;
    let written = path;
    if (current && (base === null ? keepBothOnTaken : current.modified !== base)) {
      // A newer version was made elsewhere (or the name is taken): ours goes beside it, both kept.
      conflictPath = await this.writeBeside(http, path, text);
      written = conflictPath;
    } else if (current && base !== null) {
      await writeSaved(http, path, text, true);
    } else {
      await writeSaved(http, path, text, false);
    }
    const after = (await this.current(profileId, written)) ?? {
      path: written,
      size: Buffer.byteLength(text),
      modified: Date.now(),
    };
    this.deps.journal.clearPending(profileId, path);
    this.deps.journal.stored(profileId, after, text);
    if (conflictPath) {
      const when = current ? new Date(current.modified).toLocaleString() : '';
      return {
        entry: this.deps.journal.entry(profileId, conflictPath),
        saved: true,
        conflictPath,
        message:
          keepBothOnTaken && base === null
            ? `“${path}” was already on ${server}: this copy was saved beside it as “${conflictPath}”.`
            : `“${path}” was changed on ${server} since you opened it (${when}). Both are kept: yours was saved as “${conflictPath}”.`,
      };
    }
    return {
      entry: this.deps.journal.entry(profileId, path),
      saved: true,
      conflictPath: null,
      message: `Saved “${path}” to ${server}.`,
    };
  }

  /** "name (conflict 2025-01-31 14.05).json" beside the file, never over anything. */
  private async writeBeside(http: ComfyHttp, path: string, text: string): Promise<string> {
    const { folder, name } = splitSavedPath(path);
    const stamp = new Date().toISOString().slice(0, 16).replace('T', ' ').replace(':', '.');
    for (let n = 1; n <= 20; n++) {
      const candidate = `${folder ? `${folder}/` : ''}${name} (conflict ${stamp}${n > 1 ? ` ${n}` : ''}).json`;
      try {
        await writeSaved(http, candidate, text, false);
        return candidate;
      } catch (err) {
        if (!(err instanceof DeskError && err.code === 'conflict')) throw err;
      }
    }
    throw new DeskError('conflict', `“${path}” could not be saved beside the newer version: every name was taken.`);
  }

  private async pushPending(profileId: string): Promise<void> {
    for (const p of this.deps.journal.pendings(profileId)) {
      await this.push(profileId, p.path, p.content, p.base).catch((err: unknown) => {
        if (dispositionOf(err) === 'retry') throw err;
        this.deps.log?.warn('a saved workflow kept here was refused by the server', { path: p.path });
      });
    }
  }

  private async listing(profileId: string): Promise<{ files: RemoteSavedFile[]; skipped: string | null }> {
    const { files, malformed } = await listSaved(this.deps.http(profileId));
    const safe: RemoteSavedFile[] = [];
    let unsafe = 0;
    for (const f of files) {
      if (savedPathProblem(f.path) === null) safe.push(f);
      else unsafe++;
    }
    const over = Math.max(0, safe.length - MAX_SAVED_ENTRIES);
    safe.sort((a, b) => b.modified - a.modified);
    const kept = safe.slice(0, MAX_SAVED_ENTRIES);
    const notes = [
      unsafe ? `${unsafe} with a name that is not safe to use (“..”, an absolute path, control characters)` : '',
      malformed ? `${malformed} the server described incompletely` : '',
      over ? `${over} older ones past the first ${MAX_SAVED_ENTRIES}` : '',
    ].filter(Boolean);
    return { files: kept, skipped: notes.length ? `Not shown: ${notes.join('; ')}.` : null };
  }

  /** The server's entry for one file now (from its listing), or null when it has none. */
  private async current(profileId: string, path: string): Promise<RemoteSavedFile | null> {
    const { files } = await listSaved(this.deps.http(profileId));
    return files.find((f) => f.path === path) ?? null;
  }

  private async readAhead(profileId: string, files: RemoteSavedFile[]): Promise<void> {
    const sizes = new Map(files.map((f) => [f.path, f]));
    for (const path of this.deps.journal.stale(profileId, READ_AHEAD)) {
      const file = sizes.get(path);
      if (!file || file.size > MAX_SAVED_BYTES) continue;
      try {
        const workflow = asWorkflow(await readSaved(this.deps.http(profileId), path), path);
        this.deps.journal.stored(profileId, file, JSON.stringify(workflow));
      } catch (err) {
        if (dispositionOf(err) === 'retry') throw err;
        // Not a workflow: listed, and said when it is opened.
      }
    }
  }

  private failure(profileId: string, err: unknown, what: string): string {
    const server = this.deps.serverName(profileId);
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof DeskError && err.code === 'unauthorized')
      return `${server} refused to ${what} (401): the API key is missing, mistyped or revoked; set it in Settings.`;
    return `Could not ${what} on ${server}: ${message}`;
  }
}

function checkPath(path: string): void {
  const problem = savedPathProblem(path);
  if (problem) throw new DeskError('rejected', `“${path.slice(0, 80)}”: ${problem}`);
}

function parse(text: string, path: string): unknown {
  try {
    return parseJsonBounded(text, { maxBytes: MAX_SAVED_BYTES * 3, maxDepth: 128 });
  } catch (err) {
    throw new DeskError('rejected', `“${path}” is not a workflow: it is not JSON (${(err as Error).message}).`);
  }
}

/** A saved file that is a workflow: a graph saved from ComfyUI's editor, or an API-format prompt. */
function asWorkflow(content: unknown, path: string): Record<string, unknown> {
  if (!content || typeof content !== 'object' || Array.isArray(content))
    throw new DeskError('rejected', `“${path}” is not a workflow: it holds no JSON object.`);
  const workflow = content as Record<string, unknown>;
  if (isUiWorkflow(workflow)) return workflow;
  try {
    parseApiWorkflow(workflow);
  } catch (err) {
    throw new DeskError('rejected', `“${path}” is not a workflow ComfyUI can run: ${(err as Error).message}`);
  }
  return workflow;
}
