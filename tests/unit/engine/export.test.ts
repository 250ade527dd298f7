// Outputs leaving the app: a ZIP another reader (unzip) accepts, with each PNG carrying its
// workflow and a JSON sidecar beside it; a folder export that never writes over a file; names
// from a server that cannot climb out of the folder.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../../electron/engine/engine';
import { safeName, withMetadata, withPrompt } from '../../../electron/engine/export';
import { readImageMetadata } from '../../../electron/engine/workflows/metadata';
import { startFakeCloud } from '../../fake-cloud/index';
import { basicWorkflow, openEngine, waitFor } from '../jobs/cloud-harness';
import { FIXTURES } from '../jobs/journal-helpers';
import { useTempDirs } from './tmp';

const tempDir = useTempDirs();
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => undefined);
});

async function twoOutputs(): Promise<{ engine: Engine; ids: number[] }> {
  const cloud = await startFakeCloud({ mode: 'local', stepMs: 2, steps: 2 });
  cleanup.push(() => cloud.close());
  const engine = await openEngine(tempDir(), cloud);
  cleanup.push(() => engine.close());
  const jobs = await engine.invoke('jobs.submit', {
    workflow: basicWorkflow(),
    name: 'fox',
    count: 2,
    seed: 'increment',
  });
  await waitFor(
    () => jobs.every((j) => engine.jobs.journal.outputs(j.id).some((o) => o.state === 'stored')),
    'the outputs',
    20_000,
  );
  return { engine, ids: jobs.map((j) => engine.jobs.journal.outputs(j.id)[0]!.id) };
}

describe('withPrompt', () => {
  it('adds a prompt text chunk a PNG lacks (readable back), and leaves one that has it alone', () => {
    const plain = readFileSync(join(FIXTURES, 'comfyui-png', 'sdxl__sdxl_simple_example.png'));
    const stripped = stripText(plain);
    expect(readImageMetadata(stripped).prompt).toBeNull();
    const prompt = { '3': { class_type: 'KSampler', inputs: { seed: 7, text: 'café ☕' } } };
    const added = withPrompt(stripped, prompt);
    expect(readImageMetadata(added).prompt).toEqual(prompt);
    expect(withPrompt(added, { other: 1 })).toBe(added);
    expect(withPrompt(plain, prompt).equals(plain)).toBe(true);
  });

  it("adds the editor's graph beside the prompt, so the file opens in ComfyUI as the graph", () => {
    const stripped = stripText(readFileSync(join(FIXTURES, 'comfyui-png', 'sdxl__sdxl_simple_example.png')));
    const prompt = { '3': { class_type: 'KSampler', inputs: { seed: 7 } } };
    const workflow = { nodes: [{ id: 3, type: 'KSampler', widgets_values: [7, 'fixed'] }], links: [], title: 'über' };
    const both = withMetadata(stripped, { prompt, workflow });
    expect(readImageMetadata(both)).toMatchObject({ prompt, workflow });
    expect(readImageMetadata(withMetadata(stripped, { prompt: null, workflow })).prompt).toBeNull();
    expect(withMetadata(both, { prompt, workflow })).toBe(both);
  });

  it('a server file name becomes a name in the folder, never a path out of it', () => {
    expect(safeName('../../etc/passwd')).toBe('passwd');
    expect(safeName('..\\..\\Windows\\win.ini')).toBe('win.ini');
    expect(safeName('a<b>:c"|?*.png')).toBe('a_b_c_.png');
    expect(safeName('...')).toBe('output');
    expect(safeName('\u0000\u0007')).toBe('_');
  });
});

describe('outputs.export', () => {
  it('as a ZIP: unzip accepts it; each PNG has its workflow, each has an API-format sidecar', async () => {
    const { engine, ids } = await twoOutputs();
    const result = await engine.invoke('outputs.export', { ids });
    expect(result).toMatchObject({ files: 4 });
    const zip = (await engine.jobs.store.locate(result.zip!.hash))!;
    expect(execFileSync('unzip', ['-tq', zip]).toString()).toMatch(/No errors detected/);
    const names = execFileSync('unzip', ['-Z1', zip]).toString().trim().split('\n').sort();
    expect(names).toHaveLength(4);
    for (const name of names.filter((n) => n.endsWith('.png'))) {
      const png = execFileSync('unzip', ['-p', zip, name]);
      const sidecar = JSON.parse(execFileSync('unzip', ['-p', zip, name.replace(/\.png$/, '.json')]).toString());
      expect(readImageMetadata(png).prompt).toEqual(sidecar);
      expect(sidecar['3'].class_type).toBe('KSampler');
    }
    // Served to the window like any file, as a ZIP.
    expect((await engine.jobs.store.media(result.zip!.hash, 'full'))?.mime).toBe('application/zip');
  });

  it('to a folder: the files and sidecars, and a second export beside them, not over them', async () => {
    const { engine, ids } = await twoOutputs();
    const folder = join(tempDir(), 'export here');
    expect(await engine.invoke('outputs.export', { ids, folder })).toMatchObject({ files: 4, zip: null });
    await engine.invoke('outputs.export', { ids: [ids[0]!], folder });
    const files = readdirSync(folder).sort();
    expect(files).toHaveLength(6);
    expect(files.filter((f) => f.includes(' (2)'))).toHaveLength(2);
    await expect(engine.invoke('outputs.export', { ids, folder: 'relative/path' })).rejects.toThrow(/invalid format/);
    await expect(engine.invoke('outputs.export', { ids: [999_999] })).rejects.toThrow(/not on this computer/);
  });

  it('"save as PNG + workflow" for one output', async () => {
    const { engine, ids } = await twoOutputs();
    const { hash, name } = await engine.invoke('outputs.withWorkflow', { id: ids[0]! });
    const png = readFileSync((await engine.jobs.store.locate(hash))!);
    expect(name).toMatch(/\.png$/);
    expect(readImageMetadata(png).prompt).toMatchObject({ '3': { class_type: 'KSampler' } });
  });
});

/** The PNG without its text chunks (what a server that strips metadata sends). */
function stripText(png: Buffer): Buffer {
  const parts = [png.subarray(0, 8)];
  let at = 8;
  while (at < png.length) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    if (!['tEXt', 'iTXt', 'zTXt'].includes(type)) parts.push(png.subarray(at, at + 12 + length));
    at += 12 + length;
  }
  return Buffer.concat(parts);
}
