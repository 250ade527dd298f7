// Sweeps, several servers and "jobs at once" in the window, pinned by what a person sees and by
// what the servers received: a sweep of cfg × seed in the run form becomes one batch of exactly
// the product; a bad value is said under its box and stops the run; the sweep is kept with the open
// workflow; Settings keeps each server's window; runs spread over two servers reach both.
// In Debian's Chromium through the headless host, against the fake cloud (and a fake local server).
import type { Page } from '@playwright/test';
import { startFakeCloud, type FakeCloud } from '../fake-cloud/index';
import { test, expect, signIn } from './fixtures';
import { BASIC, gallery, invoke, openWorkflow, runToQueue, shots } from './helpers';

type Prompt = Record<string, { class_type: string; inputs: Record<string, unknown> }>;

/** Every prompt a fake server accepted, as it received it. */
async function receivedPrompts(server: FakeCloud): Promise<Prompt[]> {
  const headers = { 'X-API-Key': server.apiKey };
  const list = (await (await fetch(`${server.url}/api/jobs?limit=1000`, { headers })).json()) as {
    jobs: { id: string }[];
  };
  return Promise.all(
    list.jobs.map(async ({ id }) => {
      const job = (await (await fetch(`${server.url}/api/jobs/${encodeURIComponent(id)}`, { headers })).json()) as {
        workflow: { prompt: Prompt };
      };
      return job.workflow.prompt;
    }),
  );
}

async function workflows(app: Page): Promise<void> {
  await app.getByRole('button', { name: 'Workflows', exact: true }).click();
}

async function settings(app: Page): Promise<void> {
  await app.getByRole('button', { name: 'Settings', exact: true }).click();
}

test('a sweep of cfg × seed makes one batch of exactly the product; a bad value stops the run; the sweep is kept', async ({
  app,
  cloud,
  host,
}) => {
  await signIn(app, cloud);
  await openWorkflow(app, BASIC);
  const runBar = app.getByRole('region', { name: /^Run comfyui-basic/ });
  const runButton = runBar.getByRole('button', { name: 'Run', exact: true });
  const sampler = app.getByRole('region', { name: 'KSampler (node 3)' });

  // Runs go to the active server unless the person chooses several.
  await expect(runBar.getByRole('radio', { name: 'This server: Comfy Cloud' })).toBeChecked();

  await runBar.getByRole('button', { name: 'Sweep', exact: true }).click();
  await expect(runBar.getByRole('button', { name: 'Sweep', exact: true })).toHaveAttribute('aria-pressed', 'true');
  const panel = app.getByRole('region', { name: 'Sweep', exact: true });
  await expect(panel).toBeVisible();

  // cfg: 4, 6, 8 — rows.
  await panel.getByLabel('Input to sweep', { exact: true }).selectOption('3.cfg');
  const cfgValues = panel.getByLabel('Values for cfg');
  await cfgValues.fill('4, 6, 8');
  await expect(panel.getByText('3 values')).toBeVisible();

  // seed: 1..2 — columns.
  await panel.getByRole('button', { name: 'Add a second input' }).click();
  await panel.getByLabel('Second input to sweep', { exact: true }).selectOption('3.seed');
  const seedValues = panel.getByLabel('Values for seed');
  await seedValues.fill('1..2');
  await expect(panel.getByText('2 values')).toBeVisible();
  await expect(runBar.getByText('6 runs (3 cfg × 2 seed)', { exact: true })).toBeVisible();
  // The swept inputs say so where they are; the seed setting gives way to the sweep.
  await expect(sampler.getByText('Swept', { exact: true })).toHaveCount(2);
  await expect(runBar.getByLabel('Seed')).toBeDisabled();
  await expect(panel.getByText(/The seed is swept/)).toBeVisible();
  // No more than one batch can hold.
  await seedValues.fill('1..400');
  await expect(runBar.getByText(/That makes 1200 runs: at most 1000 at once/)).toBeVisible();
  await expect(runButton).toBeDisabled();
  await seedValues.fill('1..2');

  // A bad value: said under its box as it is typed, and the run waits.
  await cfgValues.fill('4, six');
  await expect(panel.getByText('"six" is not a number.', { exact: true })).toBeVisible();
  await expect(cfgValues).toHaveAttribute('aria-invalid', 'true');
  await expect(runBar.getByText('Check the values for cfg: "six" is not a number.')).toBeVisible();
  await expect(runButton).toBeDisabled();
  await shots(app, 'sweep-invalid');
  await cfgValues.fill('4, 6, 8');
  await expect(panel.getByText('"six" is not a number.', { exact: true })).toHaveCount(0);
  await expect(runButton).toBeEnabled();

  // The batch's name and colour.
  await panel.getByLabel('Batch name').fill('cfg study');
  await panel.getByTitle('Blue', { exact: true }).click();
  await expect(panel.getByRole('radio', { name: 'Blue' })).toBeChecked();
  await shots(app, 'sweep-form');

  // Kept with the open workflow: leaving the view and coming back, and a reload.
  await gallery(app);
  await workflows(app);
  await expect(cfgValues).toHaveValue('4, 6, 8');
  await expect(seedValues).toHaveValue('1..2');
  await expect(runBar.getByText('6 runs (3 cfg × 2 seed)', { exact: true })).toBeVisible();
  await expect(app.getByRole('tablist', { name: 'Open workflows' }).locator('[aria-busy="true"]')).toHaveCount(0);
  await app.reload();
  await expect(app.getByRole('navigation')).toBeVisible();
  await workflows(app);
  await expect(app.getByText(/\d+ nodes · checked against the server/)).toBeVisible({ timeout: 15_000 });
  await expect(panel.getByLabel('Input to sweep', { exact: true })).toHaveValue('3.cfg');
  await expect(panel.getByLabel('Second input to sweep', { exact: true })).toHaveValue('3.seed');
  await expect(cfgValues).toHaveValue('4, 6, 8');
  await expect(seedValues).toHaveValue('1..2');
  await expect(panel.getByLabel('Batch name')).toHaveValue('cfg study');
  await expect(panel.getByRole('radio', { name: 'Blue' })).toBeChecked();
  await expect(runBar.getByText('6 runs (3 cfg × 2 seed)', { exact: true })).toBeVisible();

  // Run: one submission, one batch of six.
  await runToQueue(app, runButton);
  await expect.poll(async () => (await invoke(host, 'batches.list', {})).length).toBe(1);
  const [batch] = await invoke(host, 'batches.list', {});
  expect(batch).toMatchObject({
    name: 'cfg study',
    color: '#3a86ff',
    kind: 'sweep',
    counts: { total: 6 },
    axes: [
      { nodeId: '3', input: 'cfg', values: [4, 6, 8] },
      { nodeId: '3', input: 'seed', values: [1, 2] },
    ],
  });

  // The cloud received six prompts: every cfg with every seed, once each.
  await expect.poll(() => cloud.acceptedCount(), { timeout: 30_000 }).toBe(6);
  expect([...cloud.acceptedByClientJob().values()]).toEqual([1, 1, 1, 1, 1, 1]);
  const pairs = (await receivedPrompts(cloud)).map((p) => [p['3']!.inputs.cfg, p['3']!.inputs.seed]);
  expect(pairs.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual([
    [4, 1],
    [4, 2],
    [6, 1],
    [6, 2],
    [8, 1],
    [8, 2],
  ]);
});

test('jobs at once: saved for a server, shown after a reload, and reset to the default', async ({ app, host }) => {
  await settings(app);
  const field = app.getByRole('spinbutton', { name: 'Jobs at once on Comfy Cloud' });
  await expect(field).toHaveValue('4');
  await expect(app.getByText('Default: 4 for Comfy Cloud')).toBeVisible();
  await expect(
    app.getByText('Comfy Desk holds the rest and sends them as places free up', { exact: false }),
  ).toBeVisible();
  const reset = app.getByRole('button', { name: 'Reset jobs at once on Comfy Cloud to the default' });
  await expect(reset).toHaveCount(0);

  // Out of bounds: said, and nothing saved.
  await field.fill('0');
  await field.press('Enter');
  await expect(app.getByRole('alert').filter({ hasText: 'A whole number from 1 to 64.' })).toBeVisible();
  expect((await invoke(host, 'queue.state')).servers[0]).toMatchObject({ window: 4, defaultWindow: true });

  await field.fill('7');
  await field.press('Enter');
  await expect(app.getByText('Saved', { exact: true })).toBeVisible();
  await expect(app.getByRole('alert').filter({ hasText: 'A whole number' })).toHaveCount(0);
  await expect(reset).toBeVisible();
  expect((await invoke(host, 'queue.state')).servers[0]).toMatchObject({ window: 7, defaultWindow: false });
  await shots(app, 'settings-jobs-at-once');

  // Kept: after a reload it is still 7.
  await app.reload();
  await expect(app.getByRole('navigation')).toBeVisible();
  await settings(app);
  await expect(field).toHaveValue('7');

  // Reset: back to the default for Comfy Cloud.
  await reset.click();
  await expect(field).toHaveValue('4');
  await expect(reset).toHaveCount(0);
  expect((await invoke(host, 'queue.state')).servers[0]).toMatchObject({ window: 4, defaultWindow: true });
});

test('runs spread over two servers reach both', async ({ app, cloud, host }) => {
  // A local server that has the workflow's checkpoint (a fresh one has none, and could not run it).
  const studio = await startFakeCloud({
    mode: 'local',
    models: ['v1-5-pruned-emaonly.safetensors'],
    stepMs: 40,
    steps: 6,
  });
  try {
    await signIn(app, cloud);
    await app.getByRole('button', { name: 'Add server' }).click();
    await app.getByLabel('Name').fill('Studio PC');
    await app.getByLabel('Address').fill(studio.url);
    await app.getByRole('button', { name: 'Save server' }).click();
    // Its own window, at the default for a local server.
    await expect(app.getByRole('spinbutton', { name: 'Jobs at once on Studio PC' })).toHaveValue('2');
    await expect(
      app.getByRole('listitem').filter({ hasText: 'Studio PC' }).getByText('Default: 2 for a local server'),
    ).toBeVisible();
    // Made active once, so the app connects to it; then Comfy Cloud is the active one again.
    await app.getByRole('radio', { name: /Studio PC/ }).click();
    await expect(app.getByRole('status', { name: /Connection: Online to Studio PC/ })).toBeVisible({
      timeout: 20_000,
    });
    await app.getByRole('radio', { name: /Comfy Cloud/ }).click();
    await expect(app.getByRole('status', { name: /Connection: Online to Comfy Cloud/ })).toBeVisible({
      timeout: 20_000,
    });

    await openWorkflow(app, BASIC);
    const runBar = app.getByRole('region', { name: /^Run comfyui-basic/ });
    const runOn = runBar.getByRole('radiogroup', { name: 'Run on' });
    // By default, as always: the active server.
    await expect(runOn.getByRole('radio', { name: 'This server: Comfy Cloud' })).toBeChecked();
    await runOn.getByText('Several servers', { exact: true }).click();
    await expect(runOn.getByRole('radio', { name: 'Several servers' })).toBeChecked();
    await expect(runBar.getByRole('checkbox', { name: /Comfy Cloud/ })).toBeChecked();
    await expect(runBar.getByRole('checkbox', { name: /Studio PC/ })).toBeChecked();
    // Not the default local server, which was never connected.
    await expect(runBar.getByRole('checkbox', { name: /Local ComfyUI/ })).not.toBeChecked();
    await expect(runBar.getByText("can't run this")).toHaveCount(0);
    await app.getByLabel('Runs').fill('6');
    await shots(app, 'run-on-several');
    await runToQueue(app, runBar.getByRole('button', { name: 'Run', exact: true }));

    await expect.poll(() => cloud.acceptedCount() + studio.acceptedCount(), { timeout: 30_000 }).toBe(6);
    expect(cloud.acceptedCount()).toBeGreaterThan(0);
    expect(studio.acceptedCount()).toBeGreaterThan(0);
    // Each sent once, to one of them.
    const ids = [...cloud.acceptedByClientJob().keys(), ...studio.acceptedByClientJob().keys()];
    expect(new Set(ids).size).toBe(6);
    const [batch] = await invoke(host, 'batches.list', {});
    expect(batch!.counts.total).toBe(6);
    expect(batch!.profileIds).toHaveLength(2);
  } finally {
    await app.goto('about:blank');
    await studio.close();
  }
});
