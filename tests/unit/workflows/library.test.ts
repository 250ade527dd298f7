// The workflow library through the contract's handlers, on a real journal, with runs on the fake cloud.
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeCloud } from '../../fake-cloud/index';
import { useTempDirs } from '../engine/tmp';
import { basicWorkflow, openEngine, waitFor } from '../jobs/cloud-harness';

const tempDir = useTempDirs();
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

describe('workflow library', () => {
  it('save, rename, duplicate, delete; a run from it sets last used and its cover', async () => {
    const cloud = await startFakeCloud({ stepMs: 2, steps: 2 });
    cleanup.push(() => cloud.close());
    const engine = await openEngine(tempDir(), cloud);
    cleanup.push(() => engine.close());
    const h = engine.handlers;

    const saved = await h['library.save']({ name: 'Portrait', workflow: basicWorkflow() });
    expect(saved).toMatchObject({ name: 'Portrait', nodeCount: 7, lastUsedAt: null, coverHash: null });
    // A graph saved from ComfyUI's editor is kept as the graph; what is neither format is refused.
    const graph = await h['library.save']({ name: 'UI', workflow: { nodes: [{ id: 1 }, { id: 2 }], links: [] } });
    expect(graph.nodeCount).toBe(2);
    expect((await h['library.get']({ id: graph.id })).workflow).toEqual({ nodes: [{ id: 1 }, { id: 2 }], links: [] });
    await h['library.delete']({ id: graph.id });
    expect(() => h['library.save']({ name: 'Bad', workflow: { '1': { inputs: {} } } })).toThrow(/no class_type/);
    expect((await h['library.rename']({ id: saved.id, name: 'Portraits' })).name).toBe('Portraits');
    const copy = await h['library.duplicate']({ id: saved.id });
    expect(copy.name).toBe('Portraits copy');
    expect((await h['library.list']()).map((e) => e.name).sort()).toEqual(['Portraits', 'Portraits copy']);
    await h['library.delete']({ id: copy.id });
    expect((await h['library.list']()).map((e) => e.id)).toEqual([saved.id]);

    const { workflow } = await h['library.get']({ id: saved.id });
    const [job] = await h['jobs.submit']({ workflow, name: 'Portraits', libraryId: saved.id });
    await waitFor(() => engine.jobs.journal.outputs(job!.id).some((o) => o.state === 'stored'), 'output stored');
    const [entry] = await h['library.list']();
    expect(entry!.lastUsedAt).toBeGreaterThan(0);
    expect(entry!.coverHash).toBe(engine.jobs.journal.outputs(job!.id)[0]!.hash);
    expect(() => h['library.get']({ id: copy.id })).toThrow(/no longer in the library/);
  });
});
