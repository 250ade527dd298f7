// Each server's saved workflows through the engine's commands (the window's and the CLI's door):
// a real journal, the fake cloud's userdata routes over loopback (Comfy Cloud and a local server).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../../electron/engine/engine';
import { startFakeCloud, type FakeCloud } from '../../fake-cloud/index';
import { useTempDirs } from '../engine/tmp';
import { openEngine } from './cloud-harness';
import { FIXTURES } from './journal-helpers';

const tempDir = useTempDirs();
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => undefined);
});

type UiNode = { id: number; type: string; widgets_values?: unknown[]; mode?: number; pos: unknown };
type Ui = { nodes: UiNode[]; links: unknown[]; groups?: unknown[]; definitions?: unknown };

function graph(): Ui {
  return JSON.parse(
    readFileSync(join(FIXTURES, 'ui-to-api-subgraphs', 'peer_empty_blur_scale_save_subgraph.workflow.json'), 'utf8'),
  ) as Ui;
}

async function rig(mode: 'cloud' | 'local' = 'cloud'): Promise<{ cloud: FakeCloud; engine: Engine; id: string }> {
  const cloud = await startFakeCloud({ mode, stepMs: 2, steps: 2 });
  cleanup.push(() => cloud.close());
  const engine = await openEngine(tempDir(), cloud);
  cleanup.push(() => engine.close());
  return { cloud, engine, id: mode };
}

/** The prompt the form edits: the graph converted for the server, as the window has it. */
async function promptOf(engine: Engine, ui: unknown): Promise<Record<string, { inputs: Record<string, unknown> }>> {
  await engine.jobs.refreshObjectInfo(engine.settings.getSettings().activeProfileId);
  const report = await engine.invoke('workflows.inspect', { workflow: ui as Record<string, unknown> });
  expect(report.prompt).toBeTruthy();
  return structuredClone(report.prompt) as Record<string, { inputs: Record<string, unknown> }>;
}

describe('saved workflows', () => {
  it('lists the server’s folders with name, size and modified time, and keeps the files for offline', async () => {
    const { cloud, engine, id } = await rig();
    const a = cloud.putUserdata('workflows/blur.json', JSON.stringify(graph()));
    cloud.putUserdata('workflows/portraits/fox ü 狐.json', JSON.stringify(graph()));
    const list = await engine.invoke('saved.list', { profileId: id });
    expect(list.error).toBeNull();
    expect(list.entries.map((e) => [e.folder, e.name])).toEqual([
      ['', 'blur'],
      ['portraits', 'fox ü 狐'],
    ]);
    const blur = list.entries[0]!;
    expect(blur.size).toBe(a.bytes.length);
    expect(blur.modified).toBe(Math.round(a.modified * 1000));
    expect(blur.cached).toBe(true);
    // The server gone: the list and the files are still here.
    cloud.fault({ path: '/userdata', dropConnection: true, times: 1000 });
    const offline = await engine.invoke('saved.list', { profileId: id });
    expect(offline.error).toMatch(/Could not list the saved workflows/);
    expect(offline.entries).toHaveLength(2);
    const opened = await engine.invoke('saved.open', { profileId: id, path: 'portraits/fox ü 狐.json' });
    expect(opened.offline).toBe(true);
    expect(opened.workflow).toEqual(graph());
  });

  it('saves edited values back into the same graph: only the values change', async () => {
    const { cloud, engine, id } = await rig();
    const original = graph();
    cloud.putUserdata('workflows/blur.json', JSON.stringify(original));
    const opened = await engine.invoke('saved.open', { profileId: id, path: 'blur.json' });
    const prompt = await promptOf(engine, opened.workflow);
    const canvas = Object.values(prompt).find((n) => 'width' in n.inputs)!;
    canvas.inputs.width = 320;
    const result = await engine.invoke('saved.save', {
      profileId: id,
      path: 'blur.json',
      base: opened.modified,
      workflow: prompt,
      uiWorkflow: opened.workflow,
    });
    expect(result).toMatchObject({ saved: true, conflictPath: null });
    const back = JSON.parse(cloud.userdata.get('workflows/blur.json')!.bytes.toString()) as Ui;
    const changed = back.nodes.filter((n, i) => JSON.stringify(n) !== JSON.stringify(original.nodes[i]));
    expect(changed).toHaveLength(1);
    expect(changed[0]!.widgets_values).toContain(320);
    // Everything but that node's values is as it was: ids, positions, links, groups, subgraphs.
    const strip = (u: Ui) => ({ ...u, nodes: u.nodes.map(({ widgets_values: _w, ...n }) => n) });
    expect(strip(back)).toEqual(strip(original));
    expect(result.entry?.modified).toBe(Math.round(cloud.userdata.get('workflows/blur.json')!.modified * 1000));
  });

  it('never overwrites a newer version made elsewhere: both are kept, and it says so', async () => {
    const { cloud, engine, id } = await rig();
    cloud.putUserdata('workflows/blur.json', JSON.stringify(graph()));
    const opened = await engine.invoke('saved.open', { profileId: id, path: 'blur.json' });
    const elsewhere = JSON.stringify({ ...graph(), extra: { edited: 'in the web UI' } });
    cloud.putUserdata('workflows/blur.json', elsewhere);
    const result = await engine.invoke('saved.save', {
      profileId: id,
      path: 'blur.json',
      base: opened.modified,
      workflow: opened.workflow,
    });
    expect(result.conflictPath).toMatch(/^blur \(conflict \d{4}-\d\d-\d\d \d\d\.\d\d\)\.json$/);
    expect(result.message).toMatch(/changed on .* since you opened it.*Both are kept/);
    expect(cloud.userdata.get('workflows/blur.json')!.bytes.toString()).toBe(elsewhere);
    expect(JSON.parse(cloud.userdata.get(`workflows/${result.conflictPath}`)!.bytes.toString())).toEqual(graph());
  });

  it('a new name that is taken is refused with a 409 said plainly, and nothing is overwritten', async () => {
    const { cloud, engine, id } = await rig();
    cloud.putUserdata('workflows/taken.json', '{"nodes":[],"links":[]}');
    await expect(
      engine.invoke('saved.save', { profileId: id, path: 'taken.json', base: null, workflow: graph() }),
    ).rejects.toThrow(/already on the server/);
    expect(cloud.userdata.get('workflows/taken.json')!.bytes.toString()).toBe('{"nodes":[],"links":[]}');
    const list = await engine.invoke('saved.list', { profileId: id });
    expect(list.entries.find((e) => e.path === 'taken.json')?.pending).toBe(false);
  });

  it('renames, moves between folders and deletes', async () => {
    const { cloud, engine, id } = await rig();
    cloud.putUserdata('workflows/blur.json', JSON.stringify(graph()));
    await engine.invoke('saved.list', { profileId: id });
    const moved = await engine.invoke('saved.rename', { profileId: id, from: 'blur.json', to: 'archive/soft.json' });
    expect(moved).toMatchObject({ folder: 'archive', name: 'soft' });
    expect([...cloud.userdata.keys()]).toEqual(['workflows/archive/soft.json']);
    await engine.invoke('saved.delete', { profileId: id, path: 'archive/soft.json' });
    expect(cloud.userdata.size).toBe(0);
    expect((await engine.invoke('saved.list', { profileId: id })).entries).toEqual([]);
  });

  it('keeps a version saved offline until the server has it', async () => {
    const { cloud, engine, id } = await rig();
    cloud.putUserdata('workflows/blur.json', JSON.stringify(graph()));
    const opened = await engine.invoke('saved.open', { profileId: id, path: 'blur.json' });
    cloud.fault({ path: '/userdata', dropConnection: true, times: 1000 });
    const edited = { ...opened.workflow, extra: { note: 'offline' } };
    const result = await engine.invoke('saved.save', {
      profileId: id,
      path: 'blur.json',
      base: opened.modified,
      workflow: edited,
    });
    expect(result.saved).toBe(false);
    expect(result.message).toMatch(/kept on this computer/);
    const again = await engine.invoke('saved.open', { profileId: id, path: 'blur.json' });
    expect(again.workflow).toEqual(edited);
    cloud.clearFaults();
    const list = await engine.invoke('saved.list', { profileId: id });
    expect(list.entries.find((e) => e.path === 'blur.json')?.pending).toBe(false);
    expect(JSON.parse(cloud.userdata.get('workflows/blur.json')!.bytes.toString())).toEqual(edited);
  });

  it('copies a workflow from a local server to the Cloud account and back', async () => {
    const { cloud, engine } = await rig('cloud');
    const local = await startFakeCloud({ mode: 'local', stepMs: 2, steps: 2 });
    cleanup.push(() => local.close());
    const studio = engine.settings.saveProfile({ name: 'Studio', kind: 'local', url: local.url }).id;
    local.putUserdata('workflows/blur.json', JSON.stringify(graph()));
    const up = await engine.invoke('saved.copy', { from: studio, path: 'blur.json', to: 'cloud' });
    expect(up.saved).toBe(true);
    expect(JSON.parse(cloud.userdata.get('workflows/blur.json')!.bytes.toString())).toEqual(graph());
    // Back again: the name is taken there, so both are kept.
    const back = await engine.invoke('saved.copy', { from: 'cloud', path: 'blur.json', to: studio });
    expect(back.conflictPath).toMatch(/^blur \(conflict /);
    expect(local.userdata.size).toBe(2);
  });

  it('lists templates by pack; an empty answer is an empty list', async () => {
    const { engine, id } = await rig('cloud');
    expect(await engine.invoke('saved.templates', { profileId: id })).toEqual([]);
    const local = await startFakeCloud({ mode: 'local', templates: { 'my-pack': { 'Blur it': graph() } } });
    cleanup.push(() => local.close());
    const studio = engine.settings.saveProfile({ name: 'Studio', kind: 'local', url: local.url }).id;
    expect(await engine.invoke('saved.templates', { profileId: studio })).toEqual([
      { pack: 'my-pack', templates: ['Blur it'] },
    ]);
    const { workflow } = await engine.invoke('saved.template', {
      profileId: studio,
      pack: 'my-pack',
      name: 'Blur it',
    });
    expect(workflow).toEqual(graph());
  });

  it('refuses unsafe names at the contract', async () => {
    const { engine, id } = await rig();
    for (const path of [
      '../secrets.json',
      '/etc/passwd.json',
      'a/../../b.json',
      'bad\u0007name.json',
      'C:/x.json',
      'a\u202eb.json',
    ])
      await expect(engine.invoke('saved.open', { profileId: id, path }), path).rejects.toThrow(/path/);
  });
});
