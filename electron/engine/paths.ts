// Where Comfy Desk keeps its data: the journal, the output store and the logs.
// The same folder Electron's app.getPath('userData') gives for an app named "Comfy Desk",
// so the Electron shell and the headless host share one data folder.
import { mkdirSync, chmodSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export const APP_NAME = 'Comfy Desk';

export interface DataPaths {
  dataDir: string;
  journalPath: string;
  storeDir: string;
  logDir: string;
}

/** The platform's application-data folder for Comfy Desk (no folder is created). */
export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  if (env.COMFY_DESK_DATA) return resolve(env.COMFY_DESK_DATA);
  const home = env.HOME || homedir();
  switch (platform) {
    case 'darwin':
      return join(home, 'Library', 'Application Support', APP_NAME);
    case 'win32':
      return join(env.APPDATA || join(home, 'AppData', 'Roaming'), APP_NAME);
    default:
      return join(env.XDG_CONFIG_HOME || join(home, '.config'), APP_NAME);
  }
}

export function dataPaths(dataDir: string): DataPaths {
  const dir = resolve(dataDir);
  return {
    dataDir: dir,
    journalPath: join(dir, 'journal.sqlite3'),
    storeDir: join(dir, 'store'),
    logDir: join(dir, 'logs'),
  };
}

/** Resolve the data folder and create it and its sub-folders, readable by this user only. */
export function ensureDataPaths(dataDir?: string): DataPaths {
  const paths = dataPaths(dataDir ?? defaultDataDir());
  for (const dir of [paths.dataDir, paths.storeDir, paths.logDir]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (process.platform !== 'win32') {
      try {
        chmodSync(dir, 0o700);
      } catch {
        // A folder we cannot chmod (e.g. owned by someone else) still works if we can write to it.
      }
    }
  }
  return paths;
}
