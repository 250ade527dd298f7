// "A queue you command": the app's own queue in the window, through the headless host, against real
// fake clouds over loopback. Each test asserts what a person sees and what the engine (or the fake
// server) did: pausing, reordering by drag, per-server pause, selecting and cancelling, batches,
// retrying a batch's failed run, a sweep's grid (and its PNG), and a batch spread over two servers.
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { startFakeCloud, type FakeCloud } from '../fake-cloud/index';
import { test, expect, signIn, type RunningHost } from './fixtures';
import { addLocalServer, BASIC, basicWith, invoke, run, shots, workflowFile, type ApiWorkflow } from './helpers';

/**
 * The basic workflow, its prompt made its own: the journal names a workflow by the first name its
 * exact content was run under, so each test job gets content of its own to keep its name.
 */
function basic(name: string): ApiWorkflow {
  const wf = JSON.parse(readFileSync(BASIC, 'utf8')) as ApiWorkflow;
  wf['6']!.inputs.text = `${name}, masterpiece best quality`;
  return wf;
}

/** What the fake server was asked to run: every POST /prompt it received. */
const prompts = (cloud: FakeCloud) =>
  cloud.requests.filter((r) => r.method === 'POST' && new URL(r.url, 'http://x').pathname.endsWith('/prompt'));

async function openQueue(app: Page): Promise<void> {
  // The button's name carries the count of active jobs ("Queue 3 active jobs").
  await app.getByRole('button', { name: /^Queue\b/ }).click();
  await expect(app.getByRole('heading', { name: 'Queue', exact: true, level: 1 })).toBeVisible();
}

/** One run of the basic workflow under this name, submitted as the form would (without its form). */
async function submit(host: RunningHost, name: string, extra: Record<string, unknown> = {}) {
  return invoke(host, 'jobs.submit', { workflow: basic(name), name, ...extra });
}

/** The held rows' names, top to bottom. */
async function heldOrder(app: Page): Promise<string[]> {
  const rows = app.getByRole('region', { name: 'Held here' }).locator('li[data-key]');
  return (await rows.evaluateAll((els) => els.map((el) => el.getAttribute('aria-label') ?? ''))).map((l) =>
    l.replace(/^Held (job|batch) /, ''),
  );
}

test('pause all holds new runs here; the order dragged is the order the server receives them', async ({
  app,
  cloud,
  host,
}) => {
  await signIn(app, cloud);
  await openQueue(app);
  await app.getByRole('button', { name: 'Pause all' }).click();
  const banner = app.getByRole('status').filter({ hasText: 'Sending is paused' });
  await expect(banner).toBeVisible();
  expect((await invoke(host, 'queue.state')).paused).toBe(true);

  const [first] = await submit(host, 'first');
  const [second] = await submit(host, 'second');
  const [third] = await submit(host, 'third');
  const held = app.getByRole('region', { name: 'Held here' });
  await expect(held.locator('li[data-key]')).toHaveCount(3);
  await expect(banner).toContainText('Sending is paused — 3 jobs held');
  await expect(held.getByRole('listitem', { name: 'Held job first' })).toContainText('Paused');
  await expect(held.getByRole('listitem', { name: 'Held job first' })).toContainText('Comfy Cloud');
  expect(await heldOrder(app)).toEqual(['first', 'second', 'third']);
  await expect(app.getByText('0 on the server (0 running, 0 waiting) · 3 held here', { exact: true })).toBeVisible();
  // Held means held: nothing reached the server.
  await app.waitForTimeout(1000);
  expect(prompts(cloud)).toHaveLength(0);
  await shots(app, 'queue-held-paused');

  // Drag the third by its handle onto the top half of the first: it goes before it.
  await held
    .getByRole('listitem', { name: 'Held job third' })
    .dragTo(held.getByRole('listitem', { name: 'Held job first' }), {
      sourcePosition: { x: 14, y: 20 },
      targetPosition: { x: 60, y: 6 },
    });
  await expect.poll(() => heldOrder(app)).toEqual(['third', 'first', 'second']);
  const outbox = await invoke(host, 'jobs.list', { states: ['outbox'] });
  expect(
    [...outbox.items].sort((a, b) => a.queueRank - b.queueRank).map((j) => j.id),
    'the engine keeps the new order',
  ).toEqual([third!.id, first!.id, second!.id]);

  await app.getByRole('button', { name: 'Resume all' }).first().click();
  await expect(banner).toBeHidden();
  await expect
    .poll(() => cloud.accepted().map((a) => a.clientJobId), { timeout: 15_000 })
    .toEqual([third!.id, first!.id, second!.id]);
  await expect(app.getByText('Completed')).toHaveCount(3, { timeout: 30_000 });
  expect((await invoke(host, 'queue.state')).paused).toBe(false);
});

test("a server's own pause shows on its chip and survives a reload", async ({ app, cloud, host }) => {
  await signIn(app, cloud);
  await openQueue(app);
  const chip = app.getByRole('list', { name: 'Servers' }).getByRole('listitem', { name: 'Comfy Cloud' });
  await expect(chip).toContainText('0 of 4 on server');
  await chip.getByRole('button', { name: 'Pause sending to Comfy Cloud' }).click();
  await expect(chip.getByText('Paused', { exact: true })).toBeVisible();

  await submit(host, 'waits for its server');
  const row = app.getByRole('region', { name: 'Held here' }).getByRole('listitem', { name: /waits for its server/ });
  await expect(row).toContainText('Server paused');
  await expect(chip).toContainText('1 held');
  // Only this server is paused, not the whole queue.
  await expect(app.getByRole('status').filter({ hasText: 'Sending is paused' })).toHaveCount(0);

  await app.reload();
  await openQueue(app);
  await expect(chip.getByText('Paused', { exact: true })).toBeVisible();
  await expect(chip.getByRole('button', { name: 'Resume sending to Comfy Cloud' })).toBeVisible();
  const state = await invoke(host, 'queue.state');
  expect(state.paused).toBe(false);
  expect(state.servers.find((s) => s.name === 'Comfy Cloud')?.paused).toBe(true);
  expect(prompts(cloud)).toHaveLength(0);
  await shots(app, 'queue-server-paused');

  await chip.getByRole('button', { name: 'Resume sending to Comfy Cloud' }).click();
  await expect(chip.getByText('Paused', { exact: true })).toHaveCount(0);
  await expect(app.getByText('Completed')).toHaveCount(1, { timeout: 30_000 });
  expect(prompts(cloud)).toHaveLength(1);
});

test('held jobs chosen with the checkboxes (Shift for a range) are cancelled together; a batch is one row', async ({
  app,
  cloud,
  host,
}) => {
  await signIn(app, cloud);
  await openQueue(app);
  await app.getByRole('button', { name: 'Pause all' }).click();
  // Paused in the engine before anything is submitted (the click's answer may come after a submit).
  await expect(app.getByRole('status').filter({ hasText: 'Sending is paused' })).toBeVisible();
  const [a] = await submit(host, 'alpha');
  const [b] = await submit(host, 'beta');
  await submit(host, 'gamma');
  await submit(host, 'six at once', { count: 6 });
  const held = app.getByRole('region', { name: 'Held here' });
  // Six runs of one batch are one row, beside the three single jobs.
  await expect(held.locator('li[data-key]')).toHaveCount(4);
  const group = held.getByRole('listitem', { name: 'Held batch six at once × 6' });
  await expect(group).toContainText('6 runs held of 6');
  await expect(app.getByRole('article', { name: 'Batch six at once × 6' })).toContainText('0 of 6 done');
  await expect(app.getByText('Sending is paused — 9 jobs held')).toBeVisible();

  await held.getByRole('checkbox', { name: 'Select alpha' }).click();
  await held.getByRole('checkbox', { name: 'Select beta' }).click({ modifiers: ['Shift'] });
  const bar = app.getByRole('toolbar', { name: 'Selected held jobs' });
  await expect(bar).toContainText('2 selected');
  await shots(app, 'queue-held-selection');
  await bar.getByRole('button', { name: 'Cancel' }).click();

  await expect(held.locator('li[data-key]')).toHaveCount(2);
  await expect(app.getByText('Cancelled')).toHaveCount(2);
  await expect(bar).toBeHidden();
  const cancelled = await invoke(host, 'jobs.list', { states: ['cancelled'] });
  expect(cancelled.items.map((j) => j.id).sort()).toEqual([a!.id, b!.id].sort());

  // Change server: one (it goes there), then two (a spread: whichever has room first).
  const { profiles } = await invoke(host, 'profiles.list');
  const localId = profiles.find((p) => p.name === 'Local ComfyUI')!.id;
  const gamma = held.getByRole('listitem', { name: 'Held job gamma' });
  await held.getByRole('checkbox', { name: 'Select gamma' }).click();
  await bar.getByRole('button', { name: 'Change server' }).click();
  const picker = bar.getByRole('dialog', { name: 'Change server' });
  await picker.getByRole('checkbox', { name: /Comfy Cloud/ }).uncheck();
  await picker.getByRole('checkbox', { name: /Local ComfyUI/ }).check();
  await picker.getByRole('button', { name: 'Send there' }).click();
  await expect(gamma).toContainText('Local ComfyUI');
  let outbox = await invoke(host, 'jobs.list', { states: ['outbox'] });
  expect(outbox.items.find((j) => j.workflowName === 'gamma')).toMatchObject({ profileId: localId, route: null });

  await bar.getByRole('button', { name: 'Change server' }).click();
  await picker.getByRole('checkbox', { name: /Comfy Cloud/ }).check();
  await picker.getByRole('button', { name: 'Spread over 2' }).click();
  await expect(gamma).toContainText('Comfy Cloud or Local ComfyUI');
  outbox = await invoke(host, 'jobs.list', { states: ['outbox'] });
  expect(new Set(outbox.items.find((j) => j.workflowName === 'gamma')!.route)).toEqual(
    new Set([localId, profiles.find((p) => p.name === 'Comfy Cloud')!.id]),
  );
  expect(prompts(cloud)).toHaveLength(0);
});

test('a batch of four is one item whose progress reaches "4 of 4 done"; its view lists its four runs', async ({
  app,
  cloud,
  host,
}) => {
  await signIn(app, cloud);
  await run(
    app,
    workflowFile(
      'four',
      basicWith(() => undefined),
    ),
    4,
  );
  const card = app.getByRole('article', { name: 'Batch four × 4' });
  await expect(card).toBeVisible();
  await expect(card).toContainText('Comfy Cloud');
  await expect(card.getByText('4 of 4 done', { exact: true })).toBeVisible({ timeout: 30_000 });
  await expect(card.getByRole('progressbar', { name: 'Progress of four × 4' })).toHaveAttribute('aria-valuenow', '100');
  await shots(app, 'queue-batch-done');

  await card.getByRole('button', { name: 'Open batch four × 4' }).click();
  const view = app.getByRole('region', { name: 'Batch four × 4' });
  await expect(view.getByRole('heading', { name: 'four × 4', level: 1 })).toBeVisible();
  const runs = view.getByRole('list', { name: 'Runs' }).getByRole('listitem');
  await expect(runs).toHaveCount(4);
  await expect(runs.getByText('Completed')).toHaveCount(4);
  await expect(runs.first()).toContainText('Comfy Cloud');
  await expect(view.getByRole('list', { name: 'Outputs of four × 4' }).getByRole('img')).toHaveCount(4);
  await shots(app, 'batch-view-count');
  const batchId = (await invoke(host, 'jobs.list', { states: ['completed'] })).items[0]!.batchId!;
  const detail = await invoke(host, 'batches.get', { id: batchId });
  expect(detail.jobs).toHaveLength(4);
  expect(detail.batch.counts.completed).toBe(4);

  // A run's details name its server and its batch.
  await runs.first().getByRole('button').click();
  const drawer = app.getByRole('dialog', { name: 'Job details: four' });
  await expect(drawer.getByRole('definition').filter({ hasText: 'Comfy Cloud' })).toBeVisible();
  await expect(drawer.getByRole('button', { name: 'Batch: four × 4' })).toBeVisible();
  await app.keyboard.press('Escape');
  await view.getByRole('button', { name: 'Back to the queue' }).click();
  await expect(app.getByRole('heading', { name: 'Queue', exact: true, level: 1 })).toBeVisible();

  // So does the gallery's viewer; its batch opens the batch view.
  await app.getByRole('button', { name: 'Gallery', exact: true }).click();
  await app.getByRole('gridcell').first().click();
  const viewer = app.getByRole('dialog', { name: /Viewer/ });
  await expect(viewer.getByRole('definition').filter({ hasText: 'Comfy Cloud' })).toBeVisible();
  await viewer.getByRole('button', { name: 'Batch: four × 4' }).click();
  await expect(app.getByRole('region', { name: 'Batch four × 4' })).toBeVisible();
  await expect(viewer).toBeHidden();
});

test('"Retry failed" runs a batch\'s failed run again, in the batch, until it is complete', async ({
  app,
  cloud,
  host,
}) => {
  await signIn(app, cloud);
  // The server refuses the first run it is sent: that run fails, the other two complete.
  cloud.fault({ method: 'POST', path: '/prompt', status: 400, times: 1 });
  await submit(host, 'flaky', { count: 3 });
  await openQueue(app);
  const card = app.getByRole('article', { name: 'Batch flaky × 3' });
  await expect(card.getByText('2 of 3 done · 1 failed', { exact: true })).toBeVisible({ timeout: 30_000 });
  await shots(app, 'queue-batch-failed');

  await card.getByRole('button', { name: 'Retry the failed runs of flaky × 3' }).click();
  await expect(card.getByText('3 of 3 done', { exact: true })).toBeVisible({ timeout: 30_000 });
  await expect(card.getByRole('button', { name: /Retry the failed runs/ })).toHaveCount(0);
  const batches = await invoke(host, 'batches.list', {});
  const batch = batches.find((x) => x.name === 'flaky × 3')!;
  expect(batch.counts).toMatchObject({ total: 3, completed: 3, failed: 0 });
  expect(cloud.acceptedCount()).toBe(3);
});

test('a sweep shows as a labelled grid of its images, and its grid saves as one PNG', async ({ app, cloud, host }) => {
  await signIn(app, cloud);
  await submit(host, 'sweep', {
    sweep: [
      { nodeId: '3', input: 'cfg', values: [4, 6] },
      { nodeId: '3', input: 'seed', values: [1, 2] },
    ],
  });
  await openQueue(app);
  const card = app.getByRole('article', { name: 'Batch sweep: cfg × seed sweep' });
  await expect(card).toContainText('Sweep · cfg (2) × seed (2)');
  await expect(card.getByText('4 of 4 done', { exact: true })).toBeVisible({ timeout: 30_000 });
  // The server ran each combination once.
  expect(
    cloud
      .accepted()
      .map((a) => `${String(a.prompt['3']!.inputs.cfg)}/${String(a.prompt['3']!.inputs.seed)}`)
      .sort(),
  ).toEqual(['4/1', '4/2', '6/1', '6/2']);

  await card.getByRole('button', { name: 'Open batch sweep: cfg × seed sweep' }).click();
  const view = app.getByRole('region', { name: 'Batch sweep: cfg × seed sweep' });
  const grid = view.getByRole('table', { name: 'Sweep grid' });
  await expect(grid.getByRole('columnheader')).toHaveText(['seed = 1', 'seed = 2']);
  await expect(grid.getByRole('rowheader')).toHaveText(['cfg = 4', 'cfg = 6']);
  const images = grid.getByRole('img');
  await expect(images).toHaveCount(4);
  await expect(grid.getByRole('img', { name: 'cfg = 6, seed = 1' })).toBeVisible();
  for (const img of await images.all()) await expect(img).toHaveJSProperty('complete', true);
  expect(await images.evaluateAll((els) => els.every((el) => (el as HTMLImageElement).naturalWidth > 0))).toBe(true);
  await shots(app, 'batch-view-sweep');

  // One click: the grid image is made and its download starts at once.
  const [saved] = await Promise.all([
    app.waitForEvent('download'),
    view.getByRole('button', { name: 'Save grid image' }).click(),
  ]);
  expect(saved.suggestedFilename()).toBe('sweep_cfg_seed_sweep_grid.png');
  const ready = view.getByRole('status', { name: 'Grid image' });
  await expect(ready).toContainText(/Grid image made \(\d+ × \d+\): downloading sweep_cfg_seed_sweep_grid\.png/);
  const link = ready.getByRole('link', { name: 'Download again' });
  await shots(app, 'batch-grid-saved');
  await expect(link).toHaveAttribute('download', 'sweep_cfg_seed_sweep_grid.png');
  const [, width, height] = /\((\d+) × (\d+)\)/.exec((await ready.textContent()) ?? '')!;
  const href = (await link.getAttribute('href'))!;
  const png = await app.evaluate(async (url) => {
    const res = await fetch(url);
    const bytes = new Uint8Array(await res.arrayBuffer());
    const view = new DataView(bytes.buffer);
    return {
      status: res.status,
      type: res.headers.get('content-type'),
      head: [...bytes.slice(0, 8)],
      size: bytes.length,
      width: view.getUint32(16),
      height: view.getUint32(20),
    };
  }, href);
  expect(png.status).toBe(200);
  expect(png.type).toBe('image/png');
  expect(png.head).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  expect(png.size).toBeGreaterThan(10_000);
  expect([png.width, png.height]).toEqual([Number(width), Number(height)]);
  // Two columns of cells beside the row labels, two rows under the column labels.
  expect(png.width).toBeGreaterThan(png.height);
});

test('a batch spread over two servers runs on both, and the queue names both', async ({ app, cloud, host }) => {
  test.setTimeout(120_000);
  const local = await startFakeCloud({
    mode: 'local',
    stepMs: 60,
    steps: 6,
    models: ['v1-5-pruned-emaonly.safetensors'],
  });
  try {
    await signIn(app, cloud);
    await addLocalServer(app, local);
    const { profiles } = await invoke(host, 'profiles.list');
    const cloudId = profiles.find((p) => p.kind === 'cloud')!.id;
    const localId = profiles.find((p) => p.name === 'Studio PC')!.id;

    await openQueue(app);
    await app.getByRole('button', { name: 'Pause all' }).click();
    await expect(app.getByRole('status').filter({ hasText: 'Sending is paused' })).toBeVisible();
    await submit(host, 'spread', { profileId: cloudId, profileIds: [localId], count: 6 });
    const group = app
      .getByRole('region', { name: 'Held here' })
      .getByRole('listitem', { name: 'Held batch spread × 6' });
    await expect(group).toContainText('Comfy Cloud or Studio PC');
    await expect(app.getByText('6 jobs spread over several servers')).toBeVisible();
    const servers = app.getByRole('list', { name: 'Servers' });
    await expect(servers.getByRole('listitem', { name: 'Comfy Cloud' })).toContainText('0 of 4 on server');
    await expect(servers.getByRole('listitem', { name: 'Studio PC' })).toContainText('0 of 2 on server');
    await shots(app, 'queue-spread-held');

    await app.getByRole('button', { name: 'Resume all' }).first().click();
    const card = app.getByRole('article', { name: 'Batch spread × 6' });
    await expect(card).toContainText('Comfy Cloud and Studio PC');
    await expect(card.getByText('6 of 6 done', { exact: true })).toBeVisible({ timeout: 60_000 });
    expect(cloud.acceptedCount(), 'Comfy Cloud ran some').toBeGreaterThan(0);
    expect(local.acceptedCount(), 'Studio PC ran some').toBeGreaterThan(0);
    expect(cloud.acceptedCount() + local.acceptedCount()).toBe(6);

    // Each finished row says where it ran: both servers appear.
    const finished = app.getByRole('region', { name: 'Finished' });
    await expect(finished.getByText('Studio PC')).toHaveCount(local.acceptedCount());
    await expect(finished.getByText('Comfy Cloud')).toHaveCount(cloud.acceptedCount());
    const done = await invoke(host, 'jobs.list', { states: ['completed'] });
    expect(new Set(done.items.map((j) => j.profileId))).toEqual(new Set([cloudId, localId]));
    await shots(app, 'queue-spread-done');
  } finally {
    await local.close();
  }
});

test('a 1,000-run sweep arriving at once is one row; a long held list is capped; the window stays responsive', async ({
  app,
  cloud,
  host,
}) => {
  test.setTimeout(180_000);
  await signIn(app, cloud);
  await openQueue(app);
  await app.getByRole('button', { name: 'Pause all' }).click();
  await expect(app.getByRole('status').filter({ hasText: 'Sending is paused' })).toBeVisible();
  // The longest the main thread is busy at once, while a thousand job.changed events arrive.
  await app.evaluate(() => {
    const w = window as unknown as { longestTask: number };
    w.longestTask = 0;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) w.longestTask = Math.max(w.longestTask, entry.duration);
    }).observe({ type: 'longtask' });
  });
  const seeds = Array.from({ length: 1000 }, (_, i) => i + 1);
  const started = Date.now();
  await submit(host, 'big', { sweep: [{ nodeId: '3', input: 'seed', values: seeds }] });
  const held = app.getByRole('region', { name: 'Held here' });
  await expect(held.getByRole('listitem', { name: 'Held batch big: seed sweep' })).toContainText(
    '1000 runs held of 1000',
    {
      timeout: 30_000,
    },
  );
  const shownInMs = Date.now() - started;
  await expect(held.locator('li[data-key]')).toHaveCount(1);
  const longestTask = await app.evaluate(() => (window as unknown as { longestTask: number }).longestTask);
  console.log(
    `QUEUE 1000-run sweep: on screen in ${shownInMs} ms; longest main-thread task ${Math.round(longestTask)} ms`,
  );
  expect(longestTask, 'no long freeze while 1,000 jobs arrive').toBeLessThan(2000);

  // 230 single jobs more: 200 rows are drawn (the batch is one), the rest are counted.
  for (let i = 0; i < 230; i++) await submit(host, `single ${i}`);
  await expect(held.getByText('and 31 more held jobs, after these')).toBeVisible({ timeout: 30_000 });
  await expect(held.locator('li[data-key]')).toHaveCount(200);
  await expect(app.getByText('0 on the server (0 running, 0 waiting) · 1230 held here', { exact: true })).toBeVisible();
  // Still quick to act on: a held job moves to the front at once.
  await held.getByRole('button', { name: 'Actions for single 150' }).click();
  await held.getByRole('menuitem', { name: 'Move to front' }).click();
  await expect(held.locator('li[data-key]').first()).toHaveAttribute('aria-label', 'Held job single 150');
  expect(prompts(cloud)).toHaveLength(0);
});
