// Finds a runnable Electron binary, or says why there is none. Electron 42+ downloads its binary on
// first use; where that cannot happen (no network to its host), requiring 'electron' throws at once.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** @returns {{ path: string } | { reason: string }} */
export function findElectron() {
  const probe = spawnSync(process.execPath, ['-e', "process.stdout.write(require('electron'))"], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  const path = probe.stdout?.trim();
  if (probe.status === 0 && path && existsSync(path)) return { path };
  const why = (probe.stderr || '').split('\n').find((line) => /Error|failed/i.test(line)) ?? 'not installed';
  return { reason: `no Electron binary could be had on this machine (${why.trim().slice(0, 160)})` };
}
