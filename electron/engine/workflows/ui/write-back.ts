// Writing into a copy of the UI workflow: the values a prompt ran with, put back where the converter
// read them (a node's widgets_values, a PrimitiveNode's value, a subgraph instance's promoted widget,
// an inner node in a subgraph definition, a group node's widgets_values), and a node's mode. Only
// those values change: ids, positions, links, groups and definitions stay as they were.
import type { NodeMode } from '../../../../shared/workflow-layout';
import type { ApiWorkflow } from '../api-format';
import type { Source } from './expand';
import { fail, groupNodeName, isObject, own, readUiGraph, shown, type UiNode } from './graph';

const MODES: Record<NodeMode, number> = { always: 0, mute: 2, bypass: 4 };

/** A deep copy of a JSON value (checked for depth by readUiGraph before we get here). */
export function copyJson<T>(value: T): T {
  return structuredClone(value);
}

function unwrap(value: unknown): unknown {
  // The prompt wraps array values as {__value__: [...]}; the file holds the array.
  if (isObject(value) && Object.keys(value).length === 1 && Array.isArray(own(value, '__value__')))
    return own(value, '__value__');
  return value;
}

function isLinkValue(value: unknown): boolean {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    (typeof value[0] === 'string' || typeof value[0] === 'number') &&
    typeof value[1] === 'number'
  );
}

/** Puts each value of `prompt` at its source. `writeBack` maps `apiId\0input` to sources inside `copy`. */
export function applyValues(prompt: ApiWorkflow, writeBack: Map<string, Source>): void {
  for (const [apiId, node] of Object.entries(prompt)) {
    if (!isObject(node) || !isObject(node.inputs)) continue;
    for (const [input, value] of Object.entries(node.inputs)) {
      if (isLinkValue(value)) continue;
      const source = writeBack.get(`${apiId}\u0000${input}`);
      if (source) put(source, unwrap(value));
    }
  }
}

function put(source: Source, value: unknown): void {
  const raw = source.raw;
  const current = own(raw, 'widgets_values');
  if (source.key !== undefined) {
    if (isObject(current)) current[source.key] = value;
    return;
  }
  const index = source.index!;
  if (Array.isArray(current)) {
    // A file shorter than the widgets: fill the gap with the defaults the converter used.
    for (let i = current.length; i < index; i++) current[i] = source.pad?.[i] ?? null;
    current[index] = value;
  } else if (current === undefined || current === null) {
    const list: unknown[] = [];
    for (let i = 0; i < index; i++) list[i] = source.pad?.[i] ?? null;
    list[index] = value;
    raw.widgets_values = list;
  }
}

/** The node `uiId` ("12", or "75:3" inside subgraph instance 75) in `ui`, as its object in the file. */
export function findNode(ui: Record<string, unknown>, uiId: string): Record<string, unknown> {
  const graph = readUiGraph(ui);
  const parts = uiId.split(':');
  let scope = graph.root;
  let node: UiNode | undefined;
  for (let i = 0; i < parts.length; i++) {
    node = scope.nodes.get(parts[i]!);
    if (!node) break;
    if (i < parts.length - 1) {
      const def = graph.subgraphs.get(node.type);
      if (!def) {
        node = undefined;
        break;
      }
      scope = def.scope;
    }
  }
  if (!node) {
    const g = parts.length === 2 ? graph.root.nodes.get(parts[0]!) : undefined;
    const name = g ? groupNodeName(g.type) : null;
    if (g && name !== null)
      fail(`Node ${shown(uiId, 60)} is inside group node “${shown(name)}”: switch the group node itself.`);
    fail(`The workflow has no node ${shown(uiId, 60)}.`);
  }
  return node.raw;
}

export function setMode(ui: Record<string, unknown>, uiId: string, mode: NodeMode): Record<string, unknown> {
  if (!Object.hasOwn(MODES, mode)) fail(`Unknown node mode “${shown(String(mode))}”: use always, mute or bypass.`);
  readUiGraph(ui); // checks depth and shape before anything is copied
  const copy = copyJson(ui);
  findNode(copy, uiId).mode = MODES[mode];
  return copy;
}
