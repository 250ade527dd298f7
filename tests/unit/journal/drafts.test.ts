// Open workflows survive a restart: kept in the journal in tab order, through the contract's door.
import { afterEach, expect, it } from 'vitest';
import { Engine } from '../../../electron/engine/engine';
import { useTempDirs } from '../engine/tmp';
import { FAST, memorySecrets } from '../jobs/cloud-harness';

const tempDir = useTempDirs();
const engines: Engine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.close();
});

const open = async (dir: string) => {
  const engine = await Engine.open({
    shell: 'host',
    dataDir: dir,
    monitor: false,
    secrets: memorySecrets(),
    timings: FAST,
    startJobs: false,
  });
  engines.push(engine);
  return engine;
};

it('drafts are saved, updated in place, listed in tab order after a restart, and closed', async () => {
  const dir = tempDir();
  const first = await open(dir);
  const workflow = { '1': { class_type: 'LoadImage', inputs: { image: 'cat.png' } } };
  const a = await first.invoke('drafts.save', {
    name: 'img2img',
    workflow,
    state: { runs: 2, values: { '1.image': 'cat.png' } },
  });
  const b = await first.invoke('drafts.save', { name: 'upscale', workflow, state: {} });
  await first.invoke('drafts.save', { id: a.id, name: 'img2img (edited)', workflow, state: { runs: 3 } });
  await first.close();
  engines.splice(0);

  const again = await open(dir);
  const drafts = await again.invoke('drafts.list');
  expect(drafts.map((d) => [d.id, d.name])).toEqual([
    [a.id, 'img2img (edited)'],
    [b.id, 'upscale'],
  ]);
  expect(drafts[0]!.state).toEqual({ runs: 3 });
  expect(drafts[0]!.workflow).toEqual(workflow);
  await again.invoke('drafts.remove', { id: b.id });
  expect((await again.invoke('drafts.list')).map((d) => d.id)).toEqual([a.id]);
  // The contract's limits hold here as everywhere: a state over 1 MB is refused.
  await expect(
    again.invoke('drafts.save', { name: 'big', workflow, state: { blob: 'x'.repeat(1_100_000) } }),
  ).rejects.toMatchObject({ code: 'invalid_input' });
});
