// The Queue view while a sweep of 1,000 runs arrives, in Debian's Chromium through the headless
// host (from source, on a copy of the built renderer): the p95 frame time while the 1,000
// job.changed events (and the batch's) are applied, against the p95 of the same page idle for the
// same time, and how long until the window counts all 1,000. Dispatch is paused (queue.pause), so
// the runs stay held and nothing but the submit's own events reaches the window.
//
// The renderer is copied from out/renderer when the benchmark starts (a build running meanwhile
// does not change it under the page); COMFY_DESK_BENCH_RENDERER=<dir> uses another build.
// COMFY_DESK_BENCH_HOST_PROFILE=<dir> has the host write a CPU profile (node --cpu-prof) there.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { WebSocket } from 'ws';
import { chromiumArgs } from '../playwright.config';
import { BRIDGE_PATH, bridgeCookie, type BridgeMessage } from '../shared/bridge';
import { FIXTURES } from '../tests/unit/jobs/journal-helpers';
import { startCloudProcess } from './fake-cloud-process';
import { percentile, report } from './report';
import { snapshotRenderer, startHost } from './renderer-host';

const RUNS = 1000;
/** How long frames are recorded, idle and while the sweep arrives. */
const RECORD_MS = 4000;

export async function benchQueueRenderer(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'bench-queue-renderer-'));
  const rendererDir = process.env.COMFY_DESK_BENCH_RENDERER ?? snapshotRenderer(join(work, 'renderer'));
  const server = await startCloudProcess({ mode: 'local', models: ['v1-5-pruned-emaonly.safetensors'] });
  const host = await startHost(join(work, 'data'), rendererDir);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumArgs });
  let bridge: Bridge | null = null;
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(host.url);
    await page.getByRole('navigation').waitFor();
    const origin = new URL(host.url).origin;
    bridge = await openBridge(origin, new URL(host.url).searchParams.get('token')!);
    await bridge.invoke('profiles.save', { id: 'local', name: 'Local', kind: 'local', url: server.url });
    await bridge.invoke('settings.set', { activeProfileId: 'local' });
    await bridge.invoke('queue.pause', {});

    await page.getByRole('button', { name: 'Queue', exact: true }).click();
    await page.getByRole('heading', { name: 'Queue', exact: true }).waitFor();
    await page.waitForTimeout(1000); // settled: fonts, the first lists

    // Idle: the same page, nothing arriving.
    await startFrames(page);
    await page.waitForTimeout(RECORD_MS);
    const idle = await stopFrames(page);

    // The sweep: submitted over a second bridge connection (as another window would), so the page
    // does only what it does for any 1,000 events.
    const workflow = JSON.parse(
      readFileSync(join(FIXTURES, 'workflows', 'comfyui-basic_api_example.api.json'), 'utf8'),
    ) as unknown;
    await startFrames(page, RUNS);
    const t0 = performance.now();
    const jobs = (await bridge.invoke('jobs.submit', {
      workflow,
      name: 'bench sweep',
      profileId: 'local',
      sweep: [{ nodeId: '3', input: 'seed', values: Array.from({ length: RUNS }, (_, i) => 7000 + i) }],
    })) as unknown[];
    const submitMs = performance.now() - t0;
    if (jobs.length !== RUNS) throw new Error(`submitted ${jobs.length} runs`);
    await page.waitForTimeout(Math.max(0, RECORD_MS - (performance.now() - t0)));
    const load = await stopFrames(page);
    if (errors.length > 0) throw new Error(`the page failed: ${errors.join('; ')}`);

    const idleP95 = percentile(idle.frames, 95);
    const loadP95 = percentile(load.frames, 95);
    report('queue_sweep_1000_frame_p95', loadP95, 'ms', '<20', loadP95 < 20);
    report('queue_idle_frame_p95', idleP95, 'ms', 'n/a', true);
    report('queue_sweep_vs_idle_frame_p95', loadP95 / idleP95, 'x', 'n/a', true);
    report('queue_sweep_1000_frame_max', Math.max(...load.frames), 'ms', 'n/a', true);
    report('queue_sweep_1000_submit_over_bridge', submitMs, 'ms', '<1000', submitMs < 1000);
    // From sending the submit to the sidebar counting all of them (NaN: it never did, or says it otherwise).
    const shown = load.countedAt === null ? NaN : load.countedAt - load.startedAt;
    report('queue_sweep_1000_shown', shown, 'ms', 'n/a', Number.isFinite(shown));
  } finally {
    bridge?.close();
    await browser.close();
    await host.stop();
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

// The page's side, as text: tsx would wrap named functions of a callback in a helper the page does not have.
const START_FRAMES = `(count) => {
  const rec = { frames: [], startedAt: performance.now(), countedAt: null, stop: false, checker: 0 };
  window.__frames = rec;
  let last = performance.now();
  const tick = (now) => {
    if (rec.stop) return;
    rec.frames.push(now - last);
    last = now;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame((now) => {
    last = now;
    requestAnimationFrame(tick);
  });
  if (count > 0) {
    rec.checker = setInterval(() => {
      if (rec.countedAt === null && document.querySelector('[aria-label="' + count + ' active jobs"]')) {
        rec.countedAt = performance.now();
      }
    }, 50);
  }
}`;

const STOP_FRAMES = `() => {
  const rec = window.__frames;
  rec.stop = true;
  clearInterval(rec.checker);
  return { frames: rec.frames, startedAt: rec.startedAt, countedAt: rec.countedAt };
}`;

/** Starts recording frame times with requestAnimationFrame (and when the sidebar counts `count` jobs). */
async function startFrames(page: Page, count = 0): Promise<void> {
  await page.evaluate(`(${START_FRAMES})(${count})`);
}

async function stopFrames(page: Page): Promise<{ frames: number[]; startedAt: number; countedAt: number | null }> {
  return page.evaluate(`(${STOP_FRAMES})()`);
}

interface Bridge {
  invoke(name: string, input: unknown): Promise<unknown>;
  close(): void;
}

/** A second client of the host's bridge (the protocol of shared/bridge.ts), with the page's cookie. */
async function openBridge(origin: string, token: string): Promise<Bridge> {
  const port = Number(new URL(origin).port);
  const socket = new WebSocket(`${origin.replace('http', 'ws')}${BRIDGE_PATH}`, {
    headers: { Cookie: `${bridgeCookie(port)}=${token}`, Origin: origin },
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const pending = new Map<number, (message: BridgeMessage & { type: 'result' }) => void>();
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as BridgeMessage;
    if (message.type === 'result') pending.get(message.id)?.(message);
  });
  let next = 1;
  return {
    invoke: (name, input) =>
      new Promise((resolve, reject) => {
        const id = next++;
        pending.set(id, (message) => {
          pending.delete(id);
          if (message.result.ok) resolve(message.result.value);
          else reject(new Error(`${name}: ${message.result.error.message}`));
        });
        socket.send(JSON.stringify({ type: 'invoke', id, name, input }));
      }),
    close: () => socket.close(),
  };
}
