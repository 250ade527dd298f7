// The second day of the user trial, pinned by what a person sees: the viewer fits portrait images
// and pans when larger than its stage; a sweep's grid shows the saved outputs, not the previews;
// counts agree with what they open; the tag filter takes its own suggestion; "several servers"
// ticks only the ones able to run; comparing two different workflows says so, in words; identical
// cached runs show their file once; a painted mask keeps its image's name; the viewer's inputs are
// the form's. In Debian's Chromium through the headless host, against the fake server in local mode.
import type { Locator, Page } from '@playwright/test';
import sharp from 'sharp';
import { test, expect } from './fixtures';
import {
  addLocalServer,
  gallery,
  invoke,
  loadInvertSave,
  openWorkflow,
  shots,
  storedOutputs,
  workflowFile,
  type ApiWorkflow,
} from './helpers';

test.use({ cloudOptions: { mode: 'local', stepMs: 20, steps: 2 } });

async function png(width: number, height: number, colour = { r: 60, g: 150, b: 110 }): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: colour } })
    .png()
    .toBuffer();
}

/** Every output in the gallery (previews too), once `count` of them are stored. */
async function allStored(host: Parameters<typeof invoke>[0], count: number) {
  let items: Awaited<ReturnType<typeof invoke<'gallery.page'>>>['items'] = [];
  await expect
    .poll(
      async () => {
        items = (await invoke(host, 'gallery.page', { limit: 100 })).items;
        return items.filter((i) => i.state === 'stored' && i.hash).length;
      },
      { timeout: 30_000 },
    )
    .toBe(count);
  return items;
}

/** Opens the gallery afresh (it reads its first page again) and waits for `count` tiles. */
async function freshGallery(app: Page, count: number): Promise<void> {
  await app.getByRole('button', { name: 'Workflows', exact: true }).click();
  await gallery(app);
  await expect(app.getByText(`${count} ${count === 1 ? 'item' : 'items'}`, { exact: true })).toBeVisible();
  await expect(app.getByRole('gridcell')).toHaveCount(count);
}

/** The whole of `inner` is inside `outer` (once a zoom's short transition has ended). */
async function within(inner: Locator, outer: Locator): Promise<void> {
  await expect(async () => {
    const a = (await inner.boundingBox())!;
    const b = (await outer.boundingBox())!;
    expect(a.x, 'left edge inside').toBeGreaterThanOrEqual(b.x - 1);
    expect(a.y, 'top edge inside').toBeGreaterThanOrEqual(b.y - 1);
    expect(a.x + a.width, 'right edge inside').toBeLessThanOrEqual(b.x + b.width + 1);
    expect(a.y + a.height, 'bottom edge inside').toBeLessThanOrEqual(b.y + b.height + 1);
  }).toPass({ timeout: 3000 });
}

const percent = async (zoom: Locator): Promise<number> => Number((await zoom.textContent())!.replace('%', ''));

test('1. the viewer fits portrait images in both dimensions, zooms out below fit, and pans when larger than its stage', async ({
  app,
  cloud,
  host,
}) => {
  await addLocalServer(app, cloud);
  cloud.outputFile({ bytes: await png(832, 1216), ext: 'png' });
  await invoke(host, 'jobs.submit', { workflow: loadInvertSave(832, 1216), name: 'portrait' });
  await storedOutputs(host, 1);
  cloud.outputFile({ bytes: await png(128, 192, { r: 200, g: 120, b: 40 }), ext: 'png' });
  await invoke(host, 'jobs.submit', { workflow: loadInvertSave(128, 192), name: 'tiny' });
  await storedOutputs(host, 2);

  await freshGallery(app, 2);
  await app.getByRole('gridcell').nth(1).click(); // the older one: the 832×1216 portrait
  const viewer = app.getByRole('dialog', { name: /^Viewer/ });
  const stage = viewer.locator('.stage');
  const image = stage.locator('img').first();
  await expect(image).toHaveJSProperty('naturalHeight', 1216);
  const zoom = viewer.getByRole('status', { name: 'Zoom' });
  await expect(zoom).toBeVisible();
  await within(image, stage);
  const fit = await percent(zoom);
  const stageBox = (await stage.boundingBox())!;
  // Fitted: the whole height on screen, at the scale the label says.
  expect(fit).toBeLessThanOrEqual(Math.ceil((stageBox.height / 1216) * 100));
  expect(Math.abs((await image.boundingBox())!.height - 1216 * (fit / 100))).toBeLessThan(1216 * 0.006 + 2);
  await shots(app, 'viewer-portrait-fit');

  // Below fit, and back.
  await app.keyboard.press('-');
  await expect.poll(() => percent(zoom)).toBeLessThan(fit);
  await within(image, stage);
  await app.keyboard.press('0');
  await expect.poll(() => percent(zoom)).toBe(fit);

  // Larger than the stage: it pans.
  await app.keyboard.press('+');
  await app.keyboard.press('+');
  await expect.poll(() => percent(zoom)).toBeGreaterThan(fit);
  // The zoom eases in: the place to drag from is where the image settles, not a frame of the easing.
  const before = await settledBox(image);
  await app.mouse.move(stageBox.x + stageBox.width / 2, stageBox.y + stageBox.height / 2);
  await app.mouse.down();
  await app.mouse.move(stageBox.x + stageBox.width / 2 + 30, stageBox.y + stageBox.height / 2 + 120, { steps: 6 });
  await app.mouse.up();
  await expect.poll(async () => (await image.boundingBox())!.y).toBeGreaterThan(before.y + 40);

  // A small portrait is fitted the same way (scaled up, whole).
  await app.keyboard.press('ArrowLeft');
  await expect(image).toHaveJSProperty('naturalHeight', 192);
  await expect.poll(() => percent(zoom)).toBeGreaterThan(100);
  await within(image, stage);
  await shots(app, 'viewer-small-fit');
});

test('2. a sweep with a PreviewImage and a SaveImage: the grid, its image and the run thumbnails are the saved outputs', async ({
  app,
  cloud,
  host,
}) => {
  await addLocalServer(app, cloud);
  const workflow: ApiWorkflow = {
    '1': { class_type: 'EmptyImage', inputs: { width: 256, height: 256, batch_size: 1, color: 0 } },
    '2': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } },
    '3': { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
    '4': { class_type: 'SaveImage', inputs: { images: ['3', 0], filename_prefix: 'saved' } },
  };
  const [first] = await invoke(host, 'jobs.submit', {
    workflow,
    name: 'preview-and-save',
    sweep: [{ nodeId: '1', input: 'color', values: [0, 16746496] }],
  });
  const items = await allStored(host, 4);
  const saved = new Set(items.filter((i) => i.type !== 'temp').map((i) => i.hash));
  expect(saved.size).toBe(2);

  const detail = await invoke(host, 'batches.get', { id: first!.batchId! });
  expect(detail.cells).toHaveLength(2);
  for (const cell of detail.cells) expect(saved.has(cell.hash!), `cell ${cell.row} shows the saved output`).toBe(true);
  for (const job of detail.jobs) expect(saved.has(job.coverHash!), 'the run thumbnail is the saved output').toBe(true);
  expect(saved.has(detail.batch.coverHash!)).toBe(true);

  // On screen: the grid's cells are the saved images.
  await app
    .getByRole('navigation')
    .getByRole('button', { name: /^Queue/ })
    .click();
  await app.getByRole('button', { name: `Open batch ${detail.batch.name}` }).click();
  const cells = app.locator('img[src*="/media/"]');
  await expect(cells.first()).toBeVisible();
  const shown = await cells.evaluateAll((els) => els.map((e) => (e as HTMLImageElement).src));
  const previews = items.filter((i) => i.type === 'temp').map((i) => i.hash!);
  expect(
    shown.some((src) => previews.some((h) => src.includes(h))),
    'no preview on the batch view',
  ).toBe(false);
  expect(shown.some((src) => [...saved].some((h) => src.includes(h!)))).toBe(true);
});

test.describe('with a job that runs a while', () => {
  test.use({ cloudOptions: { mode: 'local', stepMs: 700, steps: 3 } });

  test('3a. the queue header and the server chip count the same jobs, and the chip follows a job that ends', async ({
    app,
    cloud,
    host,
  }) => {
    test.setTimeout(90_000);
    await addLocalServer(app, cloud);
    // Three nodes of 0.7 s each: running for about two seconds.
    await invoke(host, 'jobs.submit', { workflow: loadInvertSave(64, 64), name: 'runs-a-while' });
    await app
      .getByRole('navigation')
      .getByRole('button', { name: /^Queue/ })
      .click();
    await expect(app.getByRole('article', { name: 'Running job runs-a-while' })).toBeVisible();
    const chip = app.getByRole('list', { name: 'Servers' }).getByRole('listitem', { name: 'Studio PC' });
    const header = app.locator('.head p');
    // One job, running on Studio PC: "1 on the server" in both.
    await expect(chip).toContainText('1 of 2 on server');
    await expect(header).toContainText('1 on the server');
    await shots(app, 'queue-header-running');
    await expect(app.getByRole('region', { name: 'Finished' })).toContainText('runs-a-while', { timeout: 30_000 });
    // The chip follows at once, not seconds later.
    await expect(chip).toContainText('0 of 2 on server', { timeout: 800 });
    await expect(header).toContainText('0 on the server', { timeout: 800 });
  });
});

test('3b. the workflow filter counts what it shows', async ({ app, cloud, host }) => {
  await addLocalServer(app, cloud);
  const workflow: ApiWorkflow = {
    '1': { class_type: 'EmptyImage', inputs: { width: 64, height: 64, batch_size: 1, color: 0 } },
    '2': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } },
    '3': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'kept' } },
  };
  await invoke(host, 'jobs.submit', { workflow, name: 'counted' });
  await allStored(host, 2);
  await freshGallery(app, 1);
  const select = app.getByRole('combobox', { name: 'Workflow' });
  await select.focus();
  const option = select.locator('option', { hasText: 'counted' });
  await expect(option).toHaveCount(1);
  const count = Number(/\((\d+)\)/.exec((await option.textContent())!)![1]);
  await select.selectOption('counted');
  await expect(app.getByRole('gridcell')).toHaveCount(count);
});

test('4. the tag filter takes the suggestion it shows on Enter', async ({ app, cloud, host }) => {
  await addLocalServer(app, cloud);
  await invoke(host, 'jobs.submit', { workflow: loadInvertSave(64, 64, true), name: 'tagged' });
  const items = await storedOutputs(host, 2);
  await invoke(host, 'outputs.tag', { ids: items.map((i) => i.id), add: ['keeper'] });
  await freshGallery(app, 2);
  const filter = app.getByRole('combobox', { name: 'Filter by tag' });
  await filter.fill('keep');
  await expect(app.getByRole('option', { name: /keeper/ })).toBeVisible();
  await shots(app, 'tag-filter-suggestion');
  await filter.press('Enter');
  await expect(app.getByRole('button', { name: 'Remove filter: tag keeper' })).toBeVisible();
  await expect(app.getByText('2 items', { exact: true })).toBeVisible();
  await expect(app.getByRole('button', { name: 'Remove filter: tag keep', exact: true })).toHaveCount(0);
});

test('5. "several servers" ticks only the servers online and able, and the batch names where its runs went', async ({
  app,
  cloud,
  host,
}) => {
  await addLocalServer(app, cloud);
  await openWorkflow(app, workflowFile('spread-me', loadInvertSave(64, 64)));
  const runBar = app.getByRole('region', { name: /^Run spread-me/ });
  await runBar.getByRole('radio', { name: 'Several servers' }).check({ force: true });
  const servers = runBar.getByRole('group', { name: 'Servers to run on' });
  await expect(servers.getByRole('checkbox', { name: /Studio PC/ })).toBeChecked();
  // Comfy Cloud has no key; the default local server is not running.
  await expect(servers.getByRole('checkbox', { name: /Comfy Cloud/ })).not.toBeChecked();
  await expect(servers.getByRole('checkbox', { name: /Local ComfyUI/ })).not.toBeChecked();
  await shots(app, 'several-servers');
  // A batch that may go to the default local server too (not running): all its runs went to Studio PC,
  // and the card names only where they went.
  const { profiles } = await invoke(host, 'profiles.list');
  const id = (name: string) => profiles.find((p) => p.name === name)!.id;
  await invoke(host, 'jobs.submit', {
    workflow: loadInvertSave(64, 64),
    name: 'spread-me',
    profileId: id('Studio PC'),
    profileIds: [id('Local ComfyUI')],
    count: 2,
  });
  await app
    .getByRole('navigation')
    .getByRole('button', { name: /^Queue/ })
    .click();
  const card = app.getByRole('article', { name: /^Batch spread-me/ });
  await expect(card.getByText('2 of 2 done', { exact: true })).toBeVisible({ timeout: 30_000 });
  await expect(card).toContainText('Studio PC');
  await expect(card).not.toContainText('Local ComfyUI');
  await shots(app, 'batch-ran-on');
});

test('6. comparing outputs of two different workflows says so and compares what matches, in words', async ({
  app,
  cloud,
  host,
}) => {
  await addLocalServer(app, cloud);
  await invoke(host, 'jobs.submit', { workflow: loadInvertSave(64, 64), name: 'inverted' });
  await storedOutputs(host, 1);
  const plain: ApiWorkflow = {
    '1': { class_type: 'SaveImage', inputs: { images: ['5', 0], filename_prefix: 'plain' } },
    '5': { class_type: 'EmptyImage', inputs: { width: 64, height: 64, batch_size: 1, color: 16746496 } },
  };
  await invoke(host, 'jobs.submit', { workflow: plain, name: 'plain' });
  await storedOutputs(host, 2);
  await freshGallery(app, 2);
  const tiles = app.getByRole('gridcell');
  await tiles.nth(0).click({ modifiers: ['Control'] });
  await tiles.nth(1).click({ modifiers: ['Control'] });
  await app.getByRole('toolbar', { name: 'Selection' }).getByRole('button', { name: 'Compare' }).click();
  const changes = app.getByRole('region', { name: 'What was different' });
  await expect(changes).toContainText('different workflows');
  await expect(changes).not.toContainText(/node \d+ is/);
  await expect(changes).not.toContainText(/type changed/i);
  // Matched by class: the colour of the empty image, and the file name prefix.
  await expect(changes.getByRole('row').filter({ hasText: 'color' })).toHaveCount(1);
  await expect(changes.getByRole('row').filter({ hasText: 'filename_prefix' })).toHaveCount(1);
  // What only one of them has, said as such.
  await expect(changes).toContainText(/Only in (A|B)/);
  await shots(app, 'compare-different-workflows');
});

test('7. identical runs answered from the cache show their file once in the gallery', async ({ app, cloud, host }) => {
  await addLocalServer(app, cloud);
  cloud.outputFile({ bytes: await png(64, 64), ext: 'png' });
  await invoke(host, 'jobs.submit', { workflow: loadInvertSave(64, 64), name: 'same-again', count: 4 });
  await expect.poll(async () => (await invoke(host, 'jobs.list', { states: ['completed'] })).items.length).toBe(4);
  await expect
    .poll(async () => {
      const jobs = (await invoke(host, 'jobs.list', {})).items;
      return jobs.every((j) => j.coverHash !== null);
    })
    .toBe(true);
  await freshGallery(app, 1);
  // Each run still shows what it made.
  const jobs = (await invoke(host, 'jobs.list', {})).items;
  for (const job of jobs) expect((await invoke(host, 'jobs.get', { id: job.id })).outputs).toHaveLength(1);
});

test('8. a painted mask keeps the name of its image, in what is uploaded, journaled and searched', async ({
  app,
  cloud,
  host,
}) => {
  await addLocalServer(app, cloud);
  const path = test.info().outputPath('my_photo.png');
  await sharp({ create: { width: 96, height: 64, channels: 3, background: { r: 40, g: 120, b: 200 } } })
    .png()
    .toFile(path);
  const workflow: ApiWorkflow = {
    '10': { class_type: 'LoadImage', inputs: { image: 'example.png', upload: 'image' } },
    '11': { class_type: 'ImageInvert', inputs: { image: ['10', 0] } },
    '12': { class_type: 'SaveImage', inputs: { images: ['11', 0], filename_prefix: 'masked' } },
  };
  await app.getByRole('button', { name: 'Workflows', exact: true }).click();
  await app.getByLabel('Workflow file', { exact: true }).setInputFiles(workflowFile('masked-photo', workflow));
  const input = app.getByRole('region', { name: /Image for image \(node 10\)/ });
  await input.locator('input[type=file]').first().setInputFiles(path);
  await expect(app.getByText('Uploaded.')).toBeVisible();
  await input.getByRole('button', { name: 'Paint mask…' }).click();
  const painter = app.getByRole('dialog', { name: 'Mask painter' });
  const canvas = painter.getByLabel('Image to paint the mask on');
  const box = (await canvas.boundingBox())!;
  await app.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.5);
  await app.mouse.down();
  await app.mouse.move(box.x + box.width * 0.7, box.y + box.height * 0.5, { steps: 8 });
  await app.mouse.up();
  await painter.getByRole('button', { name: 'Use mask' }).click();
  await expect(app.getByText('Mask uploaded: the painted area will change.')).toBeVisible();
  expect(cloud.masks).toHaveLength(1);
  expect(cloud.masks[0]!.name).toContain('my_photo');
  await app.getByRole('button', { name: 'Run', exact: true }).click();
  await storedOutputs(host, 1);
  const [job] = (await invoke(host, 'jobs.list', {})).items;
  const detail = await invoke(host, 'jobs.get', { id: job!.id });
  expect(String((detail.prompt['10'] as { inputs: { image: string } }).inputs.image)).toContain('my_photo');
  const found = await invoke(host, 'gallery.page', { search: 'my_photo', limit: 10 });
  expect(found.items).toHaveLength(1);
});

test('9. the viewer lists every input the form shows, as the form shows it', async ({ app, cloud, host }) => {
  await addLocalServer(app, cloud);
  const workflow: ApiWorkflow = {
    '1': { class_type: 'EmptyImage', inputs: { width: 96, height: 64, batch_size: 1, color: 16746496 } },
    '5': {
      class_type: 'ImageScale',
      inputs: { image: ['1', 0], upscale_method: 'nearest-exact', width: 64, height: 64, crop: 'disabled' },
    },
    '2': { class_type: 'ImageInvert', inputs: { image: ['5', 0] } },
    '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'inverted' } },
  };
  await invoke(host, 'jobs.submit', { workflow, name: 'scaled' });
  await storedOutputs(host, 1);
  await freshGallery(app, 1);
  await app.getByRole('gridcell').first().click();
  const viewer = app.getByRole('dialog', { name: /^Viewer/ });
  const inputs = viewer.getByRole('region', { name: 'Inputs' });
  await expect(inputs).toBeVisible();
  const row = (name: string) => inputs.getByRole('row').filter({ has: app.getByRole('cell', { name, exact: true }) });
  await expect(row('color')).toContainText('#FF8800');
  await expect(row('color')).not.toContainText('16746496');
  await expect(row('upscale_method')).toContainText('nearest-exact');
  await expect(row('crop')).toContainText('disabled');
  await expect(row('filename_prefix')).toContainText('inverted');
  await expect(row('width')).toHaveCount(2);
  await inputs.scrollIntoViewIfNeeded();
  await shots(app, 'viewer-inputs');
});

test('rough edges: sweep rows say their values, Finished is newest first, a finished batch can be put away; at 1400 and 900 px', async ({
  app,
  cloud,
  host,
}) => {
  test.setTimeout(90_000);
  await addLocalServer(app, cloud);
  const workflow: ApiWorkflow = {
    '1': { class_type: 'EmptyImage', inputs: { width: 256, height: 384, batch_size: 1, color: 0 } },
    '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'swept' } },
  };
  const [first] = await invoke(host, 'jobs.submit', {
    workflow,
    name: 'swept',
    sweep: [{ nodeId: '1', input: 'color', values: [0, 255, 65280] }],
  });
  await storedOutputs(host, 3);
  await app
    .getByRole('navigation')
    .getByRole('button', { name: /^Queue/ })
    .click();
  const finished = app.getByRole('region', { name: 'Finished' });
  await expect(finished.getByText('color = 65280')).toBeVisible();
  const ends = (await invoke(host, 'jobs.list', {})).items
    .sort((a, b) => b.finishedAt! - a.finishedAt!)
    .map((j) => String(j.sweep));
  const rows = await finished.locator('.point').allTextContents();
  const values = [0, 255, 65280];
  expect(rows).toEqual(ends.map((i) => `color = ${values[Number(i)]}`));
  for (const width of [1400, 900]) {
    await app.setViewportSize({ width, height: 860 });
    await shots(app, `queue-${width}`);
  }
  const batch = app.getByRole('article', { name: /^Batch swept/ });
  await batch.getByRole('button', { name: /^Dismiss batch/ }).click();
  await expect(batch).toHaveCount(0);
  await expect(finished.getByText('color = 0', { exact: true })).toBeVisible();
  void first;

  // The viewer and compare at both widths.
  await freshGallery(app, 3);
  await app.getByRole('gridcell').first().click();
  for (const width of [1400, 900]) {
    await app.setViewportSize({ width, height: 860 });
    await shots(app, `viewer-${width}`);
  }
  await app.keyboard.press('Escape');
  const tiles = app.getByRole('gridcell');
  await tiles.nth(0).click({ modifiers: ['Control'] });
  await tiles.nth(1).click({ modifiers: ['Control'] });
  await app.getByRole('toolbar', { name: 'Selection' }).getByRole('button', { name: 'Compare' }).click();
  await expect(app.getByRole('status', { name: 'Zoom level' })).toHaveText(/^Fit · \d+%$/);
  await shots(app, 'compare-900');
});

/** The element's box once two reads a frame apart agree (a transition has ended). */
async function settledBox(element: Locator): Promise<{ x: number; y: number; width: number; height: number }> {
  let last = (await element.boundingBox())!;
  for (let i = 0; i < 60; i++) {
    await element.page().waitForTimeout(50);
    const now = (await element.boundingBox())!;
    if (now.x === last.x && now.y === last.y && now.width === last.width && now.height === last.height) return now;
    last = now;
  }
  return last;
}
