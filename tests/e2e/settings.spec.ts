// The Settings view in Debian's Chromium through the headless host, against the fake cloud and
// the real keychain of the test session.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect } from './fixtures';

test('the app loads, the key is set, tested, explained when wrong, and cleared — and never leaks', async ({
  app,
  cloud,
  host,
}) => {
  await app.getByRole('button', { name: 'Settings', exact: true }).click();
  await expect(app.getByRole('heading', { name: 'Settings' })).toBeVisible();
  await expect(app.getByRole('status', { name: /Connection: No API key/ })).toBeVisible();

  // A wrong key: the 401 is explained.
  await app.getByLabel('API key', { exact: true }).fill('wrong-key-0000');
  await app.getByRole('button', { name: 'Save key' }).click();
  await expect(app.getByText('Saved in the system keychain.')).toBeVisible();
  await app.getByRole('button', { name: 'Test connection' }).click();
  await expect(app.getByTestId('server-check')).toContainText('401');
  await expect(app.getByTestId('server-check')).toContainText(/API key/i);

  // The right key: tested against the fake cloud, shown as last 4 only.
  await app.getByLabel('API key', { exact: true }).fill(cloud.apiKey);
  await app.getByRole('button', { name: 'Save key' }).click();
  await expect(app.getByText(`•••• ${cloud.apiKey.slice(-4)}`)).toBeVisible();
  await expect(app.getByLabel('API key', { exact: true })).toHaveValue('');
  await app.getByRole('button', { name: 'Test connection' }).click();
  await expect(app.getByTestId('server-check')).toContainText(/Ada|ada@example.com|Connected|ok/i);
  await expect(app.getByRole('status', { name: /Connection: Online/ })).toBeVisible();

  // The key is nowhere in the page.
  expect(await app.content()).not.toContain(cloud.apiKey);

  // Cleared, with a confirm step.
  await app.getByRole('button', { name: 'Remove key' }).click();
  await app.getByRole('button', { name: 'Yes, remove it' }).click();
  await expect(app.getByText('No key set')).toBeVisible();
  await app.screenshot({ path: test.info().outputPath('settings.png') });

  // Nor in the journal or the logs on disk.
  await host.stop();
  const files = [
    ...readdirSync(host.dataDir)
      .filter((f) => f.startsWith('journal'))
      .map((f) => join(host.dataDir, f)),
    ...readdirSync(join(host.dataDir, 'logs')).map((f) => join(host.dataDir, 'logs', f)),
  ];
  expect(files.length).toBeGreaterThan(1);
  for (const file of files) expect(readFileSync(file).toString('latin1')).not.toContain(cloud.apiKey);
});

test('profiles: add a local server, make it active, the indicator follows', async ({ app }) => {
  await app.getByRole('button', { name: 'Settings', exact: true }).click();
  await app.getByRole('button', { name: 'Add server' }).click();
  await app.getByLabel('Name').fill('Studio PC');
  await app.getByLabel('Address').fill('http://127.0.0.1:9');
  await app.getByRole('button', { name: 'Save server' }).click();
  await app.getByRole('radio', { name: /Studio PC/ }).click();
  await expect(app.getByRole('radio', { name: /Studio PC/ })).toHaveAttribute('aria-checked', 'true');
  await expect(app.getByText('No key needed for a local server.')).toBeVisible();
  await expect(app.getByRole('status', { name: /Connection: Offline to Studio PC/ })).toBeVisible({ timeout: 20_000 });
  // A local server that does not answer is named, with its address: not "You're offline".
  await expect(
    app.getByRole('alert').filter({ hasText: "Studio PC isn't answering at http://127.0.0.1:9" }),
  ).toBeVisible();
  await expect(app.getByRole('alert').filter({ hasText: "You're offline" })).toHaveCount(0);
});

test('theme switches between light and dark', async ({ app }) => {
  await app.getByRole('button', { name: 'Settings', exact: true }).click();
  await app.getByRole('radio', { name: 'Dark' }).click();
  await expect(app.locator('html')).toHaveAttribute('data-theme', 'dark');
  await app.getByRole('radio', { name: 'Light' }).click();
  await expect(app.locator('html')).toHaveAttribute('data-theme', 'light');
});
