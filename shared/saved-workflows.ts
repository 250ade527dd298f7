// The workflows a server keeps for its user (ComfyUI's "workflows/" user data, Comfy Cloud's the
// same): their names, checked once here for the contract, the engine and the command line alike.
import { ValidationError, type Validator } from './schema';

/** Longest path (folder/name.json) accepted under workflows/. */
export const MAX_SAVED_PATH = 240;
/** More entries than this in one listing are left out (and said). */
export const MAX_SAVED_ENTRIES = 5000;
/** Largest saved workflow read or written. */
export const MAX_SAVED_BYTES = 8_000_000;

export interface SavedWorkflowEntry {
  /** Under workflows/, with "/" between folders: "portraits/fox.json". */
  path: string;
  /** The folder ("" at the top) and the name without ".json". */
  folder: string;
  name: string;
  size: number;
  /** The server's modified time, epoch ms (what a save compares before it overwrites). */
  modified: number;
  /** Its content is kept here: it opens offline. */
  cached: boolean;
  /** A version saved here that the server does not have yet (it goes on the next refresh). */
  pending: boolean;
}

export interface SavedWorkflowList {
  profileId: string;
  entries: SavedWorkflowEntry[];
  /** When the server last answered the listing (epoch ms); null if never. */
  listedAt: number | null;
  /** Why the last listing failed (offline, 401…), written for a person; null when it worked. */
  error: string | null;
  /** Entries the server listed and that were left out (unsafe names, past the limit), said for a person. */
  skipped: string | null;
}

export interface SavedWorkflowFile {
  profileId: string;
  path: string;
  workflow: Record<string, unknown>;
  /** The server's modified time of this version (kept with the open tab, compared on save). */
  modified: number;
  /** Read from the journal because the server could not be reached. */
  offline: boolean;
}

export interface SavedWorkflowSaveResult {
  entry: SavedWorkflowEntry | null;
  /** Saved on the server (false: kept here, it goes when the server is reachable). */
  saved: boolean;
  /** A newer version was there: ours was saved beside it under this path. */
  conflictPath: string | null;
  /** What happened, for a person. */
  message: string;
}

export interface TemplatePack {
  pack: string;
  templates: string[];
}

// eslint-disable-next-line no-control-regex -- control characters are what it finds
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;
const RESERVED = /[\\:*?"<>|]/;

/** Why a path under workflows/ is refused, for a person; null when it is fine. */
export function savedPathProblem(path: string): string | null {
  if (typeof path !== 'string' || path.length === 0) return 'The name is empty.';
  if (path.length > MAX_SAVED_PATH) return `The name is longer than ${MAX_SAVED_PATH} characters.`;
  if (CONTROL.test(path)) return 'The name holds control or invisible characters.';
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path))
    return 'The name is an absolute path; give a name under workflows/.';
  if (RESERVED.test(path)) return 'The name holds a character servers refuse (\\ : * ? " < > |).';
  const parts = path.split('/');
  if (parts.some((p) => p === '..' || p === '.'))
    return 'The name holds ".." or "." as a folder: it would leave workflows/.';
  if (parts.some((p) => p.trim() === '')) return 'The name has an empty folder or file name.';
  if (!path.toLowerCase().endsWith('.json')) return 'A saved workflow name ends in .json.';
  return null;
}

/** A name typed by a person ("fox", "portraits/fox.json") as a path under workflows/. */
export function toSavedPath(name: string): string {
  const trimmed = name.trim().replace(/^workflows\//, '');
  return trimmed.toLowerCase().endsWith('.json') ? trimmed : `${trimmed}.json`;
}

export function splitSavedPath(path: string): { folder: string; name: string } {
  const at = path.lastIndexOf('/');
  return { folder: at < 0 ? '' : path.slice(0, at), name: path.slice(at + 1).replace(/\.json$/i, '') };
}

/** The contract's validator for a saved workflow's path: the same rules, as a ValidationError. */
export const savedWorkflowPath: Validator<string> = {
  describe: 'a workflow name under workflows/',
  parse(value, at = '') {
    if (typeof value !== 'string') throw new ValidationError(at, 'expected a string');
    const problem = savedPathProblem(value);
    if (problem) throw new ValidationError(at, problem);
    return value;
  },
};

/**
 * The name a workflow file gives its workflow: the file's name without its folder, its extension
 * and the `.workflow` / `.api` / `_api` that exports add (`portrait.workflow.json` is "portrait").
 */
export function workflowNameOfFile(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? '';
  const name = base.replace(/\.(json|png|webp|mp4|webm)$/i, '').replace(/(\.workflow|\.api|_api)$/i, '');
  return name || 'workflow';
}
