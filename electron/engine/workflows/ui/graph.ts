// Reads a UI-format workflow (what ComfyUI's Save writes) into a bounded internal graph: the root
// graph, the subgraph definitions and the legacy group-node definitions, each node with its inputs
// and outputs, each link in one shape whatever its form in the file. Nothing here trusts the file:
// every key is looked up in a Map, every size is capped, and every problem is a DeskError that names
// the node, link or subgraph as a person would look for it.
import { DeskError } from '../../../../shared/errors';
import { depthOf } from '../../../../shared/json-limits';

export const LIMITS = {
  /** Nodes in the file: the root graph, every subgraph definition and every group-node definition. */
  nodes: 100_000,
  /** Nodes after subgraphs and group nodes are expanded. */
  flatNodes: 100_000,
  links: 400_000,
  subgraphs: 2_000,
  /** Subgraph instances inside subgraph instances. */
  nesting: 32,
  /** Ids, type names, input names. */
  nameChars: 1_000,
  /** A title: longer ones are cut (a title only labels). */
  titleChars: 1_000,
  /** One widget value's text (a prompt, a file name): the contract's whole-workflow cap. */
  valueChars: 8_000_000,
  /** Nesting of the JSON itself: everything recursive after us (cloning, JSON.stringify) stays safe. */
  jsonDepth: 64,
} as const;

/** The ids litegraph gives a subgraph's input and output boxes in its links. */
export const SUBGRAPH_INPUT_ID = '-10';
export const SUBGRAPH_OUTPUT_ID = '-20';

export const MODE_ALWAYS = 0;
export const MODE_NEVER = 2;
export const MODE_BYPASS = 4;

type Raw = Record<string, unknown>;

export interface UiInput {
  name: string;
  /** The slot type as saved ("IMAGE", "INT", "*"). */
  type: string;
  link: string | null;
  /** The widget this input stands for (a widget converted to an input), if any. */
  widget: string | null;
  label: string | null;
}

/** An output slot. Its links are read from the file only when followed (outputLinks): few are. */
export interface UiOutput {
  name: string;
  type: string;
}

export interface UiNode {
  id: string;
  /** Its place in its graph's node list: where its expanded node is in an instance's `inner`. */
  index: number;
  type: string;
  title: string | null;
  mode: number;
  /** Read only: often the file's own array. */
  pos: readonly [number, number];
  size: readonly [number, number];
  inputs: UiInput[];
  outputs: UiOutput[];
  /** As saved: an array (the usual form), an object keyed by widget name (some custom nodes), or none. */
  widgetsValues: unknown[] | Raw | null;
  /** A subgraph instance's `properties.proxyWidgets`: [inner node id or "-1", widget name]. */
  proxyWidgets: [string, string][] | null;
  scope: Scope;
  /** The node's object in the file, for writing values back. */
  raw: Raw;
}

export interface UiLink {
  id: string;
  originId: string;
  originSlot: number;
  targetId: string;
  targetSlot: number;
  type: string;
}

export interface Scope {
  /** null for the root graph. */
  subgraph: SubgraphDef | null;
  nodes: Map<string, UiNode>;
  order: UiNode[];
  links: Map<string, UiLink>;
}

export interface SubgraphSlot {
  name: string;
  type: string;
  label: string | null;
  linkIds: string[];
}

export interface SubgraphDef {
  id: string;
  name: string;
  inputs: SubgraphSlot[];
  outputs: SubgraphSlot[];
  scope: Scope;
  raw: Raw;
}

/** A group slot renamed or hidden by the person; `visible` null when the file does not say. */
export interface GroupSlotConfig {
  name: string | null;
  visible: boolean | null;
}

function visibleOf(value: unknown): boolean | null {
  return typeof value === 'boolean' ? value : null;
}

/** A legacy group node's definition (`extra.groupNodes[name]`): inner nodes by index, links by index. */
export interface GroupNodeDef {
  name: string;
  nodes: UiNode[];
  /** [origin index or null (from outside the group), origin slot, target index, target slot, type]. */
  links: [number | null, number, number, number, string][];
  /** `config[index].input[name]` / `.output[slot]`: renamed or hidden group slots. */
  config: Map<number, { input: Map<string, GroupSlotConfig>; output: Map<number, GroupSlotConfig> }>;
  /** Inner outputs also used outside the group ([index, slot]). */
  external: Set<string>;
  raw: Raw;
}

export interface UiGroup {
  title: string;
  bounding: [number, number, number, number];
  color: string | null;
}

export interface UiGraph {
  root: Scope;
  subgraphs: Map<string, SubgraphDef>;
  groupNodes: Map<string, GroupNodeDef>;
  groups: UiGroup[];
  raw: Raw;
}

export function fail(message: string, details?: unknown): never {
  throw new DeskError('invalid_input', message, details === undefined ? {} : { details });
}

export function isObject(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A property of a parsed JSON object, never one inherited from Object.prototype. */
export function own(obj: Raw, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** Text for a message: a title or a name, cut so one hostile title cannot flood the message. */
export function shown(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** How a person finds a node: `node 12 (“KSampler”)`, `node 3 in subgraph “Detailer”`. */
export function placeOf(node: UiNode, uiId = node.id): string {
  const title = node.title ?? node.type;
  const sub = node.scope.subgraph ? ` in subgraph “${shown(node.scope.subgraph.name)}”` : '';
  return `node ${shown(uiId, 60)} (“${shown(title)}”)${sub}`;
}

function where(scope: Scope): string {
  return scope.subgraph ? ` in subgraph “${shown(scope.subgraph.name)}”` : '';
}

/** A finite number or a short non-empty string. */
function isId(value: unknown): value is number | string {
  if (typeof value === 'number') return Number.isFinite(value);
  return typeof value === 'string' && value.length > 0 && value.length <= LIMITS.nameChars;
}

/** An id as the frontend keys it (String(id)). */
function idOf(value: unknown): string | null {
  return isId(value) ? String(value) : null;
}

function slotOf(value: unknown): number | null {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= -1 && n < 1_000_000 ? n : null;
}

function typeName(value: unknown): string {
  // Slot types are strings ("IMAGE", "*", "INT,FLOAT"); litegraph also writes 0 or -1 for "any".
  return typeof value === 'string' && value.length <= LIMITS.nameChars ? value : '*';
}

function nameOf(value: unknown): string | null {
  return typeof value === 'string' && value.length <= LIMITS.nameChars ? value : null;
}

function point(value: unknown): readonly [number, number] {
  // New files write [x, y], which we keep (no copy per node: nothing writes to it); old ones {"0": x, "1": y}.
  if (Array.isArray(value) && value.length === 2 && Number.isFinite(value[0]) && Number.isFinite(value[1]))
    return value as [number, number];
  const x = Array.isArray(value) ? value[0] : isObject(value) ? own(value, '0') : undefined;
  const y = Array.isArray(value) ? value[1] : isObject(value) ? own(value, '1') : undefined;
  return [typeof x === 'number' && Number.isFinite(x) ? x : 0, typeof y === 'number' && Number.isFinite(y) ? y : 0];
}

export function parseLink(entry: unknown, at: string): UiLink | null {
  if (entry === null || entry === undefined) return null; // old files leave holes
  let id: unknown, o: unknown, os: unknown, t: unknown, ts: unknown, type: unknown;
  if (Array.isArray(entry)) [id, o, os, t, ts, type] = entry as unknown[];
  else if (isObject(entry)) {
    id = own(entry, 'id');
    o = own(entry, 'origin_id');
    os = own(entry, 'origin_slot');
    t = own(entry, 'target_id');
    ts = own(entry, 'target_slot');
    type = own(entry, 'type');
  } else fail(`A link${at} is neither a list nor an object.`);
  const linkId = idOf(id);
  if (linkId === null) fail(`A link${at} has no valid id.`);
  const originId = idOf(o);
  const targetId = idOf(t);
  const originSlot = slotOf(os);
  const targetSlot = slotOf(ts);
  if (originId === null || targetId === null || originSlot === null || targetSlot === null) {
    fail(
      `Link ${shown(linkId, 40)}${at} is malformed: it needs an origin node, an origin slot, a target node and a target slot.`,
    );
  }
  return { id: linkId, originId, originSlot, targetId, targetSlot, type: typeName(type) };
}

interface Budget {
  nodes: number;
  links: number;
}

/** Link ids as strings, in a list of its exact size (the graph lives through the whole conversion). */
function idList(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  let n = 0;
  for (const v of value as unknown[]) if (isId(v)) n++;
  const out = new Array<string>(n);
  let i = 0;
  for (const v of value as unknown[]) if (isId(v)) out[i++] = String(v);
  return out;
}

function parseInputs(value: unknown, node: UiNode): UiInput[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(`The inputs of ${placeOf(node)} are not a list.`);
  // The frontend skips what it cannot read; so do we. Counted first, so the list has its exact size
  // (pushing into [] reserves 17 places, kept as long as the graph).
  let n = 0;
  for (const entry of value as unknown[]) if (isObject(entry)) n++;
  const out = new Array<UiInput>(n);
  let i = 0;
  for (const entry of value as unknown[]) {
    if (!isObject(entry)) continue;
    const name = nameOf(own(entry, 'name'));
    if (name === null) fail(`An input of ${placeOf(node)} has no valid name.`);
    const link = own(entry, 'link');
    const widget = own(entry, 'widget');
    const label = own(entry, 'label');
    out[i++] = {
      name,
      type: typeName(own(entry, 'type')),
      link: link === null || link === undefined ? null : idOf(link),
      widget: isObject(widget) ? nameOf(own(widget, 'name')) : null,
      label: typeof label === 'string' && label.length > 0 ? shown(label, LIMITS.titleChars) : null,
    };
  }
  return out;
}

function parseOutputs(value: unknown, node: UiNode): UiOutput[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(`The outputs of ${placeOf(node)} are not a list.`);
  return (value as unknown[]).map((entry) => {
    if (!isObject(entry)) return { name: '', type: '*' };
    return { name: nameOf(own(entry, 'name')) ?? '', type: typeName(own(entry, 'type')) };
  });
}

/** The ids of the links leaving output `slot` of `node`, as saved. */
export function outputLinks(node: UiNode, slot: number): string[] {
  const outputs = own(node.raw, 'outputs');
  const entry: unknown = Array.isArray(outputs) ? outputs[slot] : undefined;
  return isObject(entry) ? idList(own(entry, 'links')) : [];
}

function parseProxyWidgets(properties: unknown): [string, string][] | null {
  if (!isObject(properties)) return null;
  let value = own(properties, 'proxyWidgets');
  if (typeof value === 'string' && value.length < 100_000) {
    try {
      value = JSON.parse(value) as unknown; // the frontend accepts the property as JSON text too
    } catch {
      return null;
    }
  }
  if (!Array.isArray(value)) return null;
  const out: [string, string][] = [];
  for (const pair of value as unknown[]) {
    if (Array.isArray(pair) && pair.length === 2 && typeof pair[0] === 'string' && typeof pair[1] === 'string') {
      out.push([pair[0], pair[1]]);
    }
  }
  return out;
}

/** A node's lists until they are read (just after: they need the node for their messages); not one [] per node. */
const UNREAD: never[] = [];

function parseNode(entry: unknown, index: number, scope: Scope, budget: Budget, at: string): UiNode {
  if (!isObject(entry)) fail(`Node #${index + 1}${at} is not an object.`);
  if (--budget.nodes < 0)
    fail(`The workflow has more than ${LIMITS.nodes.toLocaleString('en')} nodes, more than Comfy Desk reads.`);
  const rawId = own(entry, 'id');
  const id = idOf(rawId);
  if (id === null) fail(`Node #${index + 1}${at} has no valid id.`);
  const type = nameOf(own(entry, 'type'));
  const title = own(entry, 'title');
  const mode = own(entry, 'mode');
  const node: UiNode = {
    id,
    index,
    type: type ?? '',
    title: typeof title === 'string' && title.length > 0 ? shown(title, LIMITS.titleChars) : null,
    mode: typeof mode === 'number' && Number.isInteger(mode) ? mode : MODE_ALWAYS,
    pos: point(own(entry, 'pos')),
    size: point(own(entry, 'size')),
    inputs: UNREAD,
    outputs: UNREAD,
    widgetsValues: null,
    proxyWidgets: null,
    scope,
    raw: entry,
  };
  if (!type) fail(`${placeOf(node)} has no node type.`);
  node.inputs = parseInputs(own(entry, 'inputs'), node);
  node.outputs = parseOutputs(own(entry, 'outputs'), node);
  const wv = own(entry, 'widgets_values');
  node.widgetsValues = Array.isArray(wv) || isObject(wv) ? wv : null;
  node.proxyWidgets = parseProxyWidgets(own(entry, 'properties'));
  return node;
}

function readScope(scope: Scope, nodes: unknown, links: unknown, budget: Budget, at: string): void {
  if (!Array.isArray(nodes)) fail(`The workflow's node list${at} is missing or not a list.`);
  (nodes as unknown[]).forEach((entry, i) => {
    const node = parseNode(entry, i, scope, budget, at);
    if (scope.nodes.has(node.id))
      fail(`Two nodes have the id ${shown(node.id, 40)}${at}: every node needs its own id.`);
    scope.nodes.set(node.id, node);
    scope.order.push(node);
  });
  if (links === undefined || links === null) return;
  if (!Array.isArray(links)) fail(`The workflow's link list${at} is not a list.`);
  for (const entry of links as unknown[]) {
    if (--budget.links < 0)
      fail(`The workflow has more than ${LIMITS.links.toLocaleString('en')} links, more than Comfy Desk reads.`);
    const link = parseLink(entry, at);
    if (!link) continue;
    if (scope.links.has(link.id)) fail(`Two links have the id ${shown(link.id, 40)}${at}.`);
    scope.links.set(link.id, link);
  }
}

function parseSlots(value: unknown, what: string, at: string): SubgraphSlot[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(`The ${what} of subgraph “${shown(at)}” are not a list.`);
  return (value as unknown[]).map((entry) => {
    if (!isObject(entry)) fail(`An entry of the ${what} of subgraph “${shown(at)}” is not an object.`);
    const name = nameOf(own(entry, 'name'));
    if (name === null) fail(`One of the ${what} of subgraph “${shown(at)}” has no valid name.`);
    const linkIds = own(entry, 'linkIds');
    const label = own(entry, 'label');
    return {
      name,
      type: typeName(own(entry, 'type')),
      label: typeof label === 'string' && label.length > 0 ? shown(label, LIMITS.titleChars) : null,
      linkIds: idList(linkIds),
    };
  });
}

/** Every subgraph definition: `definitions.subgraphs`, and those nested in definitions (walked without recursion). */
function readSubgraphs(ui: Raw, budget: Budget): Map<string, SubgraphDef> {
  const out = new Map<string, SubgraphDef>();
  const pending: unknown[] = [];
  const pushDefs = (holder: Raw) => {
    const defs = own(holder, 'definitions');
    if (!isObject(defs)) return;
    const list = own(defs, 'subgraphs');
    if (list === undefined || list === null) return;
    if (!Array.isArray(list)) fail('The workflow’s subgraph definitions are not a list.');
    for (const entry of list as unknown[]) pending.push(entry);
  };
  pushDefs(ui);
  while (pending.length > 0) {
    const entry = pending.pop();
    if (!isObject(entry)) fail('A subgraph definition is not an object.');
    const id = idOf(own(entry, 'id'));
    if (id === null) fail('A subgraph definition has no valid id.');
    const rawName = own(entry, 'name');
    const name = typeof rawName === 'string' && rawName.length > 0 ? shown(rawName, LIMITS.titleChars) : id;
    if (out.has(id)) {
      // The same definition may be repeated (copied with its parent); a different one under the same id is ambiguous.
      if (out.get(id)!.raw !== entry && JSON.stringify(out.get(id)!.raw) !== JSON.stringify(entry)) {
        fail(`Two different subgraph definitions have the id ${shown(id, 40)} (“${shown(name)}”).`);
      }
      continue;
    }
    if (out.size >= LIMITS.subgraphs) fail(`The workflow has more than ${LIMITS.subgraphs} subgraph definitions.`);
    const scope: Scope = { subgraph: null, nodes: new Map(), order: [], links: new Map() };
    const def: SubgraphDef = {
      id,
      name,
      inputs: parseSlots(own(entry, 'inputs'), 'inputs', name),
      outputs: parseSlots(own(entry, 'outputs'), 'outputs', name),
      scope,
      raw: entry,
    };
    scope.subgraph = def;
    out.set(id, def);
    readScope(scope, own(entry, 'nodes') ?? [], own(entry, 'links'), budget, ` in subgraph “${shown(name)}”`);
    pushDefs(entry);
  }
  return out;
}

export const GROUP_NODE_PREFIXES = ['workflow>', 'workflow/'];

/** The group-node definition name of a node type (`workflow>Name`, older `workflow/Name`), else null. */
export function groupNodeName(type: string): string | null {
  for (const prefix of GROUP_NODE_PREFIXES) if (type.startsWith(prefix)) return type.slice(prefix.length);
  return null;
}

function readGroupNodes(ui: Raw, budget: Budget): Map<string, GroupNodeDef> {
  const out = new Map<string, GroupNodeDef>();
  const extra = own(ui, 'extra');
  const defs = isObject(extra) ? own(extra, 'groupNodes') : undefined;
  if (!isObject(defs)) return out;
  for (const [name, entry] of Object.entries(defs)) {
    if (!isObject(entry)) fail(`Group node “${shown(name)}” has no definition.`);
    const at = ` in group node “${shown(name)}”`;
    const scope: Scope = { subgraph: null, nodes: new Map(), order: [], links: new Map() };
    const list = own(entry, 'nodes');
    if (!Array.isArray(list)) fail(`Group node “${shown(name)}” has no node list.`);
    // Inner nodes are known by their index in the list, which is also their id in the prompt (`<group id>:<index>`).
    const nodes = (list as unknown[]).map((n, i) => {
      const node = parseNode(isObject(n) ? { ...n, id: i } : n, i, scope, budget, at);
      node.raw = n as Raw; // write back into the definition, not into our copy
      return node;
    });
    const links: GroupNodeDef['links'] = [];
    const rawLinks = own(entry, 'links');
    for (const l of Array.isArray(rawLinks) ? (rawLinks as unknown[]) : []) {
      if (--budget.links < 0) fail(`The workflow has more than ${LIMITS.links.toLocaleString('en')} links.`);
      if (!Array.isArray(l)) continue;
      const [o, os, t, ts, , type] = l as unknown[];
      const originSlot = slotOf(os);
      const target = slotOf(t);
      const targetSlot = slotOf(ts);
      const origin = o === null || o === undefined ? null : slotOf(o);
      if (
        originSlot === null ||
        target === null ||
        targetSlot === null ||
        (o !== null && o !== undefined && origin === null)
      ) {
        fail(`A link${at} is malformed.`);
      }
      if (target < 0 || target >= nodes.length || (origin !== null && (origin < 0 || origin >= nodes.length))) {
        fail(`A link${at} points to an inner node that does not exist.`);
      }
      links.push([origin, originSlot, target, targetSlot, typeName(type)]);
    }
    const config: GroupNodeDef['config'] = new Map();
    const rawConfig = own(entry, 'config');
    if (isObject(rawConfig)) {
      for (const [key, c] of Object.entries(rawConfig)) {
        const index = slotOf(key);
        if (index === null || !isObject(c)) continue;
        const input = new Map<string, GroupSlotConfig>();
        const output = new Map<number, GroupSlotConfig>();
        const ci = own(c, 'input');
        if (isObject(ci)) {
          for (const [k, v] of Object.entries(ci)) {
            if (isObject(v)) input.set(k, { name: nameOf(own(v, 'name')), visible: visibleOf(own(v, 'visible')) });
          }
        }
        const co = own(c, 'output');
        if (isObject(co)) {
          for (const [k, v] of Object.entries(co)) {
            const slot = slotOf(k);
            if (slot !== null && isObject(v))
              output.set(slot, { name: nameOf(own(v, 'name')), visible: visibleOf(own(v, 'visible')) });
          }
        }
        config.set(index, { input, output });
      }
    }
    const external = new Set<string>();
    const rawExternal = own(entry, 'external');
    for (const e of Array.isArray(rawExternal) ? (rawExternal as unknown[]) : []) {
      // Old files put the whole node object here; the frontend then keys it "[object Object]", which matches nothing.
      if (Array.isArray(e) && typeof e[0] === 'number' && typeof e[1] === 'number') external.add(`${e[0]}:${e[1]}`);
    }
    out.set(name, { name, nodes, links, config, external, raw: entry });
  }
  return out;
}

function readGroups(ui: Raw): UiGroup[] {
  const groups = own(ui, 'groups');
  if (!Array.isArray(groups)) return [];
  const out: UiGroup[] = [];
  for (const g of groups as unknown[]) {
    if (!isObject(g)) continue;
    const b = own(g, 'bounding');
    if (!Array.isArray(b) || b.length < 4 || !b.slice(0, 4).every((n) => typeof n === 'number' && Number.isFinite(n)))
      continue;
    const title = own(g, 'title');
    const color = own(g, 'color');
    out.push({
      title: typeof title === 'string' ? shown(title, LIMITS.titleChars) : 'Group',
      bounding: [b[0] as number, b[1] as number, b[2] as number, b[3] as number],
      color: typeof color === 'string' && color.length <= 64 ? color : null,
    });
  }
  return out;
}

/** Reads and checks a UI-format workflow. Throws DeskError('invalid_input') naming the first problem. */
export function readUiGraph(ui: unknown): UiGraph {
  if (!isObject(ui) || !Array.isArray(own(ui, 'nodes'))) {
    fail('This is not a UI-format workflow: it needs a "nodes" list (and usually "links").');
  }
  if (depthOf(ui, LIMITS.jsonDepth) > LIMITS.jsonDepth) {
    fail(`The workflow is nested more than ${LIMITS.jsonDepth} levels deep, which no real workflow is.`);
  }
  const budget: Budget = { nodes: LIMITS.nodes, links: LIMITS.links };
  const root: Scope = { subgraph: null, nodes: new Map(), order: [], links: new Map() };
  readScope(root, own(ui, 'nodes'), own(ui, 'links'), budget, '');
  return {
    root,
    subgraphs: readSubgraphs(ui, budget),
    groupNodes: readGroupNodes(ui, budget),
    groups: readGroups(ui),
    raw: ui,
  };
}

export { where as scopeSuffix };
