// The window's size, position and maximized state, kept in a small JSON file in userData. Anything
// read back is checked: a garbled file, absurd numbers or a position on a screen that is gone fall
// back to defaults, so a bad file can never put the window where the person cannot reach it.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Rectangle } from 'electron';

export interface WindowState {
  width: number;
  height: number;
  /** Absent: let the OS place the window (centered). */
  x?: number;
  y?: number;
  maximized: boolean;
}

export const DEFAULT_WINDOW_STATE: WindowState = { width: 1280, height: 820, maximized: false };
export const MIN_SIZE = { width: 900, height: 600 };
const MAX_SIDE = 16_384;
/** How much of the title bar must be on a screen for a saved position to be used. */
const VISIBLE_MARGIN = 64;

export function windowStatePath(userData: string): string {
  return join(userData, 'window-state.json');
}

function isInt(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** Checks a parsed value; returns null for anything but a plausible state. */
export function parseWindowState(value: unknown): WindowState | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (!isInt(v.width, MIN_SIZE.width, MAX_SIDE) || !isInt(v.height, MIN_SIZE.height, MAX_SIDE)) return null;
  const state: WindowState = { width: v.width, height: v.height, maximized: v.maximized === true };
  if (isInt(v.x, -MAX_SIDE, MAX_SIDE) && isInt(v.y, -MAX_SIDE, MAX_SIDE)) {
    state.x = v.x;
    state.y = v.y;
  }
  return state;
}

/** Whether the top strip of a window at these bounds lies on one of the screens' work areas. */
export function isOnScreen(bounds: Rectangle, workAreas: readonly Rectangle[]): boolean {
  return workAreas.some((area) => {
    const left = Math.max(bounds.x, area.x);
    const right = Math.min(bounds.x + bounds.width, area.x + area.width);
    const titleBarVisible = bounds.y >= area.y && bounds.y + VISIBLE_MARGIN / 2 <= area.y + area.height;
    return right - left >= VISIBLE_MARGIN && titleBarVisible;
  });
}

/** The saved state, fitted to today's screens; defaults when there is none or it is unusable. */
export function loadWindowState(file: string, workAreas: readonly Rectangle[]): WindowState {
  let parsed: WindowState | null = null;
  try {
    parsed = parseWindowState(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    // Missing or not JSON: the defaults.
  }
  if (!parsed) return { ...DEFAULT_WINDOW_STATE };
  if (parsed.x === undefined || parsed.y === undefined) return parsed;
  const bounds = { x: parsed.x, y: parsed.y, width: parsed.width, height: parsed.height };
  if (isOnScreen(bounds, workAreas)) return parsed;
  // The screen it was on is gone: keep the size, let the OS place it.
  return { width: parsed.width, height: parsed.height, maximized: parsed.maximized };
}

/** Written whole to a temp file and renamed, so a crash mid-write leaves the old state, not half a file. */
export function saveWindowState(file: string, state: WindowState): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(state));
  renameSync(tmp, file);
}

interface TrackedWindow {
  getNormalBounds(): Rectangle;
  isMaximized(): boolean;
  on(event: 'close', listener: () => void): unknown;
}

/** Saves the window's state when it closes (the normal bounds, so a maximized window restores well). */
export function trackWindowState(win: TrackedWindow, file: string, onError: (err: unknown) => void): void {
  win.on('close', () => {
    const b = win.getNormalBounds();
    try {
      saveWindowState(file, { x: b.x, y: b.y, width: b.width, height: b.height, maximized: win.isMaximized() });
    } catch (err) {
      onError(err);
    }
  });
}
