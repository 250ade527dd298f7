// The engine child processes and temp folders of the soak: every one is tracked, so that whatever
// way the soak ends (done, time limit, Ctrl-C, a throw), no child is left running and no folder left.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPO = join(import.meta.dirname, '../..');
const CHILD = join(import.meta.dirname, 'child.ts');
const live = new Set<ChildProcess>();
const dirs = new Set<string>();

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `comfy-desk-soak-${prefix}-`));
  dirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

/** Synchronous, so it also works from an 'exit' handler. */
export function cleanupAll(keep = false): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
  if (!keep) for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

export interface EngineChild {
  pid: number;
  /** Resolves true on the child's READY line, false if it exits first. */
  ready: Promise<boolean>;
  /** Resolves true on the child's DONE line, false if it exits first. */
  done: Promise<boolean>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
  /** The last lines it printed (stdout and stderr), for reports. */
  tail(n?: number): string[];
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>;
}

export function startEngineChild(dataDir: string, cloudUrl: string, apiKey: string, args: string[]): EngineChild {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, cloudUrl, apiKey, ...args], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(proc);
  const lines: string[] = [];
  let exitedFlag = false;
  let onReady: (v: boolean) => void = () => undefined;
  let onDone: (v: boolean) => void = () => undefined;
  const ready = new Promise<boolean>((r) => (onReady = r));
  const done = new Promise<boolean>((r) => (onDone = r));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    // 'close', not 'exit': every line it printed has been read by then.
    proc.once('close', (code, signal) => {
      exitedFlag = true;
      live.delete(proc);
      onReady(false);
      onDone(false);
      resolve({ code, signal });
    }),
  );
  const take = (prefix: string) => {
    let partial = '';
    return (d: Buffer): void => {
      partial += d.toString();
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        if (line === 'READY') onReady(true);
        if (line === 'DONE') onDone(true);
        lines.push(prefix + line);
        if (lines.length > 200) lines.shift();
      }
    };
  };
  proc.stdout!.on('data', take(''));
  proc.stderr!.on('data', take('stderr: '));
  return {
    pid: proc.pid ?? -1,
    ready,
    done,
    exited,
    hasExited: () => exitedFlag,
    tail: (n = 20) => lines.slice(-n),
    async kill() {
      if (!exitedFlag) proc.kill('SIGKILL');
      await exited;
    },
  };
}
