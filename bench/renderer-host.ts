// The headless host from source on a private copy of the built renderer: a benchmark that drives
// the window is not disturbed by a rebuild of out/renderer while it runs.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

/** A copy of the built renderer, taken whole: every asset its index.html names is in it. */
export function snapshotRenderer(to: string): string {
  const from = join(ROOT, 'out/renderer');
  for (let attempt = 0; attempt < 20; attempt++) {
    if (existsSync(join(from, 'index.html'))) {
      rmSync(to, { recursive: true, force: true });
      cpSync(from, to, { recursive: true });
      const html = readFileSync(join(to, 'index.html'), 'utf8');
      const assets = [...html.matchAll(/(?:src|href)="\.?\/?(assets\/[^"]+)"/g)].map((m) => m[1]!);
      if (assets.length > 0 && assets.every((a) => existsSync(join(to, a)))) return to;
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000); // a build is writing it
  }
  throw new Error('out/renderer has no complete build: run npx electron-vite build');
}

/** The headless host from source (the engine as it is in the tree), on the given renderer. */
export async function startHost(
  dataDir: string,
  rendererDir: string,
): Promise<{ url: string; origin: string; stop(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'electron/host/main.ts'), '--data', dataDir, '--renderer', rendererDir],
    { env: { ...process.env, COMFY_DESK_KEYCHAIN_SERVICE: `bench ${Date.now()}` }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`host did not start:\n${output}`)), 60_000);
    child.stdout!.on('data', () => {
      const match = /Open: (http:\/\/\S+\/\?token=\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`host exited (${code}):\n${output}`)));
  });
  return {
    url,
    origin: new URL(url).origin,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
