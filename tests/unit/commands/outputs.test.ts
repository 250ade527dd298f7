// The desktop's actions on outputs, through the contract: the file is found wherever it lives (the
// store, or a folder imported in place); without a desktop (the headless host) each says so.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { Engine } from '../../../electron/engine/engine';
import type { DesktopActions } from '../../../electron/engine/commands/types';
import { importFolder } from '../../../electron/engine/import-folder';
import { useTempDirs } from '../engine/tmp';
import { FAST, memorySecrets } from '../jobs/cloud-harness';
import { FIXTURES } from '../jobs/journal-helpers';

const tempDir = useTempDirs();
const engines: Engine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.close();
});

async function withOutputs(desktop?: DesktopActions) {
  const engine = await Engine.open({
    shell: desktop ? 'electron' : 'host',
    dataDir: tempDir(),
    monitor: false,
    secrets: memorySecrets(),
    timings: FAST,
    startJobs: false,
    ...(desktop ? { desktop } : {}),
  });
  engines.push(engine);
  const folder = join(tempDir(), 'kept');
  mkdirSync(folder);
  copyFileSync(join(FIXTURES, 'comfyui-png', 'flux__flux_dev_example.png'), join(folder, 'flux.png'));
  copyFileSync(join(FIXTURES, 'comfyui-png', 'sdxl__sdxl_simple_example.png'), join(folder, 'sdxl.png'));
  const summary = await importFolder(
    folder,
    {
      journal: engine.jobs.journal,
      store: engine.jobs.store,
      uiWorkflows: engine.parts.uiWorkflows,
      profileId: 'cloud',
    },
    undefined,
    'reference',
  );
  expect(summary).toMatchObject({ added: 2, unreadable: [] });
  const items = engine.parts.gallery.page({ sort: 'oldest' }).items;
  return { engine, folder, ids: items.map((i) => i.id) };
}

it('open, reveal and drag reach the desktop with the files where they are, the thumbnail as the icon', async () => {
  const calls: unknown[] = [];
  const desktop: DesktopActions = {
    reveal: (path) => void calls.push(['reveal', path]),
    open: async (path) => void calls.push(['open', path]),
    startDrag: (paths, icon) => void calls.push(['drag', paths, icon]),
    saveAs: async (path, name) => (calls.push(['save', path, name]), name !== 'cancel.png'),
  };
  const { engine, folder, ids } = await withOutputs(desktop);
  await engine.invoke('outputs.open', { id: ids[0]! });
  await engine.invoke('outputs.reveal', { id: ids[1]! });
  await engine.invoke('outputs.drag', { ids });
  // Saving a stored file by hash: the file where it is, under a name that cannot be a path.
  const hash = engine.jobs.journal.output(ids[0]!)!.hash!;
  expect(await engine.invoke('media.save', { hash, name: '../../grid.png' })).toEqual({ saved: true });
  expect(await engine.invoke('media.save', { hash, name: 'cancel.png' })).toEqual({ saved: false });
  expect(calls[3]).toEqual(['save', join(folder, 'flux.png'), 'grid.png']);
  await expect(engine.invoke('media.save', { hash: 'f'.repeat(64), name: 'x.png' })).rejects.toThrow(
    /not on this computer/,
  );
  expect(calls[0]).toEqual(['open', join(folder, 'flux.png')]);
  expect(calls[1]).toEqual(['reveal', join(folder, 'sdxl.png')]);
  const [, paths, icon] = calls[2] as [string, string[], string];
  expect(paths).toEqual([join(folder, 'flux.png'), join(folder, 'sdxl.png')]);
  expect(icon).toMatch(/\.webp$/);
});

it('in the headless host each says it is a desktop-app feature; a system refusal is said too', async () => {
  const { engine, ids } = await withOutputs();
  await expect(engine.invoke('outputs.open', { id: ids[0]! })).rejects.toMatchObject({
    message: expect.stringMatching(/available in the desktop app/),
  });
  await expect(engine.invoke('outputs.drag', { ids })).rejects.toMatchObject({
    message: expect.stringMatching(/available in the desktop app/),
  });
  const hash = engine.jobs.journal.output(ids[0]!)!.hash!;
  await expect(engine.invoke('media.save', { hash, name: 'a.png' })).rejects.toThrow(/the link downloads it/);
  const refusing = await withOutputs({
    reveal: () => undefined,
    open: async () => {
      throw new Error('The file could not be opened: no app for .png');
    },
    startDrag: () => undefined,
    saveAs: async () => false,
  });
  await expect(refusing.engine.invoke('outputs.open', { id: refusing.ids[0]! })).rejects.toMatchObject({
    message: expect.stringMatching(/no app for \.png/),
  });
});
