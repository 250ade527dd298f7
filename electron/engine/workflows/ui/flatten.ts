// The API prompt from the expanded graph, as the frontend's graphToPrompt (executionUtil.ts) builds it:
// each sent node's widget values, then each linked input resolved to the real node behind it
// (ExecutableNodeDTO.resolveInput / resolveOutput): through Reroutes, through bypassed nodes (the
// input of the same slot, else the first of the output's type), out of a subgraph through its
// instance's inputs, into a subgraph through its outputs, and through legacy group nodes. Links to
// muted nodes disappear with them. PrimitiveNodes write their value into the widgets they feed
// (widgetInputs.ts applyToGraph); subgraph instances hold promoted widgets (SubgraphNode, proxyWidget.ts).
//
// Resolution is a loop over states, not recursion, and remembers every state's answer: a chain of
// 100,000 Reroutes costs one walk, and a loop of links is found and named.
import type { ApiNode, ApiWorkflow } from '../api-format';
import type { ObjectInfo } from '../validate';
import {
  fail,
  LIMITS,
  MODE_BYPASS,
  MODE_NEVER,
  outputLinks,
  placeOf,
  shown,
  SUBGRAPH_INPUT_ID,
  type SubgraphSlot,
  type UiInput,
  type UiLink,
  type UiNode,
} from './graph';
import { innerNode, nodeBeside, type ExecNode, type Expansion, type Promoted, type Source } from './expand';
import { compileGroup, type CompiledGroup } from './group-node';
import { Scratch } from './scratch';
import { defaultOf, NodeValues } from './widgets';

export interface Flat {
  prompt: ApiWorkflow;
  /** `apiId\0input` → where the value came from in the file (only the first input fed by a shared value). */
  writeBack: Map<string, Source>;
  /** A value's source → the prompt input it shows through (the first one fed from it). */
  keyOfSource: Map<Source, { apiId: string; input: string }>;
  /** The other prompt inputs (`apiId.input`) a value feeds past its first: a PrimitiveNode's, a promoted widget's. */
  alsoOfSource: Map<Source, string[]>;
  /** Per sent node, its widgets fed by a link or a shared value (the form shows them elsewhere or not at all). */
  fed: Map<ExecNode, string[]>;
}

type Resolved =
  | { kind: 'none' }
  | { kind: 'value'; value: unknown; source: Source | null }
  | { kind: 'link'; origin: ExecNode; slot: number }
  | { kind: 'drop' };

type OutState = { t: 'out'; exec: ExecNode; slot: number; type: string };
type State = { t: 'in'; exec: ExecNode; link: string; type: string } | OutState;

const NONE: Resolved = { kind: 'none' };
const DROP: Resolved = { kind: 'drop' };
/** A state being walked (in the memo until its answer is known). */
const OPEN: Resolved = { kind: 'none' };

/** litegraph's isValidConnection: "*", "" and 0 match anything; "A,B" lists match any member; case-insensitive. */
export function validConnection(a: string, b: string): boolean {
  if (a === '' || a === '*' || a === '0' || b === '' || b === '*' || b === '0' || a === b) return true;
  const la = a.toLowerCase();
  const lb = b.toLowerCase();
  if (!la.includes(',') && !lb.includes(',')) return la === lb;
  const bs = lb.split(',');
  return la.split(',').some((x) => bs.some((y) => x === y || x === '*' || y === '*' || x === '' || y === ''));
}

/** Which input a bypassed node passes to output `slot` for a consumer of `type` (#getBypassSlotIndex). */
export function bypassIndex(inputs: { type: string }[], slot: number, outputType: string, type: string): number {
  if (type === '*' || type === '') return inputs.length > slot ? slot : 0;
  const same = inputs[slot];
  if (same && validConnection(same.type, outputType) && validConnection(same.type, type)) return slot;
  const exact = inputs.findIndex((i) => i.type === type);
  if (exact !== -1) return exact;
  return inputs.findIndex((i) => validConnection(i.type, outputType) && validConnection(i.type, type));
}

/** Whether the prompt holds this node: one that runs, not muted or bypassed, nor inside a muted or bypassed instance or group. */
export function sends(e: ExecNode): boolean {
  return (
    (e.kind === 'real' || e.kind === 'groupChild') &&
    !e.excluded &&
    e.node.mode !== MODE_NEVER &&
    e.node.mode !== MODE_BYPASS
  );
}

function wrap(value: unknown, exec: ExecNode, input: string): unknown {
  if (typeof value === 'string' && value.length > LIMITS.valueChars) {
    fail(
      `The value of “${shown(input)}” on ${placeOf(exec.node, exec.id)} is ${Math.round(value.length / 1e6)} million characters long, more than a workflow may hold.`,
    );
  }
  // Arrays mean links in the API format; the frontend sends array values wrapped (the server unwraps them).
  return Array.isArray(value) ? { __value__: value } : value;
}

/** How a person finds a prompt input, in a message. */
function inputPlace(e: ExecNode, input: string): string {
  return `Input “${shown(input)}” of ${placeOf(e.node, e.id)}`;
}

function noSubgraphInput(what: string, inst: ExecNode, k: number): never {
  fail(
    `${what} comes from input ${k + 1} of subgraph “${shown(inst.def!.name)}”, which has only ${inst.def!.inputs.length} inputs.`,
  );
}

/** The saved input of this name, the linked one if the file has it twice. */
function savedInput(node: UiNode, name: string): UiInput | undefined {
  let found: UiInput | undefined;
  for (const input of node.inputs) {
    if (input.name !== name) continue;
    if (input.link !== null) return input;
    found ??= input;
  }
  return found;
}

export interface FlattenOptions {
  /** Note where every sent value is in the file (for writing values back), not only the shared ones. */
  trackOwn?: boolean;
}

export function flatten(expansion: Expansion, objectInfo: ObjectInfo, options: FlattenOptions = {}): Flat {
  const { execs } = expansion;
  const lookup = (e: ExecNode, id: string): ExecNode | undefined => nodeBeside(expansion, e, id);

  // 1. Widget values of every real node, from its own widgets_values.
  for (const e of execs) {
    if (!e.schema) continue;
    e.values = new NodeValues(e.schema, e.node.widgetsValues, e.node.raw);
  }

  // 2. Subgraph instances' widgets, innermost first (an inner instance's widget can be promoted again).
  for (let i = execs.length - 1; i >= 0; i--) {
    const e = execs[i]!;
    if (e.kind === 'instance') promote(e);
  }

  // 3. Group nodes set their inner nodes' widgets.
  const groups = new Map<ExecNode, CompiledGroup>();
  for (const e of execs) {
    if (e.kind !== 'group' || !e.groupDef) continue;
    const compiled = compileGroup(e.groupDef, objectInfo);
    groups.set(e, compiled);
    applyGroupWidgets(e, compiled);
  }

  // 4. PrimitiveNodes write their value into every widget they feed.
  for (const e of execs)
    if (e.kind === 'virtual' && e.node.type === 'PrimitiveNode' && !e.group) applyPrimitive(e, lookup);

  // 5. Resolution of links. Remembered only at the outputs of nodes that pass a value on (Reroutes,
  // bypassed nodes, subgraph instances, group nodes): every loop and every long chain goes through
  // them. A link leads to one next state only (an output, or a link one subgraph level up), and the
  // output of a node that runs is the answer itself.
  const memo = new Map<string, Resolved>();
  /** The keys of the walk under way (one list for every walk: resolve() is not re-entered). */
  const chain: string[] = [];
  const keyOf = (s: OutState) => `${s.exec.id}\u0000${s.slot}\u0000${s.type}`;

  /** The answer of subgraph input `sgInput` of `inst`: the instance's link, else its promoted widget, else nothing. */
  const throughInstanceInput = (inst: ExecNode, sgInput: SubgraphSlot): State | Resolved => {
    const outer = savedInput(inst.node, sgInput.name);
    if (outer?.link != null) return { t: 'in', exec: inst, link: outer.link, type: sgInput.type };
    const widget = widgetNamed(inst.widgets, sgInput.name, false);
    return widget ? { kind: 'value', value: widget.value, source: widget.source } : NONE;
  };

  /** A group child's input: an inner link, else the group node's input, else nothing. */
  const groupChildInput = (child: ExecNode, input: string, type: string): State | Resolved => {
    const group = child.group!;
    const compiled = groups.get(group)!;
    const inner = compiled.internal.get(`${child.node.index}:${input}`);
    if (inner) {
      const origin = group.inner![inner.origin];
      if (!origin) return NONE;
      if (origin.node.type === 'PrimitiveNode') return NONE; // its value is already in the widget
      return { t: 'out', exec: origin, slot: inner.slot, type };
    }
    const j = compiled.inputs.findIndex((g) => g.child === child.node.index && g.input === input);
    if (j === -1) return NONE;
    const groupInputs = group.node.inputs;
    const outer = groupInputs.find((i) => i.name === compiled.inputs[j]!.name) ?? groupInputs[j];
    if (outer?.link == null) return NONE;
    return { t: 'in', exec: group, link: outer.link, type: outer.type };
  };

  // `asker` and `asked`: the prompt input being resolved, named in messages.
  const step = (s: State, asker: ExecNode, asked: string): State | Resolved => {
    const e = s.exec;
    if (s.t === 'in') {
      const scope = e.node.scope;
      const link = scope.links.get(s.link);
      if (!link) fail(`${inputPlace(asker, asked)} uses link ${shown(s.link, 40)}, which is not in the workflow.`);
      if (link.originId === SUBGRAPH_INPUT_ID && e.instance) {
        const sgInput = e.instance.def!.inputs[link.originSlot];
        if (!sgInput) noSubgraphInput(`Link ${shown(link.id, 40)}`, e.instance, link.originSlot);
        return throughInstanceInput(e.instance, sgInput);
      }
      const origin = lookup(e, link.originId);
      if (!origin) {
        fail(
          `Link ${shown(link.id, 40)} into ${placeOf(e.node, e.id)} comes from node ${shown(link.originId, 40)}, which is not in the ${scope.subgraph ? `subgraph “${shown(scope.subgraph.name)}”` : 'workflow'}.`,
        );
      }
      return { t: 'out', exec: origin, slot: link.originSlot, type: s.type };
    }
    // s.t === 'out'
    if (e.excluded) return DROP;
    const mode = e.node.mode;
    if (e.kind === 'group') {
      const compiled = groups.get(e)!;
      if (mode === MODE_NEVER) return DROP;
      if (mode === MODE_BYPASS) {
        // The group node's own bypass: the input of the same slot, else the first of exactly this type.
        const ins = e.node.inputs;
        const idx = [s.slot, ...ins.keys()].find((i) => ins[i]?.type === s.type);
        const input = idx === undefined ? undefined : ins[idx];
        return input?.link != null ? { t: 'in', exec: e, link: input.link, type: input.type } : NONE;
      }
      const out = compiled.outputs[s.slot];
      if (!out)
        fail(
          `${inputPlace(asker, asked)} uses output ${s.slot + 1} of group node ${placeOf(e.node, e.id)}, which has only ${compiled.outputs.length} outputs.`,
        );
      const child = e.inner![out.child];
      return child ? { t: 'out', exec: child, slot: out.slot, type: s.type } : NONE;
    }
    if (mode === MODE_BYPASS && e.kind !== 'virtual') {
      const inputs = runtimeInputs(e);
      const idx = bypassIndex(inputs, s.slot, outputType(e, s.slot), s.type);
      const input = idx === -1 ? undefined : inputs[idx];
      if (!input) return NONE;
      if (e.kind === 'groupChild') return groupChildInput(e, input.name, input.type);
      const link = savedInput(e.node, input.name)?.link;
      return link != null ? { t: 'in', exec: e, link, type: input.type } : NONE;
    }
    if (e.kind === 'instance') {
      const def = e.def!;
      const sgOutput = def.outputs[s.slot];
      if (!sgOutput)
        fail(
          `${inputPlace(asker, asked)} uses output ${s.slot + 1} of ${placeOf(e.node, e.id)}, whose subgraph has only ${def.outputs.length} outputs.`,
        );
      if (mode === MODE_NEVER) return DROP;
      const first = sgOutput.linkIds[0];
      const link = first === undefined ? undefined : def.scope.links.get(first);
      if (!link) return NONE;
      if (link.originId === SUBGRAPH_INPUT_ID) {
        const sgInput = def.inputs[link.originSlot];
        if (!sgInput)
          noSubgraphInput(`Output “${shown(sgOutput.name)}” of subgraph “${shown(def.name)}”`, e, link.originSlot);
        return throughInstanceInput(e, sgInput);
      }
      const inner = innerNode(e, link.originId);
      if (!inner)
        fail(
          `Output “${shown(sgOutput.name)}” of subgraph “${shown(def.name)}” comes from node ${shown(link.originId, 40)}, which is not in it.`,
        );
      return { t: 'out', exec: inner, slot: link.originSlot, type: s.type };
    }
    if (e.kind === 'virtual') {
      // A Reroute passes its input on; a PrimitiveNode or a Note has none (its value is already in place).
      if (e.group)
        return e.node.type === 'Reroute'
          ? groupChildInput(e, groups.get(e.group)!.slotNames.get(e.node.index)?.[0] ?? '', s.type)
          : NONE;
      const input = e.node.inputs[s.slot];
      return input?.link != null ? { t: 'in', exec: e, link: input.link, type: s.type } : NONE;
    }
    if (mode === MODE_NEVER) return DROP;
    const outputs = e.schema?.outputs ?? [];
    if (
      s.slot < 0 ||
      (outputs.length > 0 && s.slot >= outputs.length) ||
      (outputs.length === 0 && s.slot >= Math.max(1, e.node.outputs.length))
    ) {
      fail(
        `${inputPlace(asker, asked)} uses output ${s.slot + 1} of ${placeOf(e.node, e.id)}, which has only ${outputs.length} outputs.`,
      );
    }
    return { kind: 'link', origin: e, slot: s.slot };
  };

  /** The node link `link` into `e` comes straight from when that node runs, in the same graph (most links). */
  const direct = (e: ExecNode, link: UiLink): ExecNode | undefined => {
    if (link.originId === SUBGRAPH_INPUT_ID) return undefined;
    const origin = lookup(e, link.originId);
    return origin &&
      origin.kind === 'real' &&
      !origin.excluded &&
      origin.node.mode !== MODE_NEVER &&
      origin.node.mode !== MODE_BYPASS &&
      link.originSlot >= 0 &&
      link.originSlot < (origin.schema?.outputs.length ?? 0)
      ? origin
      : undefined;
  };

  const resolve = (start: State, asker: ExecNode, asked: string): Resolved => {
    // The states of one walk are marked as open in the memo itself: meeting one again is a loop.
    let state: State = start;
    let result: Resolved;
    let open = 0;
    for (;;) {
      if (state.t === 'in') {
        // Most links go straight to a node that runs, in the same graph.
        const link = state.exec.node.scope.links.get(state.link);
        const origin = link && direct(state.exec, link);
        if (origin) {
          result = { kind: 'link', origin, slot: link.originSlot };
          break;
        }
      } else if (state.exec.kind !== 'real' || state.exec.node.mode === MODE_BYPASS) {
        const key = keyOf(state);
        const known = memo.get(key);
        if (known === OPEN) {
          fail(
            `${inputPlace(asker, asked)}: its links go round in a loop (through ${placeOf(state.exec.node, state.exec.id)}), so it never reaches a node that makes a value.`,
          );
        }
        if (known) {
          result = known;
          break;
        }
        memo.set(key, OPEN);
        chain[open++] = key;
      }
      const next = step(state, asker, asked);
      if ('t' in next) state = next;
      else {
        result = next;
        break;
      }
    }
    for (let i = 0; i < open; i++) memo.set(chain[i]!, result);
    return result;
  };

  // 6. The prompt: every sent node's widgets, then its links.
  const prompt: ApiWorkflow = {};
  const writeBack = new Map<string, Source>();
  const keyOfSource = new Map<Source, { apiId: string; input: string }>();
  const alsoOfSource = new Map<Source, string[]>();
  const fed = new Map<ExecNode, string[]>();
  /** Links between sent nodes (places in `execs`), for the loop check. */
  const edgeFrom: number[] = [];
  const edgeTo: number[] = [];
  // Links to a node that is not sent, removed at the end as the frontend does last (none so far:
  // resolution drops muted nodes itself), so the prompt is not walked again for them.
  const unsent: { inputs: Record<string, unknown>; name: string; link: unknown[] }[] = [];
  // The node being built: inputs a link dropped, inputs fed by a link or a shared value. Lists
  // reused from node to node, as nodes have a few inputs and a Set each would be garbage.
  const dropped = new Scratch<string>();
  const fedHere = new Scratch<string>();
  // The links put into the node being built: those it still holds at the end, from a sent node, are edges.
  const linkNames = new Scratch<string>();
  const linkValues = new Scratch<unknown[]>();
  const linkOrigins = new Scratch<ExecNode>();
  const claim = (apiId: string, input: string, source: Source | null | undefined) => {
    if (!source) return;
    if (keyOfSource.has(source)) {
      const also = alsoOfSource.get(source);
      if (also) also.push(`${apiId}.${input}`);
      else alsoOfSource.set(source, [`${apiId}.${input}`]);
      return;
    }
    keyOfSource.set(source, { apiId, input });
    writeBack.set(`${apiId}\u0000${input}`, source);
  };
  const putLink = (inputs: Record<string, unknown>, name: string, origin: ExecNode, slot: number) => {
    const link = [origin.id, slot];
    setOwn(inputs, name, link);
    fedHere.push(name);
    linkNames.push(name);
    linkValues.push(link);
    linkOrigins.push(origin);
    if (!sends(origin)) unsent.push({ inputs, name, link });
  };
  const put = (e: ExecNode, inputs: Record<string, unknown>, name: string, r: Resolved) => {
    if (r.kind === 'none') return;
    if (r.kind === 'drop') {
      delete inputs[name];
      dropped.push(name);
    } else if (r.kind === 'value') {
      setOwn(inputs, name, wrap(r.value, e, name));
      claim(e.id, name, r.source);
      fedHere.push(name);
    } else putLink(inputs, name, r.origin, r.slot);
  };
  for (const e of execs) {
    if (!sends(e)) continue;
    const schema = e.schema!;
    const inputs: Record<string, unknown> = {};
    for (const slot of schema.slots) {
      if (slot.kind !== 'value') continue;
      const value = e.values!.get(slot.input);
      if (value === undefined) continue;
      setOwn(inputs, slot.input, wrap(value, e, slot.input));
    }
    dropped.clear();
    fedHere.clear();
    linkNames.clear();
    linkValues.clear();
    linkOrigins.clear();
    if (e.kind === 'groupChild') {
      for (const name of groups.get(e.group!)!.slotNames.get(e.node.index) ?? []) {
        const first = groupChildInput(e, name, schema.inputs.get(name)?.type ?? '*');
        put(e, inputs, name, 't' in first ? resolve(first, e, name) : first);
      }
    } else {
      for (const input of e.node.inputs) {
        if (input.link === null) continue;
        const link = e.node.scope.links.get(input.link);
        const origin = link && direct(e, link);
        if (origin) {
          putLink(inputs, input.name, origin, link.originSlot);
          continue;
        }
        const type = schema.inputs.get(input.name)?.type ?? input.type;
        put(e, inputs, input.name, resolve({ t: 'in', exec: e, link: input.link, type }, e, input.name));
      }
    }
    // Widgets that kept their value: it came from the node itself, a PrimitiveNode or the group node.
    for (const slot of schema.slots) {
      if (slot.kind !== 'value' || !Object.hasOwn(inputs, slot.input) || dropped.includes(slot.input)) continue;
      if (fedHere.includes(slot.input)) continue;
      const shared = e.values!.override(slot.input);
      if (shared) claim(e.id, slot.input, shared);
      else if (options.trackOwn) claim(e.id, slot.input, e.values!.ownSource(slot.input));
    }
    const node: ApiNode = { inputs, class_type: schema.type, _meta: { title: e.node.title ?? schema.displayName } };
    setOwn(prompt, e.id, node);
    // Its links that stay, from a node that is sent: the edges the loop check follows.
    for (let k = 0; k < linkValues.size; k++) {
      const origin = linkOrigins.get(k);
      if (sends(origin) && inputs[linkNames.get(k)] === linkValues.get(k)) {
        edgeFrom.push(origin.order);
        edgeTo.push(e.order);
      }
    }
    // Only widgets: the layout asks no other name, and most nodes then need no entry.
    let fedWidgets: string[] | null = null;
    for (let i = 0; i < fedHere.size; i++) {
      const name = fedHere.get(i);
      if (e.values!.has(name)) (fedWidgets ??= []).push(name);
    }
    if (fedWidgets) fed.set(e, fedWidgets);
  }
  for (const { inputs, name, link } of unsent) if (inputs[name] === link) delete inputs[name];
  checkAcyclic(execs, edgeFrom, edgeTo);
  return { prompt, writeBack, keyOfSource, alsoOfSource, fed };
}

/**
 * Sets an own property, also one named "__proto__" (which plain assignment would take as the
 * prototype). Plain objects rather than prototype-less ones: V8 keeps them fast, and callers get
 * ordinary objects.
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

function runtimeInputs(e: ExecNode): { name: string; type: string }[] {
  if (e.kind === 'instance') return e.def!.inputs.map((i) => ({ name: i.name, type: i.type }));
  const declared = e.schema?.runtimeInputs ?? [];
  const names = new Set(declared.map((d) => d.name));
  // Inputs the file has that the definition lacks (added by custom code) come after, as the frontend keeps them.
  const extra = e.node.inputs.filter((i) => !names.has(i.name)).map((i) => ({ name: i.name, type: i.type }));
  return extra.length > 0 ? [...declared, ...extra] : declared;
}

function outputType(e: ExecNode, slot: number): string {
  if (e.kind === 'instance') return e.def!.outputs[slot]?.type ?? '*';
  return e.schema?.outputs[slot] ?? e.node.outputs[slot]?.type ?? '*';
}

/**
 * A subgraph instance's widgets (SubgraphNode._internalConfigureAfterSlots, LGraphNode.configure,
 * proxyWidget.ts onConfigure): one per subgraph input that reaches an inner widget, holding that
 * widget's value; the instance's `widgets_values` set them in order; then `proxyWidgets` reorders
 * them, adds views of inner widgets (`["69", "seed"]`), and sets the `["-1", name]` ones again from
 * the value at the same position.
 */
function promote(e: ExecNode): void {
  // Loops rather than find() or forEach() with closures, as this runs for every instance.
  const def = e.def!;
  const raw = e.node.raw;
  const base: Promoted[] = [];
  for (const sgInput of def.inputs) {
    for (const linkId of sgInput.linkIds) {
      const link = def.scope.links.get(linkId);
      if (!link) continue; // a dangling id only logs "Link not found" in the frontend
      const node = innerNode(e, link.targetId);
      if (!node) continue;
      const target = linkedInput(node.node, linkId);
      if (!target?.widget) continue;
      let value: unknown;
      let has = false;
      if (node.values?.has(target.widget)) {
        value = node.values.get(target.widget);
        has = true;
      } else if (node.kind === 'instance') {
        const w = widgetNamed(node.widgets, target.widget, false);
        if (w) {
          value = w.value;
          has = true;
        }
      }
      if (!has) continue;
      base.push({ name: sgInput.name, label: sgInput.label, value, source: null, proxy: null });
      break;
    }
  }
  const wv = e.node.widgetsValues;
  if (Array.isArray(wv)) {
    for (let i = 0; i < base.length && i < wv.length; i++) {
      base[i]!.value = wv[i];
      base[i]!.source = { raw, index: i };
    }
  }
  const parsed = e.node.proxyWidgets;
  let widgets = base;
  if (parsed) {
    const fresh: Promoted[] = [];
    for (const [nodeId, widget] of parsed) {
      if (nodeId === '-1') {
        const w = widgetNamed(base, widget, false);
        if (w) fresh.push(w);
      } else {
        const target = innerNode(e, nodeId);
        let value: unknown;
        let source: Source | null = null;
        if (target?.values?.has(widget)) {
          value = target.values.get(widget);
          source = target.values.source(widget) ?? null;
        } else if (target?.kind === 'instance') {
          const w = widgetNamed(target.widgets, widget, true);
          value = w?.value;
          source = w?.source ?? null;
        }
        fresh.push({ name: `${nodeId}: ${widget}`, label: null, value, source, proxy: { nodeId, widget } });
      }
    }
    // The widgets proxyWidgets does not name keep their place, before those it names.
    widgets = [];
    for (const w of base) if (!proxyNames(parsed, w.name)) widgets.push(w);
    for (const w of fresh) widgets.push(w);
    if (Array.isArray(wv)) {
      for (let i = 0; i < wv.length && i < parsed.length; i++) {
        const entry = parsed[i]!;
        if (entry[0] !== '-1') continue;
        const w = widgetNamed(widgets, entry[1], true);
        if (wv[i] !== null && w) {
          w.value = wv[i];
          w.source = { raw, index: i };
        }
      }
    }
  }
  // Values the file does not hold yet are written after the last one it has.
  for (let i = 0; i < widgets.length; i++) {
    const w = widgets[i]!;
    if (!w.source && !w.proxy) w.source = { raw, index: Array.isArray(wv) ? Math.max(wv.length, i) : i };
  }
  e.widgets = widgets;
}

/** Whether a proxyWidgets list names this widget. */
function proxyNames(parsed: [string, string][], name: string): boolean {
  for (const entry of parsed) if (entry[1] === name) return true;
  return false;
}

/** The first widget of this name; `views` false skips the views of inner widgets. */
function widgetNamed(widgets: readonly Promoted[], name: string, views: boolean): Promoted | undefined {
  for (const w of widgets) if (w.name === name && (views || !w.proxy)) return w;
  return undefined;
}

/** The input of `node` that link `linkId` goes into. */
function linkedInput(node: UiNode, linkId: string): UiInput | undefined {
  for (const input of node.inputs) if (input.link === linkId) return input;
  return undefined;
}

function applyGroupWidgets(e: ExecNode, compiled: CompiledGroup): void {
  const wv = e.node.widgetsValues;
  const pad = compiled.widgets.map((w) => defaultOf(w.def, w.kind));
  compiled.widgets.forEach((slot, i) => {
    if (slot.kind !== 'value') return;
    const value = Array.isArray(wv) && i < wv.length ? wv[i] : defaultOf(slot.def);
    const source: Source = { raw: e.node.raw, index: i, pad };
    const targets = compiled.primitiveTargets.get(slot.child) ?? [{ child: slot.child, input: slot.input }];
    for (const t of targets) {
      const child = e.inner![t.child];
      if (!child?.values?.has(t.input)) continue;
      child.values.set(t.input, value, source);
    }
  });
}

function applyPrimitive(e: ExecNode, lookup: (e: ExecNode, id: string) => ExecNode | undefined): void {
  const wv = e.node.widgetsValues;
  if (!Array.isArray(wv) || wv.length === 0) return;
  const value = wv[0];
  const source: Source = { raw: e.node.raw, index: 0 };
  e.primitiveSource = source;
  const links = outputLinks(e.node, 0);
  for (const linkId of links) {
    const link = e.node.scope.links.get(linkId);
    if (!link) continue; // the frontend warns and goes on
    const target = lookup(e, link.targetId);
    if (!target) continue;
    const input = linkedInput(target.node, linkId);
    const widget = input?.widget;
    if (!widget) continue;
    if (target.values?.has(widget)) {
      target.values.set(widget, value, source);
    } else if (target.kind === 'instance') {
      const w = widgetNamed(target.widgets, widget, false);
      if (w) {
        w.value = value;
        w.source = source;
      }
    }
  }
}

/** A prompt whose links go round in a loop never runs; say where, before the server refuses it. */
function checkAcyclic(execs: ExecNode[], from: number[], to: number[]): void {
  const n = execs.length;
  const indegree = new Int32Array(n);
  for (const t of to) indegree[t]!++;
  // Each node's consumers, one run per node.
  const start = new Int32Array(n + 1);
  for (const f of from) start[f + 1]!++;
  for (let i = 0; i < n; i++) start[i + 1]! += start[i]!;
  const next = start.slice(0, n);
  const consumers = new Int32Array(from.length);
  for (let k = 0; k < from.length; k++) consumers[next[from[k]!]!++] = to[k]!;
  // Nodes whose inputs are all ready, as a stack (each node enters it once).
  const ready = new Int32Array(n);
  let waiting = 0;
  for (let i = 0; i < n; i++) if (indegree[i] === 0) ready[waiting++] = i;
  let done = 0;
  while (waiting > 0) {
    const i = ready[--waiting]!;
    done++;
    for (let k = start[i]!; k < start[i + 1]!; k++) {
      const c = consumers[k]!;
      if (--indegree[c]! === 0) ready[waiting++] = c;
    }
  }
  if (done === n) return;
  const e = execs[indegree.findIndex((d) => d > 0)]!;
  fail(
    `The links of this workflow go round in a loop (through ${placeOf(e.node, e.id)}): ComfyUI cannot run a node that waits for its own result.`,
  );
}
