import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultDataDir, ensureDataPaths } from '../../../electron/engine/paths';
import { useTempDirs } from './tmp';

const tempDir = useTempDirs();

describe('data folder', () => {
  it('follows COMFY_DESK_DATA, else the platform app-data folder for "Comfy Desk"', () => {
    expect(defaultDataDir({ COMFY_DESK_DATA: '/data/desk' }, 'linux')).toBe('/data/desk');
    expect(defaultDataDir({ HOME: '/home/a', XDG_CONFIG_HOME: '/xdg' }, 'linux')).toBe('/xdg/Comfy Desk');
    expect(defaultDataDir({ HOME: '/home/a' }, 'linux')).toBe('/home/a/.config/Comfy Desk');
    expect(defaultDataDir({ HOME: '/Users/a' }, 'darwin')).toBe('/Users/a/Library/Application Support/Comfy Desk');
    expect(defaultDataDir({ HOME: '/h', APPDATA: 'C:/Users/a/AppData/Roaming' }, 'win32')).toBe(
      join('C:/Users/a/AppData/Roaming', 'Comfy Desk'),
    );
  });

  it('creates the folder, store/ and logs/ readable by this user only', () => {
    const paths = ensureDataPaths(join(tempDir(), 'desk'));
    expect(paths.journalPath).toBe(join(paths.dataDir, 'journal.sqlite3'));
    for (const dir of [paths.dataDir, paths.storeDir, paths.logDir]) {
      expect(statSync(dir).isDirectory()).toBe(true);
      if (process.platform !== 'win32') expect(statSync(dir).mode & 0o777).toBe(0o700);
    }
  });
});
