// Outputs leaving the app: to a folder or a ZIP, each file with its workflow kept in its own
// metadata (a PNG without a `prompt` text chunk gets one) and beside it as a JSON sidecar (the API
// prompt). The ZIP is written straight into the store (by hash), so the window can offer it like
// any file; it stores files as they are (images and videos are compressed already).
import { createReadStream } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { DeskError } from '../../shared/errors';
import type { OutputStore } from './store';

export interface ExportItem {
  /** The file in the store (or where it was imported in place). */
  path: string;
  /** The server's file name, used for the exported name (never as a path). */
  filename: string;
  mime: string | null;
  /** The API prompt of its job, when known: embedded in a PNG that lacks it, and the sidecar. */
  prompt: Record<string, unknown> | null;
  /**
   * The graph from ComfyUI's editor its job came from, with the values that ran: embedded in a PNG
   * that lacks it (it then opens in ComfyUI as the graph) and beside it as NAME.workflow.json.
   */
  workflow?: Record<string, unknown> | null;
}

export interface ExportResult {
  files: number;
  bytes: number;
}

/** ZIP's own limits without ZIP64: 4 GiB per file and in all, 65,535 entries. */
const ZIP_MAX = 0xffff_ffff;
const ZIP_MAX_ENTRIES = 0xffff;

/** One file of the export: its name in the export and where its bytes come from. */
interface Entry {
  name: string;
  bytes: Buffer | null;
  path: string | null;
}

/** The files an export writes, with names that are unique and safe on every file system. */
async function entriesOf(items: readonly ExportItem[]): Promise<Entry[]> {
  const used = new Set<string>();
  const unique = (wanted: string): string => {
    const ext = extname(wanted);
    const stem = wanted.slice(0, wanted.length - ext.length) || 'output';
    let name = `${stem}${ext}`;
    for (let n = 2; used.has(name.toLowerCase()); n++) name = `${stem}-${n}${ext}`;
    used.add(name.toLowerCase());
    return name;
  };
  const entries: Entry[] = [];
  for (const item of items) {
    const name = unique(safeName(item.filename));
    const png =
      item.mime === 'image/png' && (item.prompt || item.workflow)
        ? withMetadata(await readFile(item.path), item)
        : null;
    entries.push({ name, bytes: png, path: png ? null : item.path });
    const stem = name.slice(0, name.length - extname(name).length);
    if (item.prompt) {
      const sidecar = unique(`${stem}.json`);
      entries.push({ name: sidecar, bytes: Buffer.from(JSON.stringify(item.prompt, null, 2)), path: null });
    }
    if (item.workflow) {
      const sidecar = unique(`${stem}.workflow.json`);
      entries.push({ name: sidecar, bytes: Buffer.from(JSON.stringify(item.workflow)), path: null });
    }
  }
  return entries;
}

/** Writes the export into a folder (made if missing); never over a file that is there. */
export async function exportToFolder(items: readonly ExportItem[], folder: string): Promise<ExportResult> {
  await mkdir(folder, { recursive: true });
  let bytes = 0;
  const entries = await entriesOf(items);
  for (const entry of entries) {
    let target = join(folder, entry.name);
    for (let n = 2; await stat(target).catch(() => null); n++) {
      const ext = extname(entry.name);
      target = join(folder, `${entry.name.slice(0, entry.name.length - ext.length)} (${n})${ext}`);
    }
    const data = entry.bytes ?? (await readFile(entry.path!));
    await writeFile(target, data, { flag: 'wx', mode: 0o644 });
    bytes += data.length;
  }
  return { files: entries.length, bytes };
}

/** Writes the export as a ZIP into the store; returns its hash and size. */
export async function exportToZip(
  items: readonly ExportItem[],
  store: OutputStore,
): Promise<ExportResult & { hash: string }> {
  const entries = await entriesOf(items);
  if (entries.length > ZIP_MAX_ENTRIES)
    throw new DeskError('invalid_input', `A ZIP holds at most ${ZIP_MAX_ENTRIES} files; export to a folder instead.`);
  // CRC and size first (one read), so each header is whole before its data (no data descriptors).
  const sized: (Entry & { crc: number; size: number })[] = [];
  let total = 0;
  for (const entry of entries) {
    const { crc, size } = entry.bytes
      ? { crc: crc32(entry.bytes), size: entry.bytes.length }
      : await crcOf(entry.path!);
    total += size + 30 + 46 + 2 * Buffer.byteLength(entry.name);
    if (total > ZIP_MAX)
      throw new DeskError('invalid_input', 'This selection is over 4 GB: export it to a folder instead.');
    sized.push({ ...entry, crc, size });
  }
  async function* zip(): AsyncGenerator<Uint8Array> {
    const central: Buffer[] = [];
    let offset = 0;
    for (const entry of sized) {
      const name = Buffer.from(entry.name, 'utf8');
      const local = header(0x04034b50, entry, name, offset);
      central.push(header(0x02014b50, entry, name, offset));
      yield local;
      if (entry.bytes) yield entry.bytes;
      else for await (const chunk of createReadStream(entry.path!)) yield chunk as Buffer;
      offset += local.length + entry.size;
    }
    const directory = Buffer.concat(central);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(sized.length, 8);
    end.writeUInt16LE(sized.length, 10);
    end.writeUInt32LE(directory.length, 12);
    end.writeUInt32LE(offset, 16);
    yield directory;
    yield end;
  }
  const stored = await store.ingest(zip());
  return { hash: stored.hash, files: entries.length, bytes: stored.size };
}

/** A local file header (30 bytes + name) or a central directory entry (46 bytes + name). */
function header(signature: number, entry: { crc: number; size: number }, name: Buffer, offset: number): Buffer {
  const central = signature === 0x02014b50;
  const fixed = central ? 46 : 30;
  const b = Buffer.alloc(fixed + name.length);
  let at = 0;
  const u16 = (v: number) => (b.writeUInt16LE(v, at), (at += 2));
  const u32 = (v: number) => (b.writeUInt32LE(v >>> 0, at), (at += 4));
  u32(signature);
  if (central) u16(20); // made by
  u16(20); // version needed
  u16(0x0800); // UTF-8 names
  u16(0); // stored
  u16(0); // time
  u16(0x21); // date: 1980-01-01
  u32(entry.crc);
  u32(entry.size);
  u32(entry.size);
  u16(name.length);
  u16(0); // extra
  if (central) {
    u16(0); // comment
    u16(0); // disk
    u16(0); // internal attributes
    u32(0o100644 << 16); // external: a regular file, rw-r--r--
    u32(offset);
  }
  name.copy(b, fixed);
  return b;
}

async function crcOf(path: string): Promise<{ crc: number; size: number }> {
  let crc = 0;
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    crc = crc32(chunk as Buffer, crc);
    size += (chunk as Buffer).length;
  }
  return { crc, size };
}

/** A server's file name as a name on this computer: its last part, no control or reserved characters. */
export function safeName(filename: string): string {
  const name = basename(filename.replace(/\\/g, '/'))
    // Control characters and the ones Windows reserves.
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f<>:"/\\|?*]+/g, '_')
    .replace(/^[.\s]+|[.\s]+$/g, '');
  return name.slice(-180) || 'output';
}

/**
 * The PNG with its API prompt in a `prompt` text chunk (before IEND), as ComfyUI writes it; the
 * same bytes when it has one already. Non-ASCII text goes in an iTXt chunk (tEXt is Latin-1).
 */
export function withPrompt(png: Buffer, prompt: Record<string, unknown>): Buffer {
  return withTextChunk(png, 'prompt', prompt);
}

/** The PNG with the prompt and the editor's graph it lacks, each as ComfyUI writes it. */
export function withMetadata(
  png: Buffer,
  item: { prompt: Record<string, unknown> | null; workflow?: Record<string, unknown> | null },
): Buffer {
  const withOne = item.prompt ? withTextChunk(png, 'prompt', item.prompt) : png;
  return item.workflow ? withTextChunk(withOne, 'workflow', item.workflow) : withOne;
}

function withTextChunk(png: Buffer, keyword: 'prompt' | 'workflow', value: Record<string, unknown>): Buffer {
  if (hasTextChunk(png, keyword)) return png;
  const iend = png.lastIndexOf(Buffer.from('IEND', 'latin1'));
  if (iend < 8) return png;
  const text = JSON.stringify(value);
  const ascii = /^[\x20-\x7e]*$/.test(text);
  const body = ascii
    ? Buffer.concat([Buffer.from(`${keyword}\0`, 'latin1'), Buffer.from(text, 'latin1')])
    : Buffer.concat([Buffer.from(`${keyword}\0\0\0\0\0`, 'latin1'), Buffer.from(text, 'utf8')]);
  const type = Buffer.from(ascii ? 'tEXt' : 'iTXt', 'latin1');
  const chunk = Buffer.alloc(12 + body.length);
  chunk.writeUInt32BE(body.length, 0);
  type.copy(chunk, 4);
  body.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(Buffer.concat([type, body])) >>> 0, 8 + body.length);
  const start = iend - 4; // the IEND chunk's length field
  return Buffer.concat([png.subarray(0, start), chunk, png.subarray(start)]);
}

function hasTextChunk(png: Buffer, keyword: string): boolean {
  let at = 8;
  while (at + 12 <= png.length) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    if (type === 'IEND') return false;
    if (
      (type === 'tEXt' || type === 'iTXt' || type === 'zTXt') &&
      png.toString('latin1', at + 8, at + 8 + keyword.length + 1) === `${keyword}\0`
    )
      return true;
    at += 12 + length;
  }
  return false;
}
