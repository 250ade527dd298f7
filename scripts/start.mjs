// `npm start`: builds, then launches the Electron app; where no Electron binary can be had,
// says so in one line and starts the headless host instead (printing the address to open).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { findElectron } from './electron-binary.mjs';

function run(cmd, args) {
  const result = spawnSync(cmd, args, { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

if (!existsSync('out/main/index.js') || process.env.COMFY_DESK_REBUILD !== '0') run('npx', ['electron-vite', 'build']);

const electron = findElectron();
let child;
if ('path' in electron) {
  // Native modules built for Node's ABI cannot load in Electron: build Electron copies beside them once.
  if (!existsSync('out/electron-native')) run(process.execPath, ['scripts/build-electron-native.mjs']);
  child = spawn(electron.path, ['.', ...process.argv.slice(2)], { stdio: 'inherit' });
} else {
  console.log(`Electron cannot start: ${electron.reason}. Starting the headless host instead.`);
  child = spawn(process.execPath, ['out/main/host.js', ...process.argv.slice(2)], { stdio: 'inherit' });
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 0));
