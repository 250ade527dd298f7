// `npm run bench`: builds the app if needed (the renderer benchmarks drive the built renderer), then
// runs the benchmarks in one process; each prints `BENCH <name> <value> <unit> goal=<goal> <ok|short>`.
// `npm run bench <name>` runs one; `npm run bench:quick` (--quick) the gallery at 100,000 outputs only.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const args = process.argv.slice(2);
// Only these drive the built renderer; the others need no build.
const RENDERER = ['gallery-renderer', 'gallery-organize', 'queue-renderer'];
const only = args.find((a) => !a.startsWith('--'));
const needsBuild = only ? RENDERER.includes(only) : !args.includes('--quick');
if (needsBuild && (!existsSync('out/renderer/index.html') || !existsSync('out/main/host.js'))) {
  const build = spawnSync('npx', ['electron-vite', 'build'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
const run = spawnSync('npx', ['tsx', 'bench/index.ts', ...args], { stdio: 'inherit' });
process.exit(run.status ?? 1);
