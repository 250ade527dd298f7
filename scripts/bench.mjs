// `npm run bench`: builds the app if needed (the renderer benchmarks drive the built renderer), then
// runs every benchmark in one process; each prints `BENCH <name> <value> <unit> goal=<goal> <ok|short>`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (!existsSync('out/renderer/index.html') || !existsSync('out/main/host.js')) {
  const build = spawnSync('npx', ['electron-vite', 'build'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
const run = spawnSync('npx', ['tsx', 'bench/index.ts', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(run.status ?? 1);
