// "A gallery that knows how each image was made", pinned by what a person sees: compare outputs
// and run again with what differed; rate, tag, file into albums and smart albums; find look-alikes;
// play a video with seeking; walk from an output to what it was made from; export. In Debian's
// Chromium through the headless host, against the fake cloud.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import sharp from 'sharp';
import { makeAudio, makeVideo } from '../unit/store/media-files';
import { test, expect, signIn } from './fixtures';
import { FIXTURES, gallery, invoke, shots, storedOutputs, submitBasic } from './helpers';

/** The seed each output's job ran with (the basic workflow's KSampler is node 3). */
async function seedOf(host: Parameters<typeof invoke>[0], jobId: string): Promise<number> {
  const detail = await invoke(host, 'jobs.get', { id: jobId });
  return (detail.prompt['3'] as { inputs: { seed: number } }).inputs.seed;
}

/**
 * Opens the gallery afresh (it reads its first page again) and waits for its `count` tiles: until
 * then it may still show the tiles it had.
 */
async function freshGallery(app: Page, count: number): Promise<void> {
  await app.getByRole('button', { name: 'Workflows', exact: true }).click();
  await gallery(app);
  await expect(app.getByText(`${count} ${count === 1 ? 'item' : 'items'}`, { exact: true })).toBeVisible();
  await expect(app.getByRole('gridcell')).toHaveCount(count);
}

test('compare two outputs: what differed, where the pixels differ, and a run with the other value', async ({
  app,
  cloud,
  host,
}) => {
  test.setTimeout(90_000);
  await signIn(app, cloud);
  await submitBasic(host, 2);
  const [newer, older] = await storedOutputs(host, 2);
  const seedA = await seedOf(host, newer!.jobId);
  const seedB = await seedOf(host, older!.jobId);
  expect(seedA).not.toBe(seedB);

  await freshGallery(app, 2);
  const tiles = app.getByRole('gridcell');
  await expect(tiles).toHaveCount(2);
  await tiles.nth(0).click({ modifiers: ['Control'] });
  await tiles.nth(1).click({ modifiers: ['Control'] });
  await app.getByRole('toolbar', { name: 'Selection' }).getByRole('button', { name: 'Compare' }).click();
  const compare = app.getByRole('dialog', { name: 'Compare outputs' });
  await expect(compare).toBeVisible();

  // What was different: the seed, with both values, A's first.
  const changes = compare.getByRole('region', { name: 'What was different' });
  const seedRow = changes.getByRole('row').filter({ hasText: 'seed' });
  await expect(seedRow).toHaveCount(1);
  await expect(seedRow.getByRole('cell')).toContainText(['KSampler', 'seed', String(seedA), String(seedB)]);

  // Side by side, zoom and pan in step: the wheel on A zooms B too.
  const images = compare.getByRole('img');
  await expect(images).toHaveCount(2);
  await expect(images.first()).toHaveJSProperty('complete', true);
  const frames = compare.locator('.frame');
  await frames.first().hover();
  await app.mouse.wheel(0, -300);
  await expect(compare.getByRole('status', { name: 'Zoom level' })).not.toHaveText('100%');
  const transforms = await images.evaluateAll((els) => els.map((el) => (el as HTMLElement).style.transform));
  expect(transforms[0]).toMatch(/scale\(1\.[0-9]+\)/);
  expect(transforms[1]).toBe(transforms[0]);
  const box = (await frames.first().boundingBox())!;
  await app.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await app.mouse.down();
  await app.mouse.move(box.x + box.width / 2 + 40, box.y + box.height / 2 + 20, { steps: 4 });
  await app.mouse.up();
  const panned = await images.evaluateAll((els) => els.map((el) => (el as HTMLElement).style.transform));
  expect(panned[0]).not.toBe(transforms[0]);
  expect(panned[1]).toBe(panned[0]);
  await shots(app, 'compare-side-by-side');

  // The slider between the two.
  await compare.getByRole('button', { name: 'Slider' }).click();
  await compare.getByRole('slider', { name: 'Slider position' }).fill('30');
  await expect(compare.locator('.clip')).toHaveCSS('clip-path', 'inset(0px 0px 0px 30%)');
  await compare.getByRole('button', { name: 'Fit' }).click();
  await shots(app, 'compare-slider');

  // The difference: worked out in a worker, a share that is not nothing.
  await compare.getByRole('button', { name: 'Difference' }).click();
  const share = compare.getByRole('status', { name: 'Pixels that differ' });
  await expect(share).toHaveText(/^(<0\.01|\d+(\.\d+)?)% of pixels differ$/, { timeout: 20_000 });
  await expect(share).not.toHaveText(/^0% /);
  const drawn = await compare.locator('canvas').evaluate((c: HTMLCanvasElement) => [
    c.width,
    c.height,
    c
      .getContext('2d')!
      .getImageData(0, 0, c.width, c.height)
      .data.some((v, i) => i % 4 === 3 && v > 0),
  ]);
  expect(drawn).toEqual([newer!.width, newer!.height, true]);
  await shots(app, 'compare-difference');

  // Run A's workflow with B's seed: one new job, with that seed.
  const before = (await invoke(host, 'jobs.list', {})).items.map((j) => j.id);
  await seedRow.getByRole('button', { name: 'Run with this value' }).click();
  await expect(changes.getByRole('status')).toContainText(`seed = ${seedB}`);
  let jobs = (await invoke(host, 'jobs.list', {})).items;
  expect(jobs).toHaveLength(3);
  const rerun = jobs.find((j) => !before.includes(j.id))!;
  expect(await seedOf(host, rerun.id)).toBe(seedB);
  expect(rerun.workflowName).toBe(newer!.workflowName);

  // Sweep these values: one submission, a batch of one run per value.
  await seedRow.getByRole('button', { name: 'Sweep these values' }).click();
  await expect(changes.getByRole('status')).toContainText('(2 runs)');
  jobs = (await invoke(host, 'jobs.list', {})).items;
  expect(jobs).toHaveLength(5);
  const swept = jobs.filter((j) => !before.includes(j.id) && j.id !== rerun.id);
  expect(new Set(swept.map((j) => j.batchId)).size).toBe(1);
  expect((await Promise.all(swept.map((j) => seedOf(host, j.id)))).sort()).toEqual([seedA, seedB].sort());
  const batch = await invoke(host, 'batches.get', { id: swept[0]!.batchId! });
  expect(batch.batch.kind).toBe('sweep');

  await app.keyboard.press('Escape');
  await expect(compare).toBeHidden();
});

test('rate, tag, file into albums; filter chips narrow the grid; a smart album follows a new rating', async ({
  app,
  cloud,
  host,
}) => {
  test.setTimeout(90_000);
  await signIn(app, cloud);
  await submitBasic(host, 3);
  await storedOutputs(host, 3);
  await freshGallery(app, 3);
  const tiles = app.getByRole('gridcell');
  await expect(tiles).toHaveCount(3);

  // The keyboard rates a selection: 4.
  await tiles.nth(0).click({ modifiers: ['Control'] });
  await app.keyboard.press('4');
  await expect(tiles.nth(0)).toHaveAccessibleName(/rated 4 of 5/);
  await app.keyboard.press('Escape');
  await expect(app.getByRole('toolbar', { name: 'Selection' })).toBeHidden();

  // In the viewer: 2 stars, and two tags.
  await tiles.nth(1).click();
  const viewer = app.getByRole('dialog', { name: /Viewer/ });
  await viewer.getByRole('group', { name: 'Rating' }).getByRole('button', { name: '2 stars' }).click();
  await expect(viewer.getByRole('group', { name: 'Rating' }).getByRole('button', { name: '2 stars' })).toHaveAttribute(
    'aria-pressed',
    'true',
  );
  const addTag = viewer.getByRole('combobox', { name: 'Add a tag' });
  // Typed faster than the suggestions come (in one task): each Enter keeps the tag it ended.
  await addTag.evaluate((input: HTMLInputElement) => {
    for (const tag of ['sunset', 'keeper']) {
      input.value = tag;
      input.dispatchEvent(new Event('input', { bubbles: true }));
      input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
    }
  });
  await expect(viewer.getByRole('button', { name: 'Remove tag sunset' })).toBeVisible();
  await expect(viewer.getByRole('button', { name: 'Remove tag keeper' })).toBeVisible();
  await expect(addTag).toHaveValue('');
  // The keys rate here too: 3, then 0 clears, then 2 again.
  await viewer.getByRole('heading').first().click();
  await app.keyboard.press('3');
  await expect(viewer.getByRole('button', { name: '3 stars' })).toHaveAttribute('aria-pressed', 'true');
  await app.keyboard.press('0');
  await expect(viewer.getByRole('button', { name: 'Clear rating' })).toHaveCount(0);
  await app.keyboard.press('2');
  await expect(viewer.getByRole('button', { name: '2 stars' })).toHaveAttribute('aria-pressed', 'true');
  await shots(app, 'lightbox-organized');
  await app.keyboard.press('Escape');

  // A tag for the selection, picked from the suggestions (the most used tags, as typed).
  await tiles.nth(2).click({ modifiers: ['Control'] });
  const selection = app.getByRole('toolbar', { name: 'Selection' });
  await selection.getByRole('button', { name: 'Tags…' }).click();
  const bulkTag = app.getByRole('combobox', { name: 'Add a tag to the selection' });
  await bulkTag.fill('sun');
  const suggestion = app.getByRole('listbox', { name: 'Tags in use' }).getByRole('option', { name: /sunset/ });
  await expect(suggestion).toBeVisible();
  await shots(app, 'selection-tag-suggestions');
  await bulkTag.press('ArrowDown');
  await bulkTag.press('Enter');
  await expect(
    app.getByRole('dialog', { name: 'Tags of the selection' }).getByRole('button', { name: 'Remove tag sunset' }),
  ).toBeVisible();
  await bulkTag.press('Escape');
  await app.keyboard.press('Escape');
  const stored = await invoke(host, 'gallery.page', { saved: true, tags: ['sunset'] });
  expect(stored.items).toHaveLength(2);

  // Filter chips: the rating, then a tag.
  await app.getByRole('combobox', { name: 'Minimum rating' }).selectOption({ index: 4 });
  await expect(tiles).toHaveCount(1);
  await expect(app.getByRole('group', { name: 'Active filters' })).toContainText('4+ stars');
  await app.getByRole('button', { name: 'Remove filter: rating' }).click();
  await expect(tiles).toHaveCount(3);
  const tagFilter = app.getByRole('combobox', { name: 'Filter by tag' });
  await tagFilter.fill('keeper');
  await tagFilter.press('Enter');
  await expect(tiles).toHaveCount(1);
  await tagFilter.fill('sunset');
  await tagFilter.press('Enter');
  await expect(tiles).toHaveCount(1);
  await app.getByRole('button', { name: 'Remove filter: tag keeper' }).click();
  await expect(tiles).toHaveCount(2);
  await app.getByRole('button', { name: 'Remove filter: tag sunset' }).click();
  await expect(tiles).toHaveCount(3);
  // The search finds tags too.
  await app.getByRole('searchbox', { name: 'Search the gallery' }).fill('keeper');
  await expect(app.getByText('1 item', { exact: true })).toBeVisible();
  await app.getByRole('searchbox', { name: 'Search the gallery' }).fill('');
  await expect(tiles).toHaveCount(3);

  // An album by hand: two outputs in, one out again.
  await tiles.nth(0).click({ modifiers: ['Control'] });
  await tiles.nth(1).click({ modifiers: ['Control'] });
  await selection.getByRole('button', { name: 'Add to album…' }).click();
  await app.getByRole('textbox', { name: 'New album name' }).fill('Portfolio');
  await shots(app, 'selection-add-to-album');
  await app.getByRole('button', { name: 'Create and add' }).click();
  const albums = app.getByRole('complementary', { name: 'Albums' });
  await expect(albums.getByRole('button', { name: 'Portfolio, album, 2' })).toBeVisible();
  await albums.getByRole('button', { name: /^Portfolio/ }).click();
  await expect(tiles).toHaveCount(2);
  await tiles.nth(0).click({ modifiers: ['Control'] });
  await selection.getByRole('button', { name: 'Remove from album' }).click();
  await expect(tiles).toHaveCount(1);
  await expect(albums.getByRole('button', { name: 'Portfolio, album, 1' })).toBeVisible();

  // A smart album from the filters (rated 2 or more): it follows a rating given later.
  await albums.getByRole('button', { name: 'All outputs' }).click();
  await expect(tiles).toHaveCount(3);
  await app.getByRole('combobox', { name: 'Minimum rating' }).selectOption({ index: 2 });
  await expect(tiles).toHaveCount(2);
  await shots(app, 'gallery-filter-chips');
  await app.getByRole('button', { name: 'Save as smart album' }).click();
  await app.getByRole('textbox', { name: 'Smart album name' }).fill('Rated');
  await app.getByRole('button', { name: 'Save smart album' }).click();
  await expect(albums.getByRole('button', { name: 'Rated, smart album, 2' })).toHaveAttribute('aria-pressed', 'true');
  await expect(tiles).toHaveCount(2);
  await albums.getByRole('button', { name: 'All outputs' }).click();
  const unrated = tiles.filter({ hasNot: app.locator('.pill.rated') });
  await expect(unrated).toHaveCount(1);
  await unrated.click({ modifiers: ['Control'] });
  await app.keyboard.press('5');
  await expect(albums.getByRole('button', { name: 'Rated, smart album, 3' })).toBeVisible();
  await albums.getByRole('button', { name: /^Rated/ }).click();
  await expect(tiles).toHaveCount(3);
  await shots(app, 'gallery-organized');

  // Albums are searchable, and deleted without their outputs.
  await albums.getByRole('searchbox', { name: 'Search albums' }).fill('port');
  await expect(albums.getByRole('button', { name: /^Rated/ })).toHaveCount(0);
  await albums.getByRole('button', { name: 'Delete album Portfolio' }).click();
  await albums.getByRole('button', { name: 'Delete album', exact: true }).click();
  await expect(albums.getByRole('button', { name: /^Portfolio/ })).toHaveCount(0);
  expect((await invoke(host, 'albums.list')).map((a) => a.name)).toEqual(['Rated']);
  expect((await invoke(host, 'gallery.count', { saved: true })).count).toBe(3);
});

test('similar images: a resized copy comes first; near-identical neighbours fold into one tile', async ({
  app,
  host,
}) => {
  test.setTimeout(90_000);
  const folder = test.info().outputPath('imported');
  mkdirSync(folder, { recursive: true });
  const png = join(FIXTURES, 'comfyui-png');
  const original = 'sdxl__sdxl_simple_example.png';
  const others = ['flux__flux_dev_example.png', 'unclip__sunset.png'];
  for (const [i, name] of others.entries()) {
    copyFileSync(join(png, name), join(folder, name));
    const old = new Date(Date.now() - (i + 1) * 86_400_000);
    utimesSync(join(folder, name), old, old);
  }
  copyFileSync(join(png, original), join(folder, original));
  const { width } = await sharp(join(png, original)).metadata();
  await sharp(join(png, original))
    .resize(Math.round(width! / 2))
    .png()
    .toFile(join(folder, 'resized-copy.png'));
  const summary = await invoke(host, 'import.folder', { path: folder });
  expect(summary.added).toBe(4);
  // Each image gets its perceptual hash in the background.
  await expect
    .poll(async () => (await invoke(host, 'gallery.page', { limit: 10 })).items.filter((i) => i.phash).length, {
      timeout: 30_000,
    })
    .toBe(4);

  await freshGallery(app, 4);
  const tiles = app.getByRole('gridcell');
  await expect(tiles).toHaveCount(4);
  await app.locator(`.cell[title^="${original} "]`).click();
  const viewer = app.getByRole('dialog', { name: `Viewer: ${original}` });
  await expect(viewer).toBeVisible();
  await viewer.getByRole('button', { name: 'Similar images', exact: true }).click();
  const strip = viewer.getByRole('list', { name: 'Similar images' });
  await expect(strip.getByRole('button').first()).toHaveAccessibleName(/^resized-copy\.png, /);
  await shots(app, 'lightbox-similar');
  // Walk to the copy, and back.
  await strip.getByRole('button').first().click();
  await expect(app.getByRole('dialog', { name: 'Viewer: resized-copy.png' })).toBeVisible();
  await app.getByRole('button', { name: 'Back' }).click();
  await expect(viewer).toBeVisible();
  await app.keyboard.press('Escape');

  // Group similar: the original and its copy (neighbours, the newest two) are one tile of two.
  await app.getByRole('button', { name: 'Group similar' }).click();
  await expect(tiles).toHaveCount(3);
  await expect(tiles.first()).toHaveAccessibleName(/2 similar images/);
  await shots(app, 'gallery-grouped');
  await app.getByRole('button', { name: 'Group similar' }).click();
  await expect(tiles).toHaveCount(4);
});

test('a video output: poster and length on its tile, a preview on hover, played with seeking in the viewer', async ({
  app,
  cloud,
  host,
  page,
}) => {
  test.setTimeout(90_000);
  const mp4 = makeVideo(test.info().outputPath('clip.mp4'), { width: 96, height: 64, fps: 24, seconds: 3 });
  cloud.outputFile({ bytes: readFileSync(mp4), ext: 'mp4' });
  await signIn(app, cloud);
  await submitBasic(host, 1);
  const [video] = await storedOutputs(host, 1);
  expect(video!.kind).toBe('video');

  const ranges: number[] = [];
  page.on('response', (r) => {
    if (r.url().includes(`/media/${video!.hash}`) && !/v=(thumb|large|preview)/.test(r.url())) ranges.push(r.status());
  });
  await freshGallery(app, 1);
  const tile = app.getByRole('gridcell').first();
  await expect(tile).toHaveAccessibleName(/^video /);
  await expect(tile.locator('.pill')).toHaveText('0:03');
  await expect(tile.locator('img')).toBeVisible();
  await tile.hover();
  const preview = tile.locator('video');
  await expect(preview).toHaveAttribute('src', /v=preview/);
  await expect(preview).toHaveClass(/ready/, { timeout: 20_000 });
  expect(await preview.evaluate((v: HTMLVideoElement) => v.muted && v.loop)).toBe(true);

  await tile.click();
  const viewer = app.getByRole('dialog', { name: /Viewer/ });
  const player = viewer.locator('video');
  await expect(player).toHaveAttribute('controls', '');
  await expect
    .poll(() => player.evaluate((v: HTMLVideoElement) => v.duration), { timeout: 15_000 })
    .toBeGreaterThan(2.5);
  const at = await player.evaluate(
    (v: HTMLVideoElement) =>
      new Promise<number>((resolve) => {
        v.pause();
        v.addEventListener('seeked', () => resolve(v.currentTime), { once: true });
        v.currentTime = 2;
      }),
  );
  expect(at).toBeCloseTo(2, 1);
  expect(ranges).toContain(206);
  const facts = viewer.getByRole('definition');
  await expect(facts.filter({ hasText: /^0:03$/ })).toHaveCount(1);
  await expect(facts.filter({ hasText: /^96×64$/ })).toHaveCount(1);
  await expect(facts.filter({ hasText: /^24 fps$/ })).toHaveCount(1);
  await shots(app, 'lightbox-video');
  await app.keyboard.press('Escape');

  // An audio output: its waveform for a poster, its length, and a player.
  const flac = makeAudio(test.info().outputPath('tone.flac'), 2);
  cloud.outputFile({ bytes: readFileSync(flac), ext: 'flac' });
  await submitBasic(host, 1);
  const [audio] = await storedOutputs(host, 2);
  expect(audio!.kind).toBe('audio');
  await freshGallery(app, 2);
  const audioTile = app.getByRole('gridcell').first();
  await expect(audioTile).toHaveAccessibleName(/^audio /);
  await expect(audioTile.locator('.pill')).toHaveText('0:02');
  await audioTile.click();
  await expect(viewer.getByRole('img', { name: /^Waveform of / })).toHaveJSProperty('complete', true);
  const sound = viewer.getByLabel(/^Audio: /);
  await expect(sound).toHaveAttribute('controls', '');
  await expect
    .poll(() => sound.evaluate((a: HTMLAudioElement) => a.duration), { timeout: 15_000 })
    .toBeGreaterThan(1.5);
  await expect(facts.filter({ hasText: /^0:02$/ })).toHaveCount(1);
  await shots(app, 'lightbox-audio');
});

test('lineage: an output used as an input shows what it was made from, and the walk goes both ways', async ({
  app,
  cloud,
  host,
}) => {
  test.setTimeout(90_000);
  await signIn(app, cloud);
  await submitBasic(host, 1);
  const [first] = await storedOutputs(host, 1);
  await freshGallery(app, 1);
  await app.getByRole('gridcell').first().click();
  const viewer = app.getByRole('dialog', { name: /Viewer/ });
  await viewer.getByRole('button', { name: 'Use as input' }).click();
  await app
    .getByLabel('Workflow file', { exact: true })
    .setInputFiles(join(FIXTURES, 'workflows', 'fofr-sd15_img2img.json'));
  await app.getByRole('button', { name: /^Use ComfyUI_\d+_\.png$/ }).click();
  await expect(app.getByText('Uploaded.')).toBeVisible();
  await app.getByRole('button', { name: 'Run', exact: true }).click();
  const [made] = await storedOutputs(host, 2);
  expect(made!.id).not.toBe(first!.id);

  await freshGallery(app, 2);
  await app.getByRole('gridcell').first().click();
  const madeViewer = app.getByRole('dialog', { name: `Viewer: ${made!.filename}` });
  const from = madeViewer.getByRole('region', { name: 'Made from' });
  await expect(from.getByRole('button')).toHaveAccessibleName(`Made from ${first!.filename}`);
  await shots(app, 'lightbox-made-from');
  await from.getByRole('button').click();
  const firstViewer = app.getByRole('dialog', { name: `Viewer: ${first!.filename}` });
  await expect(firstViewer).toBeVisible();
  const usedIn = firstViewer.getByRole('region', { name: 'Used in' });
  await expect(usedIn.getByRole('button')).toHaveAccessibleName(new RegExp(`${made!.filename}$`));
  await usedIn.getByRole('button').click();
  await expect(madeViewer).toBeVisible();
});

test('export: a ZIP with JSON sidecars, files in a folder typed as a path, a PNG with its workflow, the prompt copied', async ({
  app,
  cloud,
  host,
  page,
}) => {
  test.setTimeout(90_000);
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await signIn(app, cloud);
  await submitBasic(host, 2);
  const outputs = await storedOutputs(host, 2);
  await freshGallery(app, 2);
  const tiles = app.getByRole('gridcell');
  await tiles.nth(0).click({ modifiers: ['Control'] });
  await tiles.nth(1).click({ modifiers: ['Control'] });
  await app.getByRole('toolbar', { name: 'Selection' }).getByRole('button', { name: 'Export…' }).click();
  const dialog = app.getByRole('dialog', { name: 'Export' });
  await expect(dialog.getByRole('radio', { name: /One ZIP file/ })).toBeChecked();
  // One click: the ZIP is made and its download starts at once, and the dialog says so.
  const [download] = await Promise.all([
    app.waitForEvent('download'),
    dialog.getByRole('button', { name: 'Export', exact: true }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('comfy-desk-2-outputs.zip');
  await expect(dialog.getByRole('status')).toContainText('ready: downloading comfy-desk-2-outputs.zip.');
  const again = dialog.getByRole('link', { name: 'Download again' });
  await expect(again).toHaveAttribute('download', 'comfy-desk-2-outputs.zip');
  await shots(app, 'export-zip');
  const zip = test.info().outputPath('export.zip');
  await download.saveAs(zip);
  const listing = execFileSync('unzip', ['-l', zip], { encoding: 'utf8' });
  for (const output of outputs) {
    const stem = output.filename.replace(/\.png$/, '');
    expect(listing).toContain(`${stem}.png`);
    expect(listing).toContain(`${stem}.json`);
  }

  // To a folder on this computer, typed as a path.
  const folder = test.info().outputPath('exported');
  await dialog.getByRole('radio', { name: /A folder on this computer/ }).check();
  await dialog.getByRole('textbox', { name: 'Folder path' }).fill(folder);
  await dialog.getByRole('button', { name: 'Export', exact: true }).click();
  await expect(dialog.getByRole('status')).toContainText('2 outputs (4 files with the .json sidecars');
  await expect(dialog.getByRole('status')).toContainText(folder);
  const written = readdirSync(folder).sort();
  expect(written.filter((f) => f.endsWith('.png'))).toHaveLength(2);
  expect(written.filter((f) => f.endsWith('.json'))).toHaveLength(2);
  await dialog.getByRole('button', { name: 'Done' }).click();
  await app.keyboard.press('Escape');

  // The viewer: the PNG with its workflow inside, and the prompt on the clipboard.
  await tiles.first().click();
  const viewer = app.getByRole('dialog', { name: /Viewer/ });
  const [png] = await Promise.all([
    app.waitForEvent('download'),
    viewer.getByRole('button', { name: 'Save as PNG + workflow' }).click(),
  ]);
  expect(png.suggestedFilename()).toMatch(/\.png$/);
  const saved = test.info().outputPath('with-workflow.png');
  await png.saveAs(saved);
  expect(readFileSync(saved).includes(Buffer.from('prompt'))).toBe(true);
  await viewer.getByRole('button', { name: 'Copy prompt' }).click();
  await expect(viewer.getByRole('status').filter({ hasText: 'Prompt copied.' })).toBeVisible();
  expect(await app.evaluate(() => navigator.clipboard.readText())).toBe(outputs[0]!.promptText);
});

test('run again from the gallery: the jobs of a selection run as one batch, shown in the queue', async ({
  app,
  cloud,
  host,
}) => {
  await signIn(app, cloud);
  await submitBasic(host, 2);
  const made = await storedOutputs(host, 2);
  await freshGallery(app, 2);
  const tiles = app.getByRole('gridcell');
  await tiles.nth(0).click({ modifiers: ['Control'] });
  await tiles.nth(1).click({ modifiers: ['Control'] });
  await app.getByRole('toolbar', { name: 'Selection' }).getByRole('button', { name: 'Run again' }).click();
  await expect(app.getByRole('heading', { name: 'Queue', exact: true, level: 1 })).toBeVisible();
  const batches = await invoke(host, 'batches.list', {});
  const rerun = batches.find((b) => b.kind === 'rerun');
  expect(rerun).toMatchObject({ counts: { total: 2 } });
  await expect(app.getByText(rerun!.name).first()).toBeVisible();
  // The same prompts, each once: the jobs that made the two outputs.
  const detail = await invoke(host, 'batches.get', { id: rerun!.id });
  const seeds = await Promise.all(detail.jobs.map((j) => seedOf(host, j.id)));
  const original = await Promise.all(made.map((o) => seedOf(host, o.jobId)));
  expect(seeds.sort()).toEqual(original.sort());
});
