// One app at a time: a second launch hands its workflow file (if any) to the first and quits; the
// first comes to the front. Files the OS opens with us (file association, "Open with", a drop on
// the dock icon) arrive the same way, and wait until the page is there to receive them.
import { readFileSync, statSync } from 'node:fs';
import { basename, extname, isAbsolute, resolve } from 'node:path';
import { app } from 'electron';

/** What the OS may hand us: an API-format workflow, or a ComfyUI image with its workflow inside. */
export const OPENABLE_EXTENSIONS: ReadonlySet<string> = new Set(['.json', '.png']);
/** Base64 of this fits the contract's fileData (72 M characters), so the page can pass it straight on. */
export const MAX_OPEN_BYTES = 50 * 1024 * 1024;

/**
 * The app.openFile event's payload: the file's bytes, not its path, so the page needs no file access
 * and reuses the commands it has (workflows.fromImage for a PNG, workflows.inspect for JSON).
 */
export interface OpenedFile {
  name: string;
  kind: 'json' | 'png';
  data: string;
}

export function readOpenedFile(path: string): OpenedFile | null {
  try {
    const stat = statSync(path);
    if (!stat.isFile() || stat.size === 0 || stat.size > MAX_OPEN_BYTES) return null;
    const kind = extname(path).toLowerCase() === '.png' ? 'png' : 'json';
    return { name: basename(path), kind, data: readFileSync(path).toString('base64') };
  } catch {
    return null;
  }
}

/** The workflow files named on a command line (never flags, nothing that is not a plain file of ours). */
export function workflowFilesIn(argv: readonly string[], cwd: string): string[] {
  const files: string[] = [];
  // argv[0] is the executable; when run unpackaged (`electron .`) argv[1] is the app folder.
  for (const arg of argv.slice(1)) {
    if (arg.startsWith('-') || !OPENABLE_EXTENSIONS.has(extname(arg).toLowerCase())) continue;
    const path = isAbsolute(arg) ? arg : resolve(cwd, arg);
    try {
      const stat = statSync(path);
      if (stat.isFile() && stat.size <= MAX_OPEN_BYTES) files.push(path);
    } catch {
      // Not there: nothing to open.
    }
  }
  return files;
}

export interface InstanceHooks {
  /** Bring the existing window to the front. */
  focus(): void;
  /** Hand a file to the page (which reads it through the contract); false when the page is not ready. */
  openFile(path: string): boolean;
}

/**
 * Takes the single-instance lock. Returns false when another instance has it: this one must quit.
 * `flush()` hands over files that arrived before the page could take them.
 */
export function claimSingleInstance(hooks: InstanceHooks): { ok: boolean; flush(): void } {
  const pending: string[] = [];
  const open = (path: string): void => {
    if (!hooks.openFile(path)) pending.push(path);
  };
  const flush = (): void => {
    for (const path of pending.splice(0)) open(path);
  };
  if (!app.requestSingleInstanceLock()) return { ok: false, flush };
  app.on('second-instance', (_event, argv, workingDirectory) => {
    hooks.focus();
    for (const path of workflowFilesIn(argv, workingDirectory)) open(path);
  });
  // macOS: "Open with" and a drop on the dock icon, possibly before the app is ready.
  app.on('open-file', (event, path) => {
    event.preventDefault();
    if (OPENABLE_EXTENSIONS.has(extname(path).toLowerCase())) open(path);
  });
  for (const path of workflowFilesIn(process.argv, process.cwd())) pending.push(path);
  return { ok: true, flush };
}
