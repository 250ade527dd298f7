// The bridge credential stays with the host. Browsers do not scope cookies by port, so a cookie on
// 127.0.0.1 would go to every other local service there; the host lives on an address of its own.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, signIn, test } from './fixtures';

test('other services on 127.0.0.1 never receive the bridge cookie', async ({ app, host, cloud, context }) => {
  await signIn(app, cloud);
  const { hostname, port } = new URL(host.origin);
  // Linux binds all of 127.0.0.0/8; elsewhere the host may have to fall back to 127.0.0.1.
  if (process.platform === 'linux') expect(hostname).not.toBe('127.0.0.1');
  expect(hostname).toMatch(/^127\.\d+\.\d+\.\d+$/);
  const token = new URL(host.url).searchParams.get('token')!;
  const cookies = await context.cookies();
  expect(cookies.find((c) => c.value === token)).toMatchObject({
    name: `desk_token_${port}`,
    domain: hostname,
    httpOnly: true,
    sameSite: 'Strict',
  });

  // A neighbour: another local service that records the Cookie header of each request.
  const seen: string[] = [];
  const neighbour = createServer((req, res) => {
    seen.push(req.headers.cookie ?? '');
    res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>neighbour</title>');
  });
  await new Promise<void>((resolve) => neighbour.listen(0, '127.0.0.1', resolve));
  try {
    const neighbourUrl = `http://127.0.0.1:${(neighbour.address() as AddressInfo).port}/`;
    // A cookie of its own shows the recorder does see what the browser holds for 127.0.0.1.
    await context.addCookies([{ name: 'neighbour', value: '1', url: neighbourUrl }]);
    const other = await context.newPage();
    await other.goto(neighbourUrl);
    await expect(other).toHaveTitle('neighbour');
    await other.close();
  } finally {
    await new Promise((resolve) => neighbour.close(resolve));
  }
  expect(seen.length).toBeGreaterThan(0);
  for (const cookie of seen) {
    expect(cookie).toContain('neighbour=1');
    expect(cookie).not.toContain(token);
    expect(cookie).not.toContain('desk_token');
  }

  // The page was not disturbed: still signed in to its host, its bridge still open.
  await expect(app.getByRole('status', { name: /Connection: Online/ })).toBeVisible();
});

test('the page may open a WebSocket to its own bridge only', async ({ app, host }) => {
  const response = await app.request.get(`${host.origin}/`);
  expect(response.status()).toBe(200);
  const { hostname, port } = new URL(host.origin);
  const connect = (response.headers()['content-security-policy'] ?? '')
    .split('; ')
    .find((d) => d.startsWith('connect-src'));
  expect(connect).toBe(`connect-src 'self' ws://${hostname}:${port}`);
});
