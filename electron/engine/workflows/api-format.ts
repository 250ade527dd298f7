// API-format workflows: recognising them (and telling the UI format apart), reading the
// prompt text out of them, setting inputs and seeds, and spotting partner (API) nodes.
import { seedInputsOf } from '../../../shared/seeds';
import { DeskError } from '../../../shared/errors';
import { isPlainObject } from '../../../shared/schema';

export interface ApiNode {
  class_type: string;
  inputs: Record<string, unknown>;
  _meta?: { title?: string };
}

export type ApiWorkflow = Record<string, ApiNode>;

export type Link = [string, number];

export function isLink(value: unknown): value is Link {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    (typeof value[0] === 'string' || typeof value[0] === 'number') &&
    typeof value[1] === 'number'
  );
}

/** A UI-format workflow (what "Save" writes): it has `nodes` and `links` lists. */
export function isUiWorkflow(value: unknown): boolean {
  return isPlainObject(value) && Array.isArray(value.nodes) && Array.isArray(value.links);
}

// Where an API prompt is expected: everything that takes a workflow from a person converts a UI
// one first (workflows/ui), so only a caller that skipped that step sees this.
export const UI_FORMAT_HELP =
  'This is a UI-format workflow (saved from ComfyUI\'s editor: it has "nodes" and "links"); an API-format ' +
  'prompt was expected here. Open it in Comfy Desk (or use `comfy-desk convert`) to turn it into one.';

/**
 * Checks the shape of an API-format workflow: node id → {class_type, inputs}, links pointing at
 * nodes that exist. Every problem names the node and the input.
 */
export function parseApiWorkflow(value: unknown): ApiWorkflow {
  if (isUiWorkflow(value)) throw new DeskError('invalid_input', UI_FORMAT_HELP);
  if (!isPlainObject(value)) throw new DeskError('invalid_input', 'A workflow must be a JSON object of nodes.');
  const ids = Object.keys(value);
  if (ids.length === 0) throw new DeskError('invalid_input', 'The workflow has no nodes.');
  const problems: string[] = [];
  for (const id of ids) {
    const node = value[id];
    if (!isPlainObject(node)) {
      problems.push(`node ${id}: not an object`);
      continue;
    }
    const classType = typeof node.class_type === 'string' && node.class_type ? node.class_type : null;
    if (!classType) problems.push(`node ${id}: no class_type`);
    if (!isPlainObject(node.inputs)) {
      problems.push(`node ${id}: "inputs" must be an object`);
      continue;
    }
    for (const [input, v] of Object.entries(node.inputs)) {
      if (isLink(v) && !Object.hasOwn(value, String(v[0]))) {
        problems.push(
          // Not String(class_type): a JSON object with a "toString" key would throw a TypeError.
          `node ${id} (${classType ?? 'no class_type'}), input "${input}": links to node ${v[0]}, which does not exist`,
        );
      }
    }
  }
  if (problems.length > 0) {
    throw new DeskError('invalid_input', `The workflow is not valid API format: ${problems.slice(0, 10).join('; ')}`, {
      details: problems,
    });
  }
  return value as unknown as ApiWorkflow;
}

const TEXT_INPUTS = new Set(['text', 'text_g', 'text_l', 'prompt', 'positive', 'negative', 'clip_l', 't5xxl']);

/** The prompts of a workflow in plain text (for search and the gallery), positive first. */
export function promptTextOf(workflow: ApiWorkflow): string {
  const parts: string[] = [];
  for (const node of Object.values(workflow)) {
    for (const [name, v] of Object.entries(node.inputs ?? {})) {
      if (typeof v === 'string' && TEXT_INPUTS.has(name) && v.trim()) parts.push(v.trim());
    }
  }
  return [...new Set(parts)].join('\n');
}

/**
 * The node a person means by `ref`: its id in the prompt (`3`, `75:3` inside a subgraph), else the
 * one node with that title (`KSampler`, `Upscale pass`). Null when none; an error when several share it.
 */
export function resolveNodeRef(workflow: ApiWorkflow, ref: string): string | null {
  if (Object.hasOwn(workflow, ref)) return ref;
  const titled = Object.keys(workflow).filter((id) => workflow[id]?._meta?.title === ref);
  if (titled.length > 1)
    throw new DeskError(
      'invalid_input',
      `"${ref}" is the title of ${titled.length} nodes (${titled.join(', ')}): name one by its id.`,
    );
  return titled[0] ?? null;
}

export function nodeTitle(workflow: Record<string, unknown>, nodeId: string): string | null {
  const node = workflow[nodeId] as ApiNode | undefined;
  return node?._meta?.title ?? node?.class_type ?? null;
}

/** `NODE.INPUT=VALUE` edits (from the CLI or the form), applied to a copy. */
export function applyInputs(workflow: ApiWorkflow, values: Record<string, unknown>): ApiWorkflow {
  const copy = structuredClone(workflow);
  for (const [key, value] of Object.entries(values)) {
    const dot = key.indexOf('.');
    const ref = key.slice(0, dot);
    const input = key.slice(dot + 1);
    if (dot < 1 || !input) throw new DeskError('invalid_input', `"${key}": expected NODE.INPUT (e.g. 3.seed)`);
    const nodeId = resolveNodeRef(copy, ref);
    const node = nodeId === null ? undefined : copy[nodeId];
    if (!node) throw new DeskError('invalid_input', `"${key}": the workflow has no node ${ref} (by id or title)`);
    if (isLink(node.inputs[input])) {
      throw new DeskError('invalid_input', `"${key}": input "${input}" of node ${nodeId} is linked to another node`);
    }
    node.inputs[input] = value;
  }
  return copy;
}

/** Which inputs are seeds: the one rule, shared with the window. */
export { seedInputsOf };

export type SeedStrategy = 'fixed' | 'random' | 'increment';

const MAX_SEED = 2 ** 50; // within ComfyUI's 0xffffffffffffffff and exact in a double

/** The workflows for N runs with the chosen seed strategy applied to every seed input. */
export function withSeeds(
  workflow: ApiWorkflow,
  count: number,
  strategy: SeedStrategy,
  random: () => number = Math.random,
): ApiWorkflow[] {
  const seeds = seedInputsOf(workflow);
  return Array.from({ length: count }, (_, run) => {
    if (strategy === 'fixed' || seeds.length === 0) return structuredClone(workflow);
    const copy = structuredClone(workflow);
    for (const { nodeId, input } of seeds) {
      const base = copy[nodeId]!.inputs[input] as number;
      copy[nodeId]!.inputs[input] =
        strategy === 'increment' ? (base + run) % MAX_SEED : Math.floor(random() * MAX_SEED);
    }
    return copy;
  });
}

/** Partner nodes call paid third-party APIs and need the account key in extra_data. */
export function hasPartnerNodes(workflow: ApiWorkflow, objectInfo?: Record<string, unknown> | null): boolean {
  return Object.values(workflow).some((node) => {
    const info = objectInfo?.[node.class_type] as { api_node?: unknown; category?: unknown } | undefined;
    if (info) return info.api_node === true || /^api node/i.test(String(info.category ?? ''));
    return PARTNER_NODE_PATTERN.test(node.class_type);
  });
}

// Used only when object_info is not at hand: the partner node families Comfy ships.
const PARTNER_NODE_PATTERN =
  /^(Flux(Pro|Kontext)|Ideogram|Kling|Luma|Minimax|OpenAI|Recraft|Runway|Stability|Veo|Pika|Pixverse|Gemini|Tripo|Rodin|Moonvalley|ByteDance|Vidu|Hailuo)\w*/;

/** Output nodes whose files are media the gallery shows. */
export function outputKindOf(filename: string, key: string): 'image' | 'video' | 'audio' | 'text' {
  const ext = filename.toLowerCase().split('.').pop() ?? '';
  if (['mp4', 'webm', 'mov', 'mkv', 'gif'].includes(ext) || key === 'video' || key === 'gifs') {
    return ext === 'gif' ? 'image' : 'video';
  }
  if (['mp3', 'wav', 'flac', 'ogg', 'opus', 'm4a'].includes(ext) || key === 'audio') return 'audio';
  if (['txt', 'json'].includes(ext)) return 'text';
  return 'image';
}
