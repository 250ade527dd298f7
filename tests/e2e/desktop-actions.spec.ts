// What the desktop app does with files, as the browser window (headless host) does it instead: a
// tile dragged out of the gallery hands its file over as a download; "Open with app" says it is
// the desktop app's (Electron's own path is tested against a stand-in: tests/unit/electron/).
import { test, expect, signIn } from './fixtures';
import { BASIC, gallery, run } from './helpers';

test('a gallery tile dragged out carries its file; "Open with app" says where it works', async ({ app, cloud }) => {
  await signIn(app, cloud);
  await run(app, BASIC);
  await expect(app.getByText('Completed')).toHaveCount(1, { timeout: 30_000 });
  await gallery(app);
  const tile = app.getByRole('gridcell').first();
  await expect(tile).toHaveAttribute('draggable', 'true');

  const handed = await tile.evaluate((cell) => {
    const transfer = new DataTransfer();
    cell.dispatchEvent(new DragEvent('dragstart', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    return { download: transfer.getData('DownloadURL'), uri: transfer.getData('text/uri-list') };
  });
  const match = /^image\/png:([^:]+\.png):(http:\/\/127\.[\d.]+:\d+\/media\/[a-f0-9]{64}\?v=full)$/.exec(
    handed.download,
  );
  expect(match, handed.download).not.toBeNull();
  const url = match![2]!;
  expect(handed.uri).toBe(url);
  // The URL is the file itself (with the page's cookie, as the browser's download would go).
  const bytes = await app.evaluate(
    async (href) => new Uint8Array(await (await fetch(href)).arrayBuffer()).slice(0, 4),
    url,
  );
  expect(Object.values(bytes)).toEqual([0x89, 0x50, 0x4e, 0x47]);

  await tile.click();
  await app.getByRole('button', { name: 'Open with app' }).click();
  await expect(app.getByText(/Opening files with another app is available in the desktop app/)).toBeVisible();
});
