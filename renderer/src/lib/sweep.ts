// A sweep in the run form: one or two of the form's inputs, each with the values a person typed
// (read with the one grammar in shared/queue.ts), made into the axes `jobs.submit` takes; and the
// servers a run goes to. Pure, so its rules are tested without a window.
import type { ServerProfile } from '../../../shared/contract';
import { MAX_BATCH_RUNS, MAX_SWEEP_AXES, parseSweepValues, type SweepAxis } from '../../../shared/queue';
import { SEED_INPUTS } from '../../../shared/seeds';
import type { Field, FieldGroup } from './workflow-form';

export type SweepValue = SweepAxis['values'][number];

/** One input of a sweep as the person set it up: the field (NODE.INPUT) and the values as typed. */
export interface AxisDraft {
  key: string;
  text: string;
}

/** A sweep as kept with an open workflow (its draft): kept when turned off, so turning it on brings it back. */
export interface SweepDraft {
  on: boolean;
  axes: AxisDraft[];
  /** The batch's name; empty for the one the app makes up. */
  name: string;
  /** The batch's colour (#rrggbb), or none. */
  color: string | null;
}

/** A field a sweep can vary, with how the person picks it. */
export interface SweepChoice {
  key: string;
  field: Field;
  /** "KSampler #3" */
  node: string;
}

export interface AxisPlan {
  field: Field | null;
  values: SweepValue[];
  /** What is wrong with this input or its values, for a person; null when fine. */
  error: string | null;
}

export interface SweepPlan {
  /** The sweep applies (it is on and has at least one input). */
  active: boolean;
  axes: AxisPlan[];
  /** How many runs the submission makes (the count included). */
  runs: number;
  /** "6 runs (3 cfg × 2 seed)"; null without a sweep. */
  summary: string | null;
  /** Why it cannot run as it is, for a person; null when it can. */
  problem: string | null;
  /** The only thing missing is values not typed yet: said as a next step, not as an error. */
  incomplete: boolean;
  /** What `jobs.submit` is given, when it can run; null without a sweep. */
  submit: SweepAxis[] | null;
  /** A seed input is one of the axes: the seed setting must leave it alone ("fixed"). */
  seedSwept: boolean;
  /** The fields the sweep sets (their own value in the form is not what runs). */
  keys: Set<string>;
}

/** The swatches offered for a batch's colour. */
export const BATCH_COLORS: readonly { name: string; value: string }[] = [
  { name: 'Violet', value: '#7c6cf6' },
  { name: 'Blue', value: '#3a86ff' },
  { name: 'Teal', value: '#14b8a6' },
  { name: 'Green', value: '#22a55b' },
  { name: 'Amber', value: '#f0a020' },
  { name: 'Red', value: '#e5484d' },
  { name: 'Pink', value: '#d6409f' },
];

const SWEEPABLE = new Set<Field['kind']>(['int', 'float', 'text', 'textarea', 'select', 'toggle']);
const COLOR = /^#[0-9a-fA-F]{6}$/;

/** The form's fields a sweep can vary: numbers, text, choices and toggles (not images or colours). */
export function sweepChoices(groups: readonly FieldGroup[]): SweepChoice[] {
  return groups.flatMap((g) =>
    g.fields
      .filter((f) => SWEEPABLE.has(f.kind))
      .map((field) => ({ key: field.key, field, node: `${g.title} #${g.nodeId}` })),
  );
}

/** A new sweep: on, over the first number the form has (a person changes it at once if it is not the one). */
export function newSweep(groups: readonly FieldGroup[]): SweepDraft {
  const choices = sweepChoices(groups);
  const first =
    choices.find((c) => c.field.kind === 'float') ?? choices.find((c) => c.field.kind === 'int') ?? choices[0];
  return { on: true, axes: [{ key: first?.key ?? '', text: '' }], name: '', color: null };
}

/** Whether a field takes numbers: then its sweep values must all be numbers. */
export function isNumeric(field: Pick<Field, 'kind'>): boolean {
  return field.kind === 'int' || field.kind === 'float';
}

/** How the values box says what it takes. */
export function valuesPlaceholder(field: Pick<Field, 'kind'> | null): string {
  if (!field) return 'Choose an input first';
  if (isNumeric(field)) return '4, 6, 8  ·  one per line  ·  1..4  ·  0.5..1.5:0.25';
  if (field.kind === 'toggle') return 'true, false';
  if (field.kind === 'textarea') return 'One value per line';
  return 'One per line, or separated by commas';
}

const TRUE = /^(true|yes|on)$/i;
const FALSE = /^(false|no|off)$/i;

/**
 * The values typed for a field, read with the shared grammar and then checked as the form checks a
 * value: whole numbers for an INT, within the input's bounds, one of a choice's options.
 * Throws an Error whose message is for a person.
 */
export function axisValues(field: Field, text: string): SweepValue[] {
  const values = parseSweepValues(text, isNumeric(field), MAX_BATCH_RUNS);
  if (field.kind === 'toggle') {
    return values.map((v) => {
      const s = String(v);
      if (TRUE.test(s)) return true;
      if (FALSE.test(s)) return false;
      throw new Error(`"${s}" is neither true nor false.`);
    });
  }
  if (isNumeric(field)) {
    for (const v of values as number[]) {
      if (field.kind === 'int' && !Number.isInteger(v)) throw new Error(`${v} is not a whole number.`);
      if (field.min !== undefined && v < field.min)
        throw new Error(`${v} is less than ${field.min}, the least it takes.`);
      if (field.max !== undefined && v > field.max)
        throw new Error(`${v} is more than ${field.max}, the most it takes.`);
    }
  }
  if (field.kind === 'select' && field.options) {
    const wrong = values.find((v) => !field.options!.includes(String(v)));
    if (wrong !== undefined) throw new Error(`"${wrong}" is not one of the choices.`);
  }
  return values;
}

/** "6 runs (3 cfg × 2 seed)"; "12 runs (3 cfg × 2 seed × 2 each)" with a count. */
export function sweepSummary(axes: readonly { input: string; count: number }[], count: number): string {
  const runs = axes.reduce((n, a) => n * a.count, 1) * count;
  const parts = axes.map((a) => `${a.count} ${a.input}`);
  if (count > 1) parts.push(`${count} each`);
  return `${runs} run${runs === 1 ? '' : 's'} (${parts.join(' × ')})`;
}

/** What the sweep makes of the form as it is: the axes to send, the runs, and what stops it. */
export function planSweep(groups: readonly FieldGroup[], draft: SweepDraft | null, count: number): SweepPlan {
  const runsEach = Number.isInteger(count) && count > 0 ? count : 1;
  const none: SweepPlan = {
    active: false,
    axes: [],
    runs: runsEach,
    summary: null,
    problem: null,
    incomplete: false,
    submit: null,
    seedSwept: false,
    keys: new Set(),
  };
  if (!draft?.on || draft.axes.length === 0) return none;
  const choices = new Map(sweepChoices(groups).map((c) => [c.key, c.field]));
  const seen = new Set<string>();
  /** Why each input stops the run, as the run button says it (the box itself shows `error`). */
  const reasons: (string | null)[] = [];
  let untyped = 0;
  const axes: AxisPlan[] = draft.axes.slice(0, MAX_SWEEP_AXES).map((axis) => {
    const field = choices.get(axis.key) ?? null;
    if (!field) {
      reasons.push('Choose the input to sweep.');
      return { field: null, values: [], error: 'Choose the input to sweep.' };
    }
    if (seen.has(axis.key)) {
      const error = `${field.input} is swept already: choose another input.`;
      reasons.push(error);
      return { field, values: [], error };
    }
    seen.add(axis.key);
    if (!axis.text.trim()) {
      untyped += 1;
      reasons.push(`Type the values for ${field.input}.`);
      return { field, values: [], error: 'Give at least one value.' };
    }
    try {
      const values = axisValues(field, axis.text);
      reasons.push(null);
      return { field, values, error: null };
    } catch (err) {
      const error = (err as Error).message;
      reasons.push(`Check the values for ${field.input}: ${error}`);
      return { field, values: [], error };
    }
  });
  const sized = axes.map((a) => ({ input: a.field?.input ?? '?', count: a.values.length }));
  const runs = sized.reduce((n, a) => n * a.count, 1) * runsEach;
  const broken = reasons.find((r) => r !== null) ?? null;
  const problem =
    broken ??
    (runs > MAX_BATCH_RUNS
      ? `That makes ${runs} runs: at most ${MAX_BATCH_RUNS} at once. Use fewer values or fewer runs of each.`
      : null);
  const keys = new Set(axes.flatMap((a) => (a.field ? [a.field.key] : [])));
  return {
    active: true,
    axes,
    runs,
    summary: broken ? null : sweepSummary(sized, runsEach),
    problem,
    incomplete: untyped > 0 && reasons.filter((r) => r !== null).length === untyped,
    submit: problem ? null : axes.map((a) => ({ nodeId: a.field!.nodeId, input: a.field!.input, values: a.values })),
    seedSwept: axes.some((a) => a.field && (SEED_INPUTS as readonly string[]).includes(a.field.input)),
    keys,
  };
}

/** A sweep as read back from a saved draft (opaque to the engine, so checked here); null when unusable. */
export function sweepFromSaved(saved: unknown): SweepDraft | null {
  if (!saved || typeof saved !== 'object') return null;
  const s = saved as Record<string, unknown>;
  if (!Array.isArray(s.axes)) return null;
  const axes = s.axes
    .filter(
      (a): a is AxisDraft =>
        !!a &&
        typeof a === 'object' &&
        typeof (a as AxisDraft).key === 'string' &&
        typeof (a as AxisDraft).text === 'string',
    )
    .slice(0, MAX_SWEEP_AXES)
    .map((a) => ({ key: a.key, text: a.text.slice(0, 100_000) }));
  if (axes.length === 0) return null;
  return {
    on: s.on === true,
    axes,
    name: typeof s.name === 'string' ? s.name.slice(0, 200) : '',
    color: typeof s.color === 'string' && COLOR.test(s.color) ? s.color : null,
  };
}

/** Servers kept with a draft: profile ids, or null for "the active server". */
export function serversFromSaved(saved: unknown): string[] | null {
  if (!Array.isArray(saved)) return null;
  const ids = saved.filter((id): id is string => typeof id === 'string' && id.length > 0).slice(0, 16);
  return ids.length > 0 ? [...new Set(ids)] : null;
}

/**
 * Where the runs go, as `jobs.submit` takes it. Without a choice (or with only the active server
 * chosen): nothing, so the engine sends them to the active server as it always has. One other
 * server: that one. Several: the first as `profileId`, all of them as `profileIds`.
 */
export function routeOf(
  chosen: readonly string[] | null,
  profiles: readonly Pick<ServerProfile, 'id'>[],
  activeId: string,
): { profileId?: string; profileIds?: string[] } {
  if (!chosen) return {};
  const wanted = new Set(chosen);
  // In the order Settings lists them, the active one first: it takes a tie.
  const ids = profiles
    .map((p) => p.id)
    .filter((id) => wanted.has(id))
    .sort((a, b) => Number(b === activeId) - Number(a === activeId));
  if (ids.length === 0 || (ids.length === 1 && ids[0] === activeId)) return {};
  if (ids.length === 1) return { profileId: ids[0]! };
  return { profileId: ids[0]!, profileIds: ids };
}
