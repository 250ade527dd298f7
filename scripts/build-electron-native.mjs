// Builds Electron-ABI copies of the native modules into out/electron-native/, leaving the Node builds
// (used by tests, the CLI and the host) untouched. Runs only where Electron and its headers can be had.
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const electronVersion = JSON.parse(readFileSync('node_modules/electron/package.json', 'utf8')).version;
const work = 'out/electron-native-build';
mkdirSync('out/electron-native', { recursive: true });
for (const [pkg, binary] of [
  ['better-sqlite3', 'better_sqlite3.node'],
  ['keytar', 'keytar.node'],
]) {
  // keytar is optional (it needs libsecret's headers on Linux): without it, keys stay in memory.
  if (!existsSync(join('node_modules', pkg))) {
    console.log(`${pkg} is not installed: skipped.`);
    continue;
  }
  const dir = join(work, pkg);
  cpSync(join('node_modules', pkg), dir, { recursive: true });
  const result = spawnSync(
    'npx',
    ['node-gyp', 'rebuild', '--release', `--target=${electronVersion}`, '--dist-url=https://electronjs.org/headers'],
    { cwd: dir, stdio: 'inherit', env: { ...process.env, npm_config_nodedir: '' } },
  );
  if (result.status !== 0) {
    console.error(`Could not build ${pkg} for Electron ${electronVersion}.`);
    process.exit(1);
  }
  cpSync(join(dir, 'build/Release', binary), join('out/electron-native', binary));
}
console.log(`Native modules built for Electron ${electronVersion} in out/electron-native/`);
