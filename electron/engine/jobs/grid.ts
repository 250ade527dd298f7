// A sweep's outputs as one image: a cell per run, rows and columns named by the values (drawn
// with sharp from an SVG of the labels). The image goes into the store like any file.
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import sharp, { type OverlayOptions } from 'sharp';
import { DeskError } from '../../../shared/errors';
import { escapeMarkup } from '../../../shared/markup';
import { sweepLabel, type SweepAxis, type SweepCell } from '../../../shared/queue';
import type { OutputStore, StoredFile } from '../store';

const GAP = 8;
const LABEL_H = 40;
const LABEL_W = 200;
/** One axis wraps after this many cells. */
const WRAP = 8;
/** The longest side a grid image may have (sharp and viewers cope; a 1,000-run line would not). */
const MAX_SIDE = 16_384;

export interface GridImage extends StoredFile {
  width: number;
  height: number;
}

interface Layout {
  width: number;
  height: number;
  cell: number;
  /** Where a cell's image goes. */
  at(cell: SweepCell): { x: number; y: number };
  labels: { x: number; y: number; text: string; anchor: 'middle' | 'end' }[];
}

/**
 * Two axes: rows named on the left, columns on top. One axis: cells wrap after eight, each named
 * above itself. Cells shrink (down to 64 px) so the image stays under MAX_SIDE.
 */
export function gridLayout(axes: readonly SweepAxis[]): Layout {
  if (axes.length >= 2) {
    const [rowAxis, colAxis] = [axes[0]!, axes[1]!];
    const longest = Math.max(rowAxis.values.length, colAxis.values.length);
    const cell = fitCell(longest, LABEL_W);
    const x = (c: number) => LABEL_W + GAP + c * (cell + GAP);
    const y = (r: number) => LABEL_H + GAP + r * (cell + GAP);
    return {
      width: x(colAxis.values.length),
      height: y(rowAxis.values.length),
      cell,
      at: (c) => ({ x: x(c.col), y: y(c.row) }),
      labels: [
        ...colAxis.values.map((v, c) => ({
          x: x(c) + cell / 2,
          y: 28,
          text: sweepLabel(colAxis, v),
          anchor: 'middle' as const,
        })),
        ...rowAxis.values.map((v, r) => ({
          x: LABEL_W - 12,
          y: y(r) + cell / 2,
          text: sweepLabel(rowAxis, v),
          anchor: 'end' as const,
        })),
      ],
    };
  }
  const axis = axes[0] ?? { input: 'run', values: [''] };
  const n = axis.values.length;
  const cols = Math.min(n, WRAP);
  const rows = Math.ceil(n / WRAP);
  const cell = fitCell(Math.max(cols, rows), 0);
  const x = (i: number) => GAP + (i % WRAP) * (cell + GAP);
  const y = (i: number) => Math.floor(i / WRAP) * (LABEL_H + cell + GAP) + LABEL_H;
  return {
    width: x(cols - 1) + cell + GAP,
    height: y(n - 1) + cell + GAP,
    cell,
    at: (c) => ({ x: x(c.row), y: y(c.row) }),
    labels: axis.values.map((v, i) => ({
      x: x(i) + cell / 2,
      y: y(i) - 12,
      text: sweepLabel(axis, v),
      anchor: 'middle' as const,
    })),
  };
}

function fitCell(count: number, margin: number): number {
  const cell = Math.min(320, Math.floor((MAX_SIDE - margin) / count - GAP));
  if (cell < 64)
    throw new DeskError(
      'invalid_input',
      `A grid of ${count} cells in a line would be too large to draw; at most ${Math.floor((MAX_SIDE - margin) / (64 + GAP))}.`,
    );
  return cell;
}

export async function renderSweepGrid(
  axes: readonly SweepAxis[],
  cells: readonly SweepCell[],
  store: OutputStore,
  dark = false,
): Promise<GridImage> {
  const layout = gridLayout(axes);
  const ink = dark ? '#e8e8ea' : '#1d1d1f';
  const paper = dark ? '#161618' : '#ffffff';
  const muted = dark ? '#2a2a2e' : '#eeeef0';
  const { cell: size } = layout;
  const labels = layout.labels.map(
    (l) =>
      `<text x="${l.x}" y="${l.y}" text-anchor="${l.anchor}" dominant-baseline="middle" font-family="sans-serif" font-size="16" fill="${ink}">${escapeMarkup(l.text)}</text>`,
  );
  // A run without an image yet (or one that failed) is an empty square: the grid keeps its shape.
  const empty = cells
    .filter((c) => !c.hash)
    .map((c) => {
      const { x, y } = layout.at(c);
      return `<rect x="${x}" y="${y}" width="${size}" height="${size}" rx="6" fill="${muted}"/>`;
    });
  const svg = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${layout.width}" height="${layout.height}">${empty.join('')}${labels.join('')}</svg>`,
  );
  const tiles: OverlayOptions[] = [{ input: svg, left: 0, top: 0 }];
  for (const cell of cells) {
    const path = cell.hash ? await store.locate(cell.hash) : null;
    if (!path) continue;
    const tile = await sharp(await readFile(path))
      .resize(size, size, { fit: 'contain', background: paper })
      .png()
      .toBuffer()
      .catch(() => null);
    const { x, y } = layout.at(cell);
    if (tile) tiles.push({ input: tile, left: x, top: y });
  }
  const png = await sharp({ create: { width: layout.width, height: layout.height, channels: 3, background: paper } })
    .composite(tiles)
    .png()
    .toBuffer();
  const stored = await store.ingest(Readable.from([png]));
  return { ...stored, width: layout.width, height: layout.height };
}
