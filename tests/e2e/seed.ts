// A data folder with a big journal, made before the host starts: real thumbnails for a dozen real
// ComfyUI images, reused across `outputs` gallery rows (5 per job, varied prompts and dates).
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openJournal } from '../../electron/engine/journal/db';
import { OutputStore, makeThumbnail } from '../../electron/engine/store';
import { FIXTURES, seedGallery } from '../unit/jobs/journal-helpers';

export async function seededDataDir(outputs: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'comfy-desk-seeded-'));
  const store = new OutputStore(join(dir, 'store'));
  const pngs = readdirSync(join(FIXTURES, 'comfyui-png')).filter((f) => f.endsWith('.png'));
  const hashes: string[] = [];
  for (const file of pngs) {
    const { hash } = await store.ingestFile(join(FIXTURES, 'comfyui-png', file));
    await makeThumbnail(store, hash);
    hashes.push(hash);
  }
  const db = openJournal(join(dir, 'journal.sqlite3'));
  seedGallery(db, outputs, { hashes });
  db.close();
  return dir;
}
