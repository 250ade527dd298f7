// What the gallery does with ratings, tags, look-alike images and comparisons, as pure functions
// (tested without a window): folding near-identical neighbours, the rows of "What was different",
// a prompt with one value changed, the sweep over differing values, and the rating keys.
import type { Comparison, GraphChange, InputChange } from '../../../shared/organize';
import { normalizeTag } from '../../../shared/organize';
import type { GalleryItem } from '../../../shared/jobs';
import type { SweepAxis } from '../../../shared/queue';
import { readable } from './format';

/** Perceptual hashes this close (of 64 bits) are the same picture, give or take a resize or a re-save. */
export const NEAR_IDENTICAL = 6;

/** The compared outputs by letter, in the order they were picked. */
export const LETTERS = ['A', 'B', 'C', 'D'] as const;

const HEX16 = /^[0-9a-f]{16}$/i;

/** Bits that differ between two 16-hex-digit perceptual hashes; 64 when either is not one. */
export function phashDistance(a: string | null, b: string | null): number {
  if (!a || !b || !HEX16.test(a) || !HEX16.test(b)) return 64;
  let bits = 0;
  for (let i = 0; i < 16; i += 8) {
    let x = (parseInt(a.slice(i, i + 8), 16) ^ parseInt(b.slice(i, i + 8), 16)) >>> 0;
    while (x) {
      x &= x - 1;
      bits++;
    }
  }
  return bits;
}

export interface Folded {
  /** One tile per group: its first output. */
  leaders: GalleryItem[];
  /** A leader's group, itself first, for groups of two or more. */
  groups: Map<number, GalleryItem[]>;
}

/**
 * Near-identical neighbours folded into one tile: each output joins the group before it when it
 * looks like that group's first output (within `max` bits). Only neighbours: the grid's order is kept.
 */
export function foldNeighbours(items: readonly GalleryItem[], max = NEAR_IDENTICAL): Folded {
  const leaders: GalleryItem[] = [];
  const groups = new Map<number, GalleryItem[]>();
  let leader: GalleryItem | null = null;
  let group: GalleryItem[] | null = null;
  for (const item of items) {
    if (leader && item.phash && phashDistance(leader.phash, item.phash) <= max) {
      if (!group) groups.set(leader.id, (group = [leader]));
      group.push(item);
      continue;
    }
    leaders.push(item);
    leader = item.phash ? item : null;
    group = null;
  }
  return { leaders, groups };
}

/** A row of "What was different": one input, its value in each compared output. */
export interface ChangeRow {
  key: string;
  nodeId: string;
  input: string;
  /** The node as a person knows it: its title, or its class. */
  node: string;
  classType: string;
  /** Each output's value as read ("—" where the input is absent). */
  shown: string[];
  values: unknown[];
  /** The values other than the first output's, each once, that a run can take: [index, value]. */
  others: { index: number; value: SweepValue }[];
  /** The sweep over the differing values (each once, in order), when they can be swept. */
  sweep: SweepAxis | null;
}

export type SweepValue = SweepAxis['values'][number];

function sweepable(value: unknown): value is SweepValue {
  return (
    (typeof value === 'string' && value.length <= 2000) ||
    (typeof value === 'number' && Number.isFinite(value)) ||
    typeof value === 'boolean'
  );
}

/** A value as the comparison shows it: absent inputs (null over the wire) as a dash. */
export function shownValue(value: unknown): string {
  return value === undefined || value === null ? '—' : readable(value);
}

export function changeRow(change: InputChange): ChangeRow {
  const key = (v: unknown): string => JSON.stringify(v ?? null);
  const first = key(change.values[0]);
  const seen = new Set<string>([first]);
  const others: ChangeRow['others'] = [];
  change.values.forEach((value, index) => {
    if (index === 0 || seen.has(key(value)) || !sweepable(value)) return;
    seen.add(key(value));
    others.push({ index, value });
  });
  const distinct = [...new Map(change.values.filter(sweepable).map((v) => [key(v), v])).values()];
  return {
    key: `${change.nodeId}.${change.input}`,
    nodeId: change.nodeId,
    input: change.input,
    node: change.title || change.classType,
    classType: change.classType,
    shown: change.values.map(shownValue),
    values: change.values,
    others,
    sweep: distinct.length >= 2 ? { nodeId: change.nodeId, input: change.input, values: distinct } : null,
  };
}

export function changeRows(comparison: Pick<Comparison, 'inputs'>): ChangeRow[] {
  return comparison.inputs.map(changeRow);
}

/**
 * A change in the graph in words, for a list: what happened ("Only in B") and to which node. Between
 * different workflows, a node without a match is only in one of them; never a raw kind.
 */
export function graphWords(change: GraphChange, outputs: number): { label: string; text: string } {
  const letter = LETTERS[change.index] ?? `#${change.index + 1}`;
  const node = `${change.title || change.classType} #${change.nodeId}`;
  switch (change.kind) {
    case 'node_removed':
      return { label: outputs === 2 ? 'Only in A' : `Not in ${letter}`, text: node };
    case 'node_added':
      return { label: `Only in ${letter}`, text: node };
    case 'node_type_changed': {
      const [was, now] = change.classType.split(' → ');
      return { label: `Other node in ${letter}`, text: `#${change.nodeId} is ${now ?? '?'} in ${letter}, ${was} in A` };
    }
    case 'link_changed':
      return { label: `Wired differently in ${letter}`, text: change.detail };
  }
}

/** A change in the graph, as read: "B: KSampler (node 3) is not in this workflow". */
export function graphLine(change: GraphChange): string {
  return `${LETTERS[change.index] ?? `#${change.index + 1}`}: ${change.detail}`;
}

/** A copy of an API-format prompt with one node's input set to `value` (the original is left alone). */
export function promptWith(
  prompt: Record<string, unknown>,
  nodeId: string,
  input: string,
  value: unknown,
): Record<string, unknown> {
  const copy = structuredClone(prompt) as Record<string, { inputs?: Record<string, unknown> }>;
  const node = copy[nodeId];
  if (!node) throw new Error(`The workflow has no node ${nodeId}.`);
  node.inputs = { ...(node.inputs ?? {}), [input]: value };
  return copy;
}

/**
 * What a key does to a rating: 1–5 rate, 0 clears (null); undefined for any other key, or one held
 * with a modifier (Ctrl+1 belongs to the browser).
 */
export function ratingOfKey(event: {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
}): number | null | undefined {
  if (event.ctrlKey || event.metaKey || event.altKey) return undefined;
  if (!/^[0-5]$/.test(event.key)) return undefined;
  const n = Number(event.key);
  return n === 0 ? null : n;
}

/** Tags typed in one go ("cat, night sky"): each kept as the journal keeps it, once, none empty. */
export function splitTags(text: string): string[] {
  const tags = text
    .split(',')
    .map(normalizeTag)
    .filter((t) => t !== '');
  return [...new Set(tags)];
}

/** "★★★☆☆" for a rating, for titles and screen readers that read symbols. */
export function starsText(rating: number | null): string {
  const n = Math.max(0, Math.min(5, rating ?? 0));
  return '★'.repeat(n) + '☆'.repeat(5 - n);
}

/** Tags every one of these outputs has, and tags only some have (for a selection's tag editor). */
export function tagsOf(items: readonly Pick<GalleryItem, 'tags'>[]): { all: string[]; some: string[] } {
  const counts = new Map<string, number>();
  for (const item of items) for (const tag of new Set(item.tags)) counts.set(tag, (counts.get(tag) ?? 0) + 1);
  const all: string[] = [];
  const some: string[] = [];
  for (const [tag, n] of counts) (n === items.length ? all : some).push(tag);
  const byName = (a: string, b: string): number => a.localeCompare(b);
  return { all: all.sort(byName), some: some.sort(byName) };
}
