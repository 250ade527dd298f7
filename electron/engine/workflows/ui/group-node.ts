// Legacy group nodes (`workflow>Name`, definitions in `extra.groupNodes`): which group-node input
// feeds which inner input, which group-node widget sets which inner widget, which inner output each
// group-node output is. Mirrors GroupNodeConfig in the frontend's groupNode.ts (registerType,
// processNode, getInputConfig, processNodeOutputs): inputs and widgets are numbered node by node, a
// socket linked inside the group is not a group input, widgets converted to inputs come last, an
// inner output linked inside the group is hidden unless also used outside.
import type { ObjectInfo } from '../validate';
import type { GroupNodeDef, UiNode } from './graph';
import { schemaOf, type InputDef, type SlotKind } from './widgets';

export interface GroupWidgetSlot {
  /** The inner node the widget sets (a PrimitiveNode sets the widgets it feeds instead). */
  child: number;
  input: string;
  kind: SlotKind;
  def: InputDef | undefined;
}

export interface CompiledGroup {
  /** Group-node input slot → inner node and the input it feeds. */
  inputs: { name: string; child: number; input: string }[];
  /** The group node's `widgets_values` slots, in order. */
  widgets: GroupWidgetSlot[];
  /** Group-node output slot → inner node and its output slot. */
  outputs: { child: number; slot: number; type: string }[];
  /** Inner link by `<target index>:<target input name>` → its origin. */
  internal: Map<string, { origin: number; slot: number }>;
  /** For each inner PrimitiveNode: the inner widgets it feeds. */
  primitiveTargets: Map<number, { child: number; input: string }[]>;
  /** Each inner node's inputs in the frontend's slot order (sockets, then converted widgets). */
  slotNames: Map<number, string[]>;
}

const cache = new WeakMap<GroupNodeDef, WeakMap<object, CompiledGroup>>();

export function compileGroup(def: GroupNodeDef, objectInfo: ObjectInfo): CompiledGroup {
  let byInfo = cache.get(def);
  if (!byInfo) cache.set(def, (byInfo = new WeakMap()));
  const hit = byInfo.get(objectInfo);
  if (hit) return hit;
  const compiled = build(def, objectInfo);
  byInfo.set(objectInfo, compiled);
  return compiled;
}

function build(def: GroupNodeDef, objectInfo: ObjectInfo): CompiledGroup {
  const linksTo = new Map<string, { origin: number | null; slot: number }>();
  const linksFrom = new Map<number, { slot: number; target: number; targetSlot: number; type: string }[]>();
  for (const [origin, slot, target, targetSlot, type] of def.links) {
    if (origin === null) continue; // a link from outside the group: the group node's input, not an inner link
    linksTo.set(`${target}:${targetSlot}`, { origin, slot });
    let list = linksFrom.get(origin);
    if (!list) linksFrom.set(origin, (list = []));
    list.push({ slot, target, targetSlot, type });
  }
  const hasLinksTo = (i: number) => def.links.some(([o, , t]) => o !== null && t === i);

  const inputs: CompiledGroup['inputs'] = [];
  const widgets: GroupWidgetSlot[] = [];
  const outputs: CompiledGroup['outputs'] = [];
  const internal: CompiledGroup['internal'] = new Map();
  const primitiveTargets: CompiledGroup['primitiveTargets'] = new Map();
  const slotNames = new Map<number, string[]>();
  const seenInputs = new Map<string, number>();
  const deferred: (() => void)[] = [];

  const inputName = (node: UiNode, index: number, name: string): string => {
    const custom = def.config.get(index)?.input.get(name)?.name;
    let shown = custom ?? node.inputs.find((i) => i.name === name)?.label ?? name;
    let key = shown;
    if ((node.type === 'PrimitiveNode' && node.title) || seenInputs.has(shown)) {
      const prefix = `${node.title ?? node.type} `;
      key = shown = `${prefix}${name}`;
      if (seenInputs.has(shown)) shown = `${prefix}${seenInputs.get(shown)} ${name}`;
    }
    seenInputs.set(key, (seenInputs.get(key) ?? 1) + 1);
    return shown;
  };

  def.nodes.forEach((node, index) => {
    let sockets: { name: string; type: string }[] = [];
    let widgetDefs: InputDef[] = [];
    let outputTypes: string[];
    if (node.type === 'PrimitiveNode') {
      const from = linksFrom.get(index);
      if (!from || from.length === 0) return; // not linked: the frontend skips it
      const type = from[0]!.type;
      // A linked primitive's widget gets a "control after generate" (checkPrimitiveConnection).
      const targetDef = firstTargetDef(def, from[0]!.target, from[0]!.targetSlot, objectInfo);
      widgetDefs = [
        {
          name: 'value',
          type: targetDef?.type ?? type,
          optional: false,
          widget: true,
          forceInput: false,
          options: { ...(targetDef?.options ?? {}), control_after_generate: true },
          comboValues: targetDef?.comboValues ?? null,
        },
      ];
      outputTypes = [type];
      primitiveTargets.set(
        index,
        from.map((l) => ({
          child: l.target,
          input:
            def.nodes[l.target]?.inputs[l.targetSlot]?.widget ?? def.nodes[l.target]?.inputs[l.targetSlot]?.name ?? '',
        })),
      );
    } else if (node.type === 'Reroute') {
      const from = linksFrom.get(index);
      if (hasLinksTo(index) && from && !def.external.has(`${index}:0`)) {
        const into = linksTo.get(`${index}:0`);
        if (into && into.origin !== null) internal.set(`${index}:`, { origin: into.origin, slot: into.slot });
        slotNames.set(index, ['']);
        return; // used inside the group only
      }
      let type = '*';
      if (from) type = def.nodes[from[0]!.target]?.inputs[from[0]!.targetSlot]?.type ?? '*';
      else {
        const into = def.links.find(([, , t]) => t === index);
        if (into) type = into[4];
      }
      sockets = [{ name: type, type }];
      outputTypes = [type];
    } else {
      const schema = schemaOf(objectInfo, node.type);
      if (!schema) return;
      sockets = schema.runtimeInputs.filter((r) => !schema.inputs.get(r.name)?.widget);
      const seen = new Set<string>();
      for (const slot of schema.slots) {
        if (seen.has(slot.input)) continue;
        seen.add(slot.input);
        widgetDefs.push(schema.inputs.get(slot.input)!);
      }
      outputTypes = schema.outputs;
    }

    // Widgets converted to inputs (saved inputs naming their widget) come after the sockets, in saved order.
    const converted = widgetDefs.filter((w) => node.inputs.some((i) => i.name === w.name && i.widget === w.name));
    converted.sort(
      (a, b) => node.inputs.findIndex((i) => i.name === a.name) - node.inputs.findIndex((i) => i.name === b.name),
    );
    slotNames.set(index, [...sockets.map((s) => s.name), ...converted.map((c) => c.name)]);

    for (const w of widgetDefs) {
      if (converted.includes(w)) continue;
      inputName(node, index, w.name); // numbers the names that follow, as the frontend does
      pushWidget(widgets, index, w);
    }
    sockets.forEach((s, i) => {
      const link = linksTo.get(`${index}:${i}`);
      if (link && link.origin !== null) {
        internal.set(`${index}:${s.name}`, { origin: link.origin, slot: link.slot });
        return;
      }
      const name = inputName(node, index, s.name);
      if (def.config.get(index)?.input.get(s.name)?.visible === false) return;
      inputs.push({ name, child: index, input: s.name });
    });
    deferred.push(() => {
      converted.forEach((w, i) => {
        const link = linksTo.get(`${index}:${sockets.length + i}`);
        if (link && link.origin !== null) {
          internal.set(`${index}:${w.name}`, { origin: link.origin, slot: link.slot });
          return;
        }
        const name = inputName(node, index, w.name);
        pushWidget(widgets, index, w);
        inputs.push({ name, child: index, input: w.name });
      });
    });

    outputTypes.forEach((type, slot) => {
      const linked =
        linksFrom.get(index)?.some((l) => l.slot === slot) === true && !def.external.has(`${index}:${slot}`);
      const visible = def.config.get(index)?.output.get(slot)?.visible ?? !linked;
      if (visible) outputs.push({ child: index, slot, type });
    });
  });
  for (const d of deferred) d();
  return { inputs, widgets, outputs, internal, primitiveTargets, slotNames };
}

function pushWidget(widgets: GroupWidgetSlot[], child: number, def: InputDef): void {
  widgets.push({
    child,
    input: def.name,
    kind: def.type === 'IMAGEUPLOAD' || def.type === 'AUDIOUPLOAD' ? 'button' : 'value',
    def,
  });
  const control = def.options.control_after_generate;
  if (
    (def.type === 'INT' && (control || def.name === 'seed' || def.name === 'noise_seed')) ||
    (def.type === 'FLOAT' && control)
  ) {
    widgets.push({ child, input: def.name, kind: 'control', def });
  } else if (def.type === 'COMBO' && control) {
    widgets.push({ child, input: def.name, kind: 'control', def }, { child, input: def.name, kind: 'filter', def });
  }
}

function firstTargetDef(def: GroupNodeDef, target: number, slot: number, objectInfo: ObjectInfo): InputDef | undefined {
  const node = def.nodes[target];
  const input = node?.inputs[slot];
  if (!node || !input) return undefined;
  return schemaOf(objectInfo, node.type)?.inputs.get(input.widget ?? input.name);
}
