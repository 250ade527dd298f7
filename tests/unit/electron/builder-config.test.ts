// electron-builder.yml, checked statically (packaging itself downloads Electron and cannot run here):
// it passes electron-builder's own schema, names only files that exist or the build makes, unpacks the
// natives, sets the fuses, and has every target, association and icon size the platforms need.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = join(import.meta.dirname, '../../..');
const config = parse(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  main: string;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  optionalDependencies?: Record<string, string>;
};
const viteConfig = readFileSync(join(root, 'electron.vite.config.ts'), 'utf8');

type Target = string | { target: string; arch?: string[] };
const targetsOf = (platform: string): Target[] => [config[platform].target].flat();
const nameOf = (t: Target): string => (typeof t === 'string' ? t : t.target);

it('passes electron-builder’s own configuration schema', async () => {
  const require = createRequire(import.meta.url);
  const { validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
    validateConfiguration(config: unknown, debugLogger: unknown): Promise<void>;
  };
  await expect(validateConfiguration(config, { isEnabled: false, add() {} })).resolves.toBeUndefined();
});

it('names the app', () => {
  expect(config.appId).toBe('org.comfydesk.app');
  expect(config.productName).toBe('Comfy Desk');
  expect(pkg.scripts.dist).toMatch(/electron-vite build && electron-builder/);
});

describe('files', () => {
  it('the main entry is what the build makes, and it is packaged', () => {
    expect(pkg.main).toBe('out/main/index.js');
    // electron-vite writes out/main/<input name>.js; the input named index is electron/main/index.ts.
    expect(viteConfig).toMatch(/outDir: 'out\/main'/);
    expect(viteConfig).toMatch(/index: resolve\(root, 'electron\/main\/index\.ts'\)/);
    expect(config.files).toContain('out/**');
    expect(config.files).toContain('package.json');
    expect(existsSync(join(root, 'electron/main/index.ts'))).toBe(true);
  });

  it('every file it names exists', () => {
    const named = [
      config.mac.icon,
      config.mac.entitlements,
      config.mac.entitlementsInherit,
      config.win.icon,
      config.dmg.icon,
      config.linux.icon,
      config.directories.buildResources,
    ];
    for (const path of named) expect(existsSync(join(root, path)), path).toBe(true);
    expect(readFileSync(join(root, config.mac.entitlements), 'utf8')).toMatch(/com\.apple\.security\.cs\.allow-jit/);
  });

  it('the native modules are unpacked from the asar archive', () => {
    for (const native of ['better-sqlite3', 'keytar', 'sharp', '@img']) {
      expect(config.asarUnpack).toContain(`node_modules/${native}/**`);
    }
    const deps = { ...pkg.dependencies, ...pkg.optionalDependencies };
    for (const dep of ['better-sqlite3', 'keytar', 'sharp']) expect(deps[dep], dep).toBeDefined();
  });
});

it('sets the fuses', () => {
  expect(config.electronFuses).toEqual({
    runAsNode: false,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableCookieEncryption: true,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    grantFileProtocolExtraPrivileges: false,
  });
});

describe('targets', () => {
  it('Linux: AppImage and deb', () => {
    expect(targetsOf('linux').map(nameOf)).toEqual(expect.arrayContaining(['AppImage', 'deb']));
  });
  it('macOS: a dmg for arm64 and x64, hardened runtime with entitlements', () => {
    const dmg = targetsOf('mac').find((t) => nameOf(t) === 'dmg');
    expect(typeof dmg === 'object' && dmg.arch).toEqual(expect.arrayContaining(['arm64', 'x64']));
    expect(config.mac.hardenedRuntime).toBe(true);
  });
  it('Windows: nsis', () => {
    expect(targetsOf('win').map(nameOf)).toContain('nsis');
  });
});

it('opens .json workflows and ComfyUI .png images', () => {
  const exts = (config.fileAssociations as { ext: string; mimeType: string }[]).map((a) => [a.ext, a.mimeType]);
  expect(exts).toEqual([
    ['json', 'application/json'],
    ['png', 'image/png'],
  ]);
});

describe('icons', () => {
  it('a 1024 source for the .icns and .ico electron-builder makes', async () => {
    expect(await sharp(join(root, 'build/icon.png')).metadata()).toMatchObject({ width: 1024, height: 1024 });
  });
  it.each([16, 24, 32, 48, 64, 128, 256, 512, 1024])('Linux %ipx, square, with transparency', async (size) => {
    const meta = await sharp(join(root, config.linux.icon, `${size}x${size}.png`)).metadata();
    expect(meta).toMatchObject({ format: 'png', width: size, height: size, hasAlpha: true });
  });
});
