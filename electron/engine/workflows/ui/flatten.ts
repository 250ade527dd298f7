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
  placeOf,
  shown,
  SUBGRAPH_INPUT_ID,
  type UiInput,
  type UiNode,
} from './graph';
import type { ExecNode, Expansion, Promoted, Source } from './expand';
import { compileGroup, type CompiledGroup } from './group-node';
import { defaultOf, nodeValues, type NodeSchema } from './widgets';

export interface Flat {
  prompt: ApiWorkflow;
  /** `apiId\0input` → where the value came from in the file (only the first input fed by a shared value). */
  writeBack: Map<string, Source>;
  /** A value's source → the prompt input it shows through (the first one fed from it). */
  keyOfSource: Map<Source, { apiId: string; input: string }>;
  /** Whether the prompt holds this exec's id. */
  sent: Set<string>;
  /** `apiId\0input` of widget inputs fed by a link or a PrimitiveNode (the form shows them elsewhere or not at all). */
  fed: Set<string>;
}

type Resolved =
  | { kind: 'none' }
  | { kind: 'value'; value: unknown; source: Source | null }
  | { kind: 'link'; origin: string; slot: number }
  | { kind: 'drop' };

type State =
  { t: 'in'; exec: ExecNode; link: string; type: string } | { t: 'out'; exec: ExecNode; slot: number; type: string };

const NONE: Resolved = { kind: 'none' };
const DROP: Resolved = { kind: 'drop' };

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

function wrap(value: unknown, exec: ExecNode, input: string): unknown {
  if (typeof value === 'string' && value.length > LIMITS.valueChars) {
    fail(
      `The value of “${shown(input)}” on ${placeOf(exec.node, exec.id)} is ${Math.round(value.length / 1e6)} million characters long, more than a workflow may hold.`,
    );
  }
  // Arrays mean links in the API format; the frontend sends array values wrapped (the server unwraps them).
  return Array.isArray(value) ? { __value__: value } : value;
}

function savedInputs(node: UiNode): Map<string, UiInput> {
  const out = new Map<string, UiInput>();
  for (const input of node.inputs) if (!out.has(input.name) || input.link !== null) out.set(input.name, input);
  return out;
}

export function flatten(expansion: Expansion, objectInfo: ObjectInfo): Flat {
  const { execs, byId } = expansion;
  const inputsOf = new Map<ExecNode, Map<string, UiInput>>();
  const saved = (e: ExecNode) => {
    let m = inputsOf.get(e);
    if (!m) inputsOf.set(e, (m = savedInputs(e.node)));
    return m;
  };
  const lookup = (e: ExecNode, id: string): ExecNode | undefined =>
    byId.get(e.instance ? `${e.instance.id}:${id}` : id);

  // 1. Widget values of every real node, from its own widgets_values.
  for (const e of execs) {
    if (!e.schema) continue;
    e.values = nodeValues(e.schema, e.node.widgetsValues);
    const pad = padOf(e.schema);
    for (const [input, at] of e.values.slotIndex) {
      const src = e.values.sources.get(input);
      e.valueSources.set(input, { raw: e.node.raw, ...(src ?? { index: at }), pad });
    }
  }

  // 2. Subgraph instances' widgets, innermost first (an inner instance's widget can be promoted again).
  for (let i = execs.length - 1; i >= 0; i--) {
    const e = execs[i]!;
    if (e.kind === 'instance') promote(e, (id) => byId.get(`${e.id}:${id}`));
  }

  // 3. Group nodes set their inner nodes' widgets.
  const groups = new Map<ExecNode, CompiledGroup>();
  for (const e of execs) {
    if (e.kind !== 'group' || !e.groupDef) continue;
    const compiled = compileGroup(e.groupDef, objectInfo);
    groups.set(e, compiled);
    applyGroupWidgets(e, compiled, byId);
  }

  // 4. PrimitiveNodes write their value into every widget they feed.
  for (const e of execs)
    if (e.kind === 'virtual' && e.node.type === 'PrimitiveNode' && !e.group) applyPrimitive(e, lookup);

  // 5. Resolution of links, remembered per state.
  const memo = new Map<string, Resolved>();
  const keyOf = (s: State) =>
    s.t === 'in'
      ? `i\u0000${s.exec.id}\u0000${s.link}\u0000${s.type}`
      : `o\u0000${s.exec.id}\u0000${s.slot}\u0000${s.type}`;

  /** The answer of a subgraph input k of `inst`: the instance's link, else its promoted widget, else nothing. */
  const throughInstanceInput = (inst: ExecNode, k: number, at: () => string): State | Resolved => {
    const sgInput = inst.def!.inputs[k];
    if (!sgInput)
      fail(
        `${at()} comes from input ${k + 1} of subgraph “${shown(inst.def!.name)}”, which has only ${inst.def!.inputs.length} inputs.`,
      );
    const outer = saved(inst).get(sgInput.name);
    if (outer?.link != null) return { t: 'in', exec: inst, link: outer.link, type: sgInput.type };
    const widget = inst.widgets.find((w) => w.name === sgInput.name && !w.proxy);
    return widget ? { kind: 'value', value: widget.value, source: widget.source } : NONE;
  };

  /** A group child's input: an inner link, else the group node's input, else nothing. */
  const groupChildInput = (child: ExecNode, input: string, type: string): State | Resolved => {
    const group = child.group!;
    const compiled = groups.get(group)!;
    const inner = compiled.internal.get(`${child.index}:${input}`);
    if (inner) {
      const origin = byId.get(`${group.id}:${inner.origin}`);
      if (!origin) return NONE;
      if (origin.node.type === 'PrimitiveNode') return NONE; // its value is already in the widget
      return { t: 'out', exec: origin, slot: inner.slot, type };
    }
    const j = compiled.inputs.findIndex((g) => g.child === child.index && g.input === input);
    if (j === -1) return NONE;
    const groupInputs = group.node.inputs;
    const outer = groupInputs.find((i) => i.name === compiled.inputs[j]!.name) ?? groupInputs[j];
    if (outer?.link == null) return NONE;
    return { t: 'in', exec: group, link: outer.link, type: outer.type };
  };

  const step = (s: State, at: () => string): State | Resolved => {
    const e = s.exec;
    if (s.t === 'in') {
      const scope = e.node.scope;
      const link = scope.links.get(s.link);
      if (!link) fail(`${at()} uses link ${shown(s.link, 40)}, which is not in the workflow.`);
      if (link.originId === SUBGRAPH_INPUT_ID && e.instance) {
        return throughInstanceInput(e.instance, link.originSlot, () => `Link ${shown(link.id, 40)}`);
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
          `${at()} uses output ${s.slot + 1} of group node ${placeOf(e.node, e.id)}, which has only ${compiled.outputs.length} outputs.`,
        );
      const child = byId.get(`${e.id}:${out.child}`);
      return child ? { t: 'out', exec: child, slot: out.slot, type: s.type } : NONE;
    }
    if (mode === MODE_BYPASS && e.kind !== 'virtual') {
      const inputs = runtimeInputs(e);
      const idx = bypassIndex(inputs, s.slot, outputType(e, s.slot), s.type);
      const input = idx === -1 ? undefined : inputs[idx];
      if (!input) return NONE;
      if (e.kind === 'groupChild') return groupChildInput(e, input.name, input.type);
      const link = saved(e).get(input.name)?.link;
      return link != null ? { t: 'in', exec: e, link, type: input.type } : NONE;
    }
    if (e.kind === 'instance') {
      const def = e.def!;
      const sgOutput = def.outputs[s.slot];
      if (!sgOutput)
        fail(
          `${at()} uses output ${s.slot + 1} of ${placeOf(e.node, e.id)}, whose subgraph has only ${def.outputs.length} outputs.`,
        );
      if (mode === MODE_NEVER) return DROP;
      const first = sgOutput.linkIds[0];
      const link = first === undefined ? undefined : def.scope.links.get(first);
      if (!link) return NONE;
      if (link.originId === SUBGRAPH_INPUT_ID)
        return throughInstanceInput(
          e,
          link.originSlot,
          () => `Output “${shown(sgOutput.name)}” of subgraph “${shown(def.name)}”`,
        );
      const inner = byId.get(`${e.id}:${link.originId}`);
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
          ? groupChildInput(e, groups.get(e.group)!.slotNames.get(e.index)?.[0] ?? '', s.type)
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
      fail(`${at()} uses output ${s.slot + 1} of ${placeOf(e.node, e.id)}, which has only ${outputs.length} outputs.`);
    }
    return { kind: 'link', origin: e.id, slot: s.slot };
  };

  const resolve = (start: State, at: () => string): Resolved => {
    const chain: string[] = [];
    const open = new Set<string>();
    let state: State = start;
    let result: Resolved;
    for (;;) {
      const key = keyOf(state);
      const known = memo.get(key);
      if (known) {
        result = known;
        break;
      }
      if (open.has(key)) {
        fail(
          `${at()}: its links go round in a loop (through ${placeOf(state.exec.node, state.exec.id)}), so it never reaches a node that makes a value.`,
        );
      }
      open.add(key);
      chain.push(key);
      const next = step(state, at);
      if ('t' in next) state = next;
      else {
        result = next;
        break;
      }
    }
    for (const k of chain) memo.set(k, result);
    return result;
  };

  // 6. The prompt: every sent node's widgets, then its links.
  // Without a prototype: an id or input named "__proto__" stays data (JSON.stringify and spreading work the same).
  const prompt: ApiWorkflow = Object.create(null) as ApiWorkflow;
  const writeBack = new Map<string, Source>();
  const keyOfSource = new Map<Source, { apiId: string; input: string }>();
  const fed = new Set<string>();
  const sent = new Set<string>();
  const claim = (apiId: string, input: string, source: Source | null | undefined) => {
    if (!source) return;
    if (keyOfSource.has(source)) return;
    keyOfSource.set(source, { apiId, input });
    writeBack.set(`${apiId}\u0000${input}`, source);
  };
  for (const e of execs) {
    if ((e.kind !== 'real' && e.kind !== 'groupChild') || e.excluded) continue;
    if (e.node.mode === MODE_NEVER || e.node.mode === MODE_BYPASS) continue;
    const schema = e.schema!;
    const inputs: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const slot of schema.slots) {
      if (slot.kind !== 'value') continue;
      const value = e.values!.values.get(slot.input);
      if (value === undefined) continue;
      inputs[slot.input] = wrap(value, e, slot.input);
    }
    const linked: { name: string; type: string }[] = [];
    if (e.kind === 'groupChild') {
      for (const name of groups.get(e.group!)!.slotNames.get(e.index) ?? []) {
        linked.push({ name, type: schema.inputs.get(name)?.type ?? '*' });
      }
    } else {
      for (const input of saved(e).values()) {
        if (input.link !== null)
          linked.push({ name: input.name, type: schema.inputs.get(input.name)?.type ?? input.type });
      }
    }
    const deleted = new Set<string>();
    for (const input of linked) {
      const at = () => `Input “${shown(input.name)}” of ${placeOf(e.node, e.id)}`;
      let r: Resolved;
      if (e.kind === 'groupChild') {
        const first = groupChildInput(e, input.name, input.type);
        r = 't' in first ? resolve(first, at) : first;
      } else {
        r = resolve({ t: 'in', exec: e, link: saved(e).get(input.name)!.link!, type: input.type }, at);
      }
      if (r.kind === 'none') continue;
      if (r.kind === 'drop') {
        delete inputs[input.name];
        deleted.add(input.name);
      } else if (r.kind === 'value') {
        inputs[input.name] = wrap(r.value, e, input.name);
        claim(e.id, input.name, r.source);
        fed.add(`${e.id}\u0000${input.name}`);
      } else {
        inputs[input.name] = [r.origin, r.slot];
        fed.add(`${e.id}\u0000${input.name}`);
      }
    }
    // Widgets that kept their value: it came from the node itself, a PrimitiveNode or the group node.
    for (const [input, source] of e.valueSources) {
      if (!deleted.has(input) && !fed.has(`${e.id}\u0000${input}`) && Object.hasOwn(inputs, input))
        claim(e.id, input, source);
    }
    const node: ApiNode = { inputs, class_type: schema.type, _meta: { title: e.node.title ?? schema.displayName } };
    prompt[e.id] = node;
    sent.add(e.id);
  }
  // Links to nodes that are not sent (muted) are removed with them, as the frontend does last.
  for (const id of Object.keys(prompt)) {
    const inputs = prompt[id]!.inputs;
    for (const name of Object.keys(inputs)) {
      const v = inputs[name];
      if (Array.isArray(v) && v.length === 2 && !sent.has(String(v[0]))) delete inputs[name];
    }
  }
  checkAcyclic(prompt, byId);
  return { prompt, writeBack, keyOfSource, sent, fed };
}

function padOf(schema: NodeSchema): unknown[] {
  return schema.slots.map((slot) => defaultOf(schema.inputs.get(slot.input), slot.kind));
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
function promote(e: ExecNode, inner: (id: string) => ExecNode | undefined): void {
  const def = e.def!;
  const raw = e.node.raw;
  const base: Promoted[] = [];
  for (const sgInput of def.inputs) {
    for (const linkId of sgInput.linkIds) {
      const link = def.scope.links.get(linkId);
      if (!link) continue; // a dangling id only logs "Link not found" in the frontend
      const node = inner(link.targetId);
      if (!node) continue;
      const target = node.node.inputs.find((i) => i.link === linkId);
      if (!target?.widget) continue;
      let value: unknown;
      let has = false;
      if (node.values?.values.has(target.widget)) {
        value = node.values.values.get(target.widget);
        has = true;
      } else if (node.kind === 'instance') {
        const w = node.widgets.find((x) => x.name === target.widget && !x.proxy);
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
    base.forEach((w, i) => {
      if (i < wv.length) {
        w.value = wv[i];
        w.source = { raw, index: i };
      }
    });
  }
  const parsed = e.node.proxyWidgets;
  let widgets = base;
  if (parsed) {
    const fresh: Promoted[] = [];
    for (const [nodeId, widget] of parsed) {
      if (nodeId === '-1') {
        const w = base.find((x) => x.name === widget);
        if (w) fresh.push(w);
      } else {
        const target = inner(nodeId);
        let value: unknown;
        let source: Source | null = null;
        if (target?.values?.values.has(widget)) {
          value = target.values.values.get(widget);
          source = target.valueSources.get(widget) ?? null;
        } else if (target?.kind === 'instance') {
          const w = target.widgets.find((x) => x.name === widget);
          value = w?.value;
          source = w?.source ?? null;
        }
        fresh.push({ name: `${nodeId}: ${widget}`, label: null, value, source, proxy: { nodeId, widget } });
      }
    }
    widgets = [...base.filter((w) => !parsed.some(([, name]) => w.name === name)), ...fresh];
    if (Array.isArray(wv)) {
      wv.forEach((v, i) => {
        const entry = parsed[i];
        if (!entry || entry[0] !== '-1') return;
        const w = widgets.find((x) => x.name === entry[1]);
        if (v !== null && w) {
          w.value = v;
          w.source = { raw, index: i };
        }
      });
    }
  }
  // Values the file does not hold yet are written after the last one it has.
  for (const w of widgets)
    if (!w.source && !w.proxy)
      w.source = { raw, index: Array.isArray(wv) ? Math.max(wv.length, widgets.indexOf(w)) : widgets.indexOf(w) };
  e.widgets = widgets;
}

function applyGroupWidgets(e: ExecNode, compiled: CompiledGroup, byId: Map<string, ExecNode>): void {
  const wv = e.node.widgetsValues;
  const pad = compiled.widgets.map((w) => defaultOf(w.def, w.kind));
  compiled.widgets.forEach((slot, i) => {
    if (slot.kind !== 'value') return;
    const value = Array.isArray(wv) && i < wv.length ? wv[i] : defaultOf(slot.def);
    const source: Source = { raw: e.node.raw, index: i, pad };
    const targets = compiled.primitiveTargets.get(slot.child) ?? [{ child: slot.child, input: slot.input }];
    for (const t of targets) {
      const child = byId.get(`${e.id}:${t.child}`);
      if (!child?.values || !child.values.values.has(t.input)) continue;
      child.values.values.set(t.input, value);
      child.valueSources.set(t.input, source);
    }
  });
}

function applyPrimitive(e: ExecNode, lookup: (e: ExecNode, id: string) => ExecNode | undefined): void {
  const wv = e.node.widgetsValues;
  if (!Array.isArray(wv) || wv.length === 0) return;
  const value = wv[0];
  const source: Source = { raw: e.node.raw, index: 0 };
  e.valueSources.set('value', source); // the layout shows the PrimitiveNode's value where it first arrives
  const links = e.node.outputs[0]?.links ?? [];
  for (const linkId of links) {
    const link = e.node.scope.links.get(linkId);
    if (!link) continue; // the frontend warns and goes on
    const target = lookup(e, link.targetId);
    if (!target) continue;
    const input = target.node.inputs.find((i) => i.link === linkId);
    const widget = input?.widget;
    if (!widget) continue;
    if (target.values?.values.has(widget)) {
      target.values.values.set(widget, value);
      target.valueSources.set(widget, source);
    } else if (target.kind === 'instance') {
      const w = target.widgets.find((x) => x.name === widget && !x.proxy);
      if (w) {
        w.value = value;
        w.source = source;
      }
    }
  }
}

/** A prompt whose links go round in a loop never runs; say where, before the server refuses it. */
function checkAcyclic(prompt: ApiWorkflow, byId: Map<string, ExecNode>): void {
  const ids = Object.keys(prompt);
  const indegree = new Map<string, number>();
  const consumers = new Map<string, string[]>();
  for (const id of ids) indegree.set(id, 0);
  for (const id of ids) {
    for (const v of Object.values(prompt[id]!.inputs)) {
      if (!Array.isArray(v) || v.length !== 2) continue;
      const origin = String(v[0]);
      if (!indegree.has(origin)) continue;
      indegree.set(id, indegree.get(id)! + 1);
      let list = consumers.get(origin);
      if (!list) consumers.set(origin, (list = []));
      list.push(id);
    }
  }
  const ready = ids.filter((id) => indegree.get(id) === 0);
  let done = 0;
  while (ready.length > 0) {
    const id = ready.pop()!;
    done++;
    for (const c of consumers.get(id) ?? []) {
      const n = indegree.get(c)! - 1;
      indegree.set(c, n);
      if (n === 0) ready.push(c);
    }
  }
  if (done === ids.length) return;
  const stuck = ids.find((id) => indegree.get(id)! > 0)!;
  const e = byId.get(stuck);
  fail(
    `The links of this workflow go round in a loop (through ${e ? placeOf(e.node, e.id) : `node ${shown(stuck, 60)}`}): ComfyUI cannot run a node that waits for its own result.`,
  );
}
