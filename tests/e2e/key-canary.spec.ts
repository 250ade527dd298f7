// The key canary: one recognisable key goes through every flow — the window through the host, a
// server that echoes it in errors and WebSocket messages, the command line beside the open window
// (runs, uploads, partner nodes, sync) — and then it is searched for everywhere it must not be:
// the data folder (journal, WAL, logs, store, thumbnails), every process's output, the page's DOM,
// storage and cookies, and what the bridge sent to the page. Zero hits.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect, signIn } from './fixtures';
import { runToQueue } from './helpers';

const CANARY = `canary-${randomBytes(12).toString('hex')}`;
const FIXTURES = join(import.meta.dirname, '../../../shared/fixtures');
const WORKFLOW = join(FIXTURES, 'workflows/comfyui-basic_api_example.api.json');

test.use({ cloudOptions: { stepMs: 20, steps: 3, apiKey: CANARY } });

function cli(args: string[], env: Record<string, string>): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'electron/cli/bin.ts', ...args], {
      env: { ...process.env, ...env },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('exit', (status) => resolve({ status, output }));
  });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

test('a canary key goes through every flow and is found nowhere it must not be', async ({ app, cloud, host }) => {
  test.setTimeout(120_000);
  // What the bridge carries, from a fresh connection on.
  const received: string[] = [];
  const sent: string[] = [];
  app.on('websocket', (ws) => {
    ws.on('framereceived', (f) => received.push(String(f.payload)));
    ws.on('framesent', (f) => sent.push(String(f.payload)));
  });
  await app.reload();
  await expect(app.getByRole('navigation')).toBeVisible();

  // The window: the key is entered, tested, used.
  const key = cloud.apiKey;
  expect(key).toBe(CANARY);
  await signIn(app, cloud);
  await app.getByRole('button', { name: 'Test connection' }).click();
  await expect(app.getByTestId('server-check')).toContainText(/Ada|Connected|ok/i);

  // A careless server: the first submit fails with the key quoted in the error, and the socket
  // carries messages that quote it (one malformed, one for nobody's prompt).
  cloud.fault({ method: 'POST', path: '/prompt', status: 500, echoKey: true });
  cloud.injectWs(`{"type":"execution_error","data":{"prompt_id":"p-${key}","exception_message":"key ${key}"}}`);
  cloud.injectWs(`not json ${key}`);
  await app.getByRole('button', { name: 'Workflows', exact: true }).click();
  await app.getByLabel('Workflow file', { exact: true }).setInputFiles(WORKFLOW);
  await runToQueue(app);
  await expect(app.getByText('Completed')).toHaveCount(1, { timeout: 30_000 });

  // The command line beside the open window, on the same data folder: a run with an image upload,
  // a partner node (the key rides in extra_data on the wire), and a sync of the account's jobs.
  const env = { COMFY_API_KEY: key };
  const load = test.info().outputPath('load.json');
  writeFileSync(
    load,
    JSON.stringify({
      '1': { class_type: 'LoadImage', inputs: { image: 'x.png' } },
      '2': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } },
    }),
  );
  const image = join(FIXTURES, 'comfyui-png/controlnet__input_scribble_example.png');
  const outputs: string[] = [];
  const upload = await cli(
    ['run', load, '--server', cloud.url, '--image', `1=${image}`, '--wait', '--data', host.dataDir],
    env,
  );
  outputs.push(upload.output);
  expect(upload.status, upload.output).toBe(0);
  const partner = await cli(
    [
      'run',
      join(FIXTURES, 'workflows/docs-partner_node_flux_pro_ultra.api.json'),
      '--server',
      cloud.url,
      '--wait',
      '--data',
      host.dataDir,
    ],
    env,
  );
  outputs.push(partner.output);
  expect(partner.status, partner.output).not.toBe(3); // the server answered (it refuses the unknown node: exit 1)
  const sync = await cli(['sync', '--server', cloud.url, '--data', host.dataDir], env);
  outputs.push(sync.output);
  expect(sync.status, sync.output).toBe(0);

  // The page: DOM, storage, cookies; the bridge: nothing to the page, and from it only the key.set.
  const dom = await app.content();
  const storage = await app.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  const cookies = JSON.stringify(await app.context().cookies());
  await host.stop();

  const hits: string[] = [];
  for (const file of filesUnder(host.dataDir)) if (readFileSync(file).toString('latin1').includes(key)) hits.push(file);
  if (host.output().includes(key)) hits.push('host process output');
  outputs.forEach((o, i) => o.includes(key) && hits.push(`command line output ${i + 1}`));
  if (dom.includes(key)) hits.push('the page DOM');
  if (storage.includes(key)) hits.push('page storage');
  if (cookies.includes(key)) hits.push('cookies');
  if (received.some((f) => f.includes(key))) hits.push('bridge frames to the page');
  expect(hits).toEqual([]);
  // The person typed the key: that one request is the only frame from the page that carries it.
  const carrying = sent.filter((f) => f.includes(key));
  expect(carrying.length).toBe(1);
  expect(carrying[0]).toContain('"name":"key.set"');
  // And the flows really ran: a server saw it (so the search above searched something real).
  expect(cloud.requests.some((r) => r.headers['x-api-key'] === key)).toBe(true);
  expect(cloud.requests.some((r) => r.url.includes('/upload/image'))).toBe(true);
  expect(filesUnder(join(host.dataDir, 'logs')).length).toBeGreaterThan(0);
});
