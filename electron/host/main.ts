// `npm run host` / `node out/main/host.js`: the engine and renderer without Electron.
// Prints the address to open; Ctrl-C stops it cleanly (the journal is closed, never left mid-write).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Engine } from '../engine/engine';
import { upgradeLine } from '../engine/journal/upgrade-words';
import { startRememberedHost } from './host-state';

const here = dirname(fileURLToPath(import.meta.url));

function defaultRendererDir(): string {
  // Built: out/main/host.js → out/renderer. From source (tsx): electron/host → out/renderer.
  const candidates = [join(here, '../renderer'), join(here, '../../out/renderer')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? candidates[0]!;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      port: { type: 'string', default: '0' },
      renderer: { type: 'string' },
    },
  });
  const rendererDir = resolve(values.renderer ?? defaultRendererDir());
  if (!existsSync(join(rendererDir, 'index.html'))) {
    console.error(`The renderer is not built (${rendererDir} has no index.html). Run: npm run build`);
    process.exit(1);
  }
  const engine = await Engine.open({
    shell: 'host',
    upgradeWorker: join(here, 'journal-upgrade.js'),
    onUpgrade: (step) => console.log(upgradeLine(step)),
    ...(values.data ? { dataDir: values.data } : {}),
    ...(process.env.COMFY_DESK_CLOUD_URL ? { cloudUrl: process.env.COMFY_DESK_CLOUD_URL } : {}),
    ...(process.env.COMFY_DESK_KEYCHAIN_SERVICE ? { keychainService: process.env.COMFY_DESK_KEYCHAIN_SERVICE } : {}),
  });
  const host = await startRememberedHost({ engine, rendererDir, port: Number(values.port) });
  console.log(`Comfy Desk (headless host) is running. Open: ${host.url}`);
  if (host.address === '127.0.0.1') {
    console.log('Note: this system allows no other loopback address, so services on 127.0.0.1 share its cookies.');
  }
  console.log(`Data folder: ${engine.dataDir}`);

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await host.close();
    await engine.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
