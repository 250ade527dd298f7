// Small formatting helpers for times, durations and sizes, as a person reads them.
import type { OutputKind } from '../../../shared/jobs';

/** The icon an output without a thumbnail is drawn with. */
export function kindIcon(kind: OutputKind): string {
  return kind === 'text' ? 'info' : kind;
}
export function relativeTime(at: number, now = Date.now()): string {
  const s = Math.round((now - at) / 1000);
  if (s < 45) return 'just now';
  if (s < 90) return 'a minute ago';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h} h ago`;
  return new Date(at).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60
    ? `${m}m ${String(s % 60).padStart(2, '0')}s`
    : `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** A span to plan with, not a stopwatch: "about 40 s", "about 3 min", "about 1 h 10 min". */
export function about(ms: number): string {
  const s = Math.max(1, Math.round(ms / 1000));
  if (s < 60) return `about ${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `about ${m} min`;
  return `about ${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}`;
}

/** When something planned happens, from now: "in 25 s", "in 3 min", or "now". */
export function inTime(at: number, now = Date.now()): string {
  const s = Math.round((at - now) / 1000);
  if (s <= 0) return 'now';
  if (s < 60) return `in ${s} s`;
  const m = Math.round(s / 60);
  return m < 60 ? `in ${m} min` : `in ${Math.round(m / 60)} h`;
}

/** 1st, 2nd, 3rd, 4th … 11th, 12th, 13th … 21st. */
export function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

export function bytes(n: number | null): string {
  if (n === null) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

export function dateTime(at: number | null): string {
  return at === null ? '—' : new Date(at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** Digits after the point in a step such as 0.01 (2) or 1 (0); at most 10. */
function decimalsOf(step: number): number {
  if (!Number.isFinite(step) || step <= 0) return 10;
  for (let d = 0; d < 10; d++) if (Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) < 1e-9) return d;
  return 10;
}

/**
 * A number as a form shows it: with the precision of its step (0.8700000000000001 with step 0.01
 * is 0.87), never hiding a value the step cannot express (7.55 with step 0.1 stays 7.55).
 */
export function numberForStep(value: number, step: number | undefined): string {
  if (!Number.isFinite(value)) return '';
  for (let d = decimalsOf(step ?? 0); d <= 12; d++) {
    const rounded = Number(value.toFixed(d));
    if (Math.abs(rounded - value) <= 1e-9 * Math.max(1, Math.abs(value))) return String(rounded);
  }
  return String(value);
}

/** A value from a workflow for reading: numbers without floating-point noise (0.8700000000000001 is 0.87). */
export function readable(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(12)));
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
}

/** A batch's colour: the one the person chose, or one made from its id (the same each time). */
export function swatch(batch: { id: string; color: string | null }): string {
  if (batch.color) return batch.color;
  let h = 0;
  for (let i = 0; i < batch.id.length; i++) h = (h * 31 + batch.id.charCodeAt(i)) >>> 0;
  return `hsl(${h % 360} 62% 56%)`;
}

/**
 * How far a batch is, as a person reads it: "12 of 40 done · 2 failed · about 3 min left". Runs
 * that ended without an image are said plainly ("failed", "stopped"); done means made its outputs.
 */
export function batchLine(batch: {
  counts: { total: number; held: number; active: number; completed: number; failed: number; cancelled: number };
  remainingMs: number | null;
  paused: boolean;
}): string {
  const { counts } = batch;
  const parts = [`${counts.completed} of ${counts.total} done`];
  if (counts.failed > 0) parts.push(`${counts.failed} failed`);
  if (counts.cancelled > 0) parts.push(`${counts.cancelled} stopped`);
  const open = counts.held + counts.active;
  if (open > 0) {
    if (batch.paused) parts.push('paused');
    else if (batch.remainingMs !== null && batch.remainingMs >= 1000) parts.push(`${about(batch.remainingMs)} left`);
  }
  return parts.join(' · ');
}

/** What kind of batch, in a word or two: "Sweep · cfg × seed", "4 runs", "Re-run of 3". */
export function batchKind(batch: {
  kind: 'count' | 'sweep' | 'rerun';
  axes: { input: string; values: unknown[] }[];
  counts: { total: number };
}): string {
  if (batch.kind === 'sweep' && batch.axes.length > 0)
    return `Sweep · ${batch.axes.map((a) => `${a.input} (${a.values.length})`).join(' × ')}`;
  if (batch.kind === 'rerun') return `Re-run of ${batch.counts.total}`;
  return `${batch.counts.total} run${batch.counts.total === 1 ? '' : 's'}`;
}

/** Servers by name: "Comfy Cloud", "Comfy Cloud or Studio PC", "A, B or C". */
export function serverNames(names: string[], joiner = 'or'): string {
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} ${joiner} ${names[names.length - 1]}`;
}

/** "1 job", "3 jobs". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** A media length as players show it: "0:04", "2:05", "1:02:03". */
export function clock(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return '';
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** A frame rate as read: "24 fps", "29.97 fps". */
export function fpsLabel(fps: number | null): string {
  if (fps === null || !Number.isFinite(fps) || fps <= 0) return '';
  return `${Number(fps.toFixed(2))} fps`;
}

/** A share of a whole as a percentage, never rounding a real difference to nothing: "0%", "<0.01%", "3.25%". */
export function share(part: number, whole: number): string {
  if (whole <= 0 || part <= 0) return '0%';
  const pct = (part / whole) * 100;
  if (pct < 0.01) return '<0.01%';
  if (pct >= 100) return '100%';
  return `${Number(pct.toFixed(pct < 10 ? 2 : 1))}%`;
}
