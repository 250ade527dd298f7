// The gallery and the queue in a day of real use ("A day of real use"), each pinned by what a
// person sees: in Debian's Chromium through the headless host, against the fake cloud.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import sharp from 'sharp';
import WebSocket from 'ws';
import { BRIDGE_PATH, bridgeCookie, type BridgeMessage } from '../../shared/bridge';
import { openJournal } from '../../electron/engine/journal/db';
import { OutputStore, makeThumbnail } from '../../electron/engine/store';
import { seedGallery } from '../unit/jobs/journal-helpers';
import { test, expect, signIn, startHostProcess, type RunningHost } from './fixtures';
import { basicWith, FIXTURES, gallery, loadInvertSave, run, runToQueue, shot, shots, workflowFile } from './helpers';

// ---------- the background service stops, and comes back ----------

/** The host's bridge from Node, signed in as the page is (its per-launch token in the cookie). */
function bridgeSocket(host: RunningHost): WebSocket {
  const url = new URL(host.url);
  return new WebSocket(`ws://${url.host}${BRIDGE_PATH}`, {
    headers: { Cookie: `${bridgeCookie(Number(url.port))}=${url.searchParams.get('token')}`, Origin: host.origin },
  });
}

/** One command on a host, as another window would send it. */
async function invokeOn(host: RunningHost, name: string, input?: unknown): Promise<unknown> {
  const ws = bridgeSocket(host);
  await new Promise((ok, fail) => ws.once('open', ok).once('error', fail));
  ws.send(JSON.stringify({ type: 'invoke', id: 1, name, input }));
  const message = await new Promise<BridgeMessage>((ok) =>
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as BridgeMessage;
      if (m.type === 'result') ok(m);
    }),
  );
  ws.close();
  if (message.type !== 'result' || !message.result.ok) throw new Error(`${name} failed: ${JSON.stringify(message)}`);
  return message.result.value;
}

/**
 * A started host prints a new random address and token, and a page cannot follow it there. So that
 * the page can be seen coming back, its bridge and media go through this route: to its own address
 * (the real host, or nothing once it stopped) until `comeBackAt` names the new host; as a host
 * started again on the same address and port with the same token would be reached.
 */
async function followHost(page: Page): Promise<{ comeBackAt(host: RunningHost): void }> {
  let target: RunningHost | null = null;
  await page.routeWebSocket(
    (url) => url.pathname === BRIDGE_PATH,
    (ws) => {
      if (!target) return void ws.connectToServer();
      const upstream = bridgeSocket(target);
      const early: string[] = [];
      upstream.on('open', () => early.splice(0).forEach((m) => upstream.send(m)));
      upstream.on('message', (data) => ws.send(String(data)));
      upstream.on('close', () => ws.close());
      upstream.on('error', () => ws.close());
      ws.onMessage((m) => (upstream.readyState === WebSocket.OPEN ? upstream.send(String(m)) : early.push(String(m))));
      ws.onClose(() => upstream.close());
    },
  );
  await page.route('**/media/**', async (route) => {
    if (!target) return route.continue();
    const from = new URL(route.request().url());
    const url = new URL(target.url);
    const response = await route.fetch({
      url: `${target.origin}${from.pathname}${from.search}`,
      headers: { Cookie: `${bridgeCookie(Number(url.port))}=${url.searchParams.get('token')}` },
    });
    await route.fulfill({ response });
  });
  return { comeBackAt: (host) => (target = host) };
}

test("when Comfy Desk's background service stops, the window says so, keeps what it shows, and reconnects", async ({
  page,
  cloud,
}) => {
  test.setTimeout(90_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'comfy-desk-e2e-'));
  const env = {
    COMFY_DESK_CLOUD_URL: cloud.url,
    COMFY_DESK_KEYCHAIN_SERVICE: `Comfy Desk e2e ${Date.now()}-${Math.random()}`,
  };
  const hosts: RunningHost[] = [];
  // While the service is gone, Chromium reports each refused try; anything else is a failure.
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (err) => errors.push(err.message));
  let sockets = 0;
  page.on('websocket', () => (sockets += 1));
  try {
    const first = await startHostProcess(env, dataDir);
    hosts.push(first);
    const follow = await followHost(page);
    await page.goto(first.url);
    await signIn(page, cloud);
    await run(page, workflowFile('portrait', loadInvertSave(512, 512)));
    await expect(page.getByText('Completed')).toBeVisible({ timeout: 30_000 });
    await gallery(page);
    await expect(page.getByRole('gridcell')).toHaveCount(1);
    await expect(page.getByRole('gridcell').locator('img')).toBeVisible();

    await first.stop();
    const banner = page.getByRole('alert').filter({ hasText: "Comfy Desk's background service stopped" });
    await expect(banner).toBeVisible();
    await expect(banner).toContainText('reconnecting');
    // Not the server being offline, and not "Online" either.
    await expect(page.getByRole('status', { name: 'Connection: Service stopped' })).toBeVisible();
    await expect(page.getByRole('status', { name: /Online/ })).toHaveCount(0);
    await expect(page.getByRole('alert').filter({ hasText: "You're offline" })).toHaveCount(0);
    // What it showed stays.
    await expect(page.getByRole('gridcell')).toHaveCount(1);
    await expect(page.getByRole('gridcell').locator('img')).toBeVisible();
    await expect(page.getByText('1 item', { exact: true })).toBeVisible();
    // It keeps trying by itself.
    const before = sockets;
    await expect.poll(() => sockets, { timeout: 15_000 }).toBeGreaterThanOrEqual(before + 2);
    await shots(page, 'service-stopped');

    // Started again on the same data. Meanwhile another window changes the theme, makes a favourite
    // and runs the job again to the end: no event of it reaches the page, only reading again shows it.
    const second = await startHostProcess(env, dataDir);
    hosts.push(second);
    type Page1<T> = { items: T[] };
    await invokeOn(second, 'settings.set', { theme: 'dark' });
    const outputs = (await invokeOn(second, 'gallery.page', { limit: 1 })) as Page1<{ id: number; jobId: string }>;
    await invokeOn(second, 'outputs.favorite', { ids: [outputs.items[0]!.id], favorite: true });
    await invokeOn(second, 'jobs.rerun', { id: outputs.items[0]!.jobId });
    await expect
      .poll(
        async () => ((await invokeOn(second, 'jobs.list', { states: ['completed'] })) as Page1<unknown>).items.length,
        {
          timeout: 30_000,
        },
      )
      .toBe(2);
    follow.comeBackAt(second);
    await banner.getByRole('button', { name: 'Try now' }).click();
    await expect(banner).toBeHidden();
    await expect(page.getByRole('status', { name: /Connection: Online/ })).toBeVisible({ timeout: 20_000 });
    // Read again: the settings (the theme), the gallery's first page (the new output, the favourite), the jobs.
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
    await expect(page.getByText('2 items', { exact: true })).toBeVisible();
    await expect(page.getByRole('gridcell')).toHaveCount(2);
    await expect(page.getByRole('gridcell').getByRole('img', { name: 'Favorite' })).toBeVisible();
    await page.getByRole('button', { name: 'Queue', exact: true }).click();
    await expect(page.getByRole('button', { name: 'Open job portrait' })).toHaveCount(2);
    await shot(page, 'service-back');
    expect(errors.filter((e) => !/ERR_CONNECTION_REFUSED|WebSocket connection to .* failed/.test(e))).toEqual([]);
  } finally {
    for (const host of hosts) await host.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

// ---------- gallery tiles ----------

interface SeededImage {
  hash: string;
  width: number;
  height: number;
}

/**
 * A data folder whose gallery holds real images, each once, with their real sizes: ComfyUI's fixture
 * PNGs and, newest (the first tile), a black one marked favourite. The outputs of the second job
 * are ComfyUI's temporary previews (type "temp", from PreviewImage).
 */
async function seededGallery(): Promise<{ dataDir: string; images: Map<string, SeededImage> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'comfy-desk-tiles-'));
  const store = new OutputStore(join(dataDir, 'store'));
  const black = test.info().outputPath('black.png');
  await sharp({ create: { width: 768, height: 768, channels: 3, background: '#000' } })
    .png()
    .toFile(black);
  const files = readdirSync(join(FIXTURES, 'comfyui-png'))
    .filter((f) => f.endsWith('.png'))
    .map((f) => join(FIXTURES, 'comfyui-png', f));
  const images = new Map<string, SeededImage>();
  const hashes: string[] = [];
  for (const file of [...files, black]) {
    const { hash } = await store.ingestFile(file);
    images.set(hash, { hash, ...(await makeThumbnail(store, hash)) });
    hashes.push(hash);
  }
  const db = openJournal(join(dataDir, 'journal.sqlite3'));
  seedGallery(db, hashes.length, { hashes });
  const size = db.prepare(
    `UPDATE outputs SET kind = 'image', mime = 'image/png', width = ?, height = ? WHERE hash = ?`,
  );
  for (const image of images.values()) size.run(image.width, image.height, image.hash);
  db.prepare(`UPDATE outputs SET type = 'temp' WHERE job_id = 'seed-1'`).run();
  db.prepare(`UPDATE outputs SET favorite = 1 WHERE hash = ?`).run(hashes.at(-1));
  db.close();
  return { dataDir, images };
}

/** The host on a seeded gallery, and the page open on it; console errors fail the test. */
async function openSeeded(page: Page, run: (images: Map<string, SeededImage>) => Promise<void>): Promise<void> {
  const { dataDir, images } = await seededGallery();
  const host = await startHostProcess({ COMFY_DESK_KEYCHAIN_SERVICE: `e2e-tiles ${Date.now()}` }, dataDir);
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (err) => errors.push(err.message));
  try {
    await page.goto(host.url);
    await expect(page.getByRole('navigation')).toBeVisible();
    await run(images);
    expect(errors).toEqual([]);
  } finally {
    await host.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Each tile's image as shown: the variant the browser took from srcset, the image pixels across the
 * tile's short side, and what the tile needs there (its size × devicePixelRatio, or the whole
 * image when that is smaller). A variant fits inside its edge (thumb 384, large 1024), never enlarged.
 */
async function tileSharpness(page: Page, images: Map<string, SeededImage>) {
  const tiles = page.getByRole('gridcell').locator('img');
  await expect.poll(() => tiles.evaluateAll((imgs) => imgs.every((i) => (i as HTMLImageElement).complete))).toBe(true);
  const shown = await tiles.evaluateAll((imgs) =>
    imgs.map((img) => ({
      src: (img as HTMLImageElement).currentSrc,
      tile: img.parentElement!.clientWidth,
      dpr: devicePixelRatio,
    })),
  );
  return shown.map(({ src, tile, dpr }) => {
    const url = new URL(src);
    const image = images.get(url.pathname.split('/').pop()!)!;
    const variant = url.searchParams.get('v')!;
    const long = Math.max(image.width, image.height);
    const short = Math.min(image.width, image.height);
    const pixelsOf = (edge: number): number => Math.floor(short * Math.min(1, edge / long));
    return {
      variant,
      pixels: pixelsOf({ thumb: 384, large: 1024 }[variant] ?? long),
      thumbPixels: pixelsOf(384),
      needed: Math.min(short, Math.ceil(tile * dpr)),
    };
  });
}

test('gallery tiles: named on hover, described, favourites marked on dark images, previews kept apart', async ({
  page,
}) => {
  await openSeeded(page, async () => {
    const tiles = page.getByRole('gridcell');
    // Saved outputs only, by default: the second job's five temporary previews are left out.
    await expect(page.getByText('7 items', { exact: true })).toBeVisible();
    await expect(tiles).toHaveCount(7);
    const previews = page.getByRole('button', { name: 'Include previews' });
    await expect(previews).toHaveAttribute('aria-pressed', 'false');

    // The newest tile: the black image, a favourite.
    const first = tiles.first();
    await expect(first).toHaveAttribute('title', 'ComfyUI_000011_.png · Workflow 2');
    await expect(first.locator('img')).toHaveAttribute('alt', /number2$/);
    const star = first.getByRole('img', { name: 'Favorite' });
    await expect(star).toBeVisible();
    // Its own opaque light disc: visible on a black image as on a white one.
    expect(await star.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(255, 255, 255)');
    await first.hover();
    await first.screenshot({ path: test.info().outputPath('tile-favourite-on-black.png') });
    await shots(page, 'gallery-tiles');

    await previews.click();
    await expect(previews).toHaveAttribute('aria-pressed', 'true');
    await expect(page.getByText('12 items', { exact: true })).toBeVisible();
    await expect(tiles.getByText('Preview', { exact: true })).toHaveCount(5);
    await expect(tiles.nth(2)).toHaveAttribute('title', /· Workflow 1 \(temporary preview\)$/);
    await shots(page, 'gallery-with-previews');
    await previews.click();
    await expect(page.getByText('7 items', { exact: true })).toBeVisible();

    // Only previews match: the view says so and offers both ways out.
    const search = page.getByRole('searchbox', { name: 'Search the gallery' });
    await search.fill('number1');
    await expect(page.getByRole('heading', { name: 'Nothing matches' })).toBeVisible();
    await expect(page.getByText(/except 5 temporary previews left out/)).toBeVisible();
    await expect(page.getByRole('button', { name: 'Include previews' })).toHaveCount(2);
    await shots(page, 'gallery-nothing-matches');
    await page.getByRole('button', { name: 'Favorites' }).click();
    await expect(page.getByText(/temporary previews left out/)).toBeHidden();
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect(search).toHaveValue('');
    await expect(page.getByRole('button', { name: 'Favorites' })).toHaveAttribute('aria-pressed', 'false');
    await expect(page.getByText('7 items', { exact: true })).toBeVisible();
    await expect(tiles).toHaveCount(7);
  });
});

/** Every tile has at least as many image pixels as screen pixels to cover. */
function expectSharp(tiles: Awaited<ReturnType<typeof tileSharpness>>): void {
  for (const tile of tiles) expect(tile.pixels, JSON.stringify(tile)).toBeGreaterThanOrEqual(tile.needed);
}

for (const dpr of [1, 2]) {
  test.describe(`on a screen of devicePixelRatio ${dpr}`, () => {
    test.use({ deviceScaleFactor: dpr });

    test('tiles are sharp, and load big files only where they show', async ({ page }) => {
      await openSeeded(page, async (images) => {
        await page.getByRole('button', { name: 'Include previews' }).click();
        await expect(page.getByRole('gridcell')).toHaveCount(12);
        // The first screen: the small thumbnail wherever it is enough.
        const first = await tileSharpness(page, images);
        for (const tile of first.filter((t) => t.thumbPixels >= t.needed)) {
          expect(tile.variant, JSON.stringify(tile)).toBe('thumb');
        }
        if (dpr === 1) expectSharp(first);
        const slider = page.getByRole('slider', { name: 'Thumbnail size' });
        // Chromium takes a smaller candidate on a dense screen when it is close enough (within the
        // geometric mean of the two densities), so small tiles are held to this only at 1×.
        if (dpr === 1) {
          await slider.fill('120');
          expectSharp(await tileSharpness(page, images));
        }
        // The biggest tiles (two columns, ~500 px): the large variant, and a panorama's own file.
        await slider.fill('360');
        const big = await tileSharpness(page, images);
        expectSharp(big);
        expect(big.filter((t) => t.variant !== 'thumb').length).toBeGreaterThan(5);
        await shot(page, `gallery-large-tiles-dpr${dpr}`);
      });
    });
  });
}

// ---------- the queue ----------

/** The basic text-to-image workflow, its image also previewed and saved a second time: three outputs. */
function portraitSet(): string {
  return workflowFile(
    'portrait_set',
    basicWith((wf) => {
      wf['10'] = { class_type: 'PreviewImage', inputs: { images: ['8', 0] } };
      wf['11'] = { class_type: 'SaveImage', inputs: { images: ['8', 0], filename_prefix: 'second' } };
    }),
  );
}

test.describe('with jobs slow enough to watch', () => {
  test.use({ cloudOptions: { stepMs: 150, steps: 30 } });

  test('a finished row opens its job and shows its outputs; waiting jobs say their place and how long; Interrupt says so until the job stops', async ({
    app,
    cloud,
  }) => {
    test.setTimeout(120_000);
    await signIn(app, cloud);
    const file = portraitSet();
    await run(app, file);
    await expect(app.getByText('Completed')).toBeVisible({ timeout: 30_000 });

    // The finished row: a strip of the job's outputs (the preview too); a click anywhere opens the job.
    const strip = app.getByRole('list', { name: 'Outputs of portrait_set' });
    await expect(strip.getByRole('img')).toHaveCount(3);
    await expect(strip.getByRole('img').first()).toHaveJSProperty('complete', true);
    const row = app.getByRole('listitem').filter({ has: strip });
    const stripBox = (await strip.boundingBox())!;
    const rowBox = (await row.boundingBox())!;
    await row.click({ position: { x: stripBox.x - rowBox.x + 20, y: stripBox.y - rowBox.y + 20 } });
    const drawer = app.getByRole('dialog', { name: 'Job details: portrait_set' });
    await expect(drawer).toBeVisible();
    await expect(drawer.locator('figure img')).toHaveCount(3);
    await app.keyboard.press('Escape');
    await expect(drawer).toBeHidden();
    await shots(app, 'queue-finished-strip');

    // Three more wait on the server: their place among this app's jobs there, and the estimate
    // from the run before (about 6 s), not the server's own queue numbers.
    cloud.holdQueue(true);
    // Run the open workflow again (opening the same file again would race the form's reset).
    await app.getByRole('button', { name: 'Workflows', exact: true }).click();
    await app.getByLabel('Runs').fill('3');
    await runToQueue(app);
    const waiting = app.getByRole('region', { name: 'Waiting' });
    await expect(waiting.getByText(/ in line$/)).toHaveText(['1st in line', '2nd in line', '3rd in line']);
    await expect(waiting.getByText(/^runs about \d+ s$/)).toHaveCount(3);
    await shots(app, 'queue-waiting');

    // The server takes a while to stop a job: the button says so until it has.
    cloud.fault({ method: 'POST', path: '/interrupt', delayMs: 2500 });
    cloud.holdQueue(false);
    const running = app.getByRole('article', { name: 'Running job portrait_set' });
    await expect(running).toBeVisible();
    await expect(running.getByText(/about \d+ s left/)).toBeVisible();
    await expect(waiting.getByText(/ in line$/)).toHaveText(['1st in line', '2nd in line']);
    await running.getByRole('button', { name: 'Interrupt' }).click();
    const stopping = running.getByRole('button', { name: 'Interrupting…' });
    await expect(stopping).toBeVisible();
    await expect(stopping).toBeDisabled();
    await shots(app, 'queue-interrupting');
    await expect(app.getByText('Interrupted')).toBeVisible({ timeout: 15_000 });
    // The next job runs, and its button is a plain Interrupt again.
    await expect(running.getByRole('button', { name: 'Interrupt', exact: true })).toBeEnabled({ timeout: 15_000 });
    await expect(waiting.getByText(/ in line$/)).toHaveText(['1st in line']);
  });
});

test('jobs held here say why, and when the next try is, or that they wait for you', async ({ app, cloud }) => {
  test.setTimeout(90_000);
  await signIn(app, cloud);
  const file = workflowFile('inverted', loadInvertSave(512, 512));
  // The server fails three times: the job is held here, says why, and when it tries again.
  cloud.fault({ method: 'POST', path: '/prompt', status: 503, times: 3 });
  await run(app, file);
  const waiting = app.getByRole('region', { name: 'Held here' });
  await expect(waiting.getByText('Not sent yet', { exact: true })).toBeVisible();
  await expect(waiting.getByText(/The server had a problem \(503\)/)).toBeVisible();
  await expect(waiting.getByText(/next try (in \d+ s|now)/)).toBeVisible();
  await shots(app, 'queue-outbox-retry');
  await expect(app.getByText('Completed')).toBeVisible({ timeout: 30_000 });

  // Only the person can fix this one: it says it waits for them.
  cloud.fault({ method: 'POST', path: '/prompt', status: 402 });
  await run(app, file);
  await expect(waiting.getByText(/^Waits for you:/)).toBeVisible();
  await expect(waiting).toContainText('Waits for you: Not enough credits to run this (402)');
  await expect(waiting.getByText(/next try/)).toHaveCount(0);
  await shots(app, 'queue-outbox-person');
});
