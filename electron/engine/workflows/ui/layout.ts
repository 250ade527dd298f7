// The form's layout (shared/workflow-layout.ts): the workflow's groups as sections in canvas order,
// the nodes in each by position, each node's widgets pointing at the prompt inputs they set.
// A node belongs to the smallest group whose box holds the centre of the node's box (title bar
// included), which is ComfyUI's own test (LGraphGroup.recomputeInsideNodes, containsCentre).
//
// Where a widget shows: on the node that holds its value. A widget fed by a link is not shown. A
// widget fed by a PrimitiveNode shows once, on the PrimitiveNode, keyed to the first input it feeds
// (the prompt repeats the value in every input it feeds: edit them all, or write the value back with
// writeValuesToUi and convert again). A subgraph instance shows its promoted widgets, keyed to the
// first inner input each one sets, then its inner nodes follow with `parent` set; a legacy group
// node shows its widgets, keyed to the inner inputs they set.
import type {
  LayoutNode,
  LayoutSection,
  LayoutWidget,
  NodeMode,
  WorkflowLayout,
} from '../../../../shared/workflow-layout';
import { innerNode, type ExecNode, type Expansion } from './expand';
import { sends, type Flat } from './flatten';
import type { Source } from './widgets';
import { compileGroup } from './group-node';
import { Scratch } from './scratch';
import { fail, MODE_BYPASS, MODE_NEVER, type SubgraphDef, type UiGraph, type UiGroup, type UiNode } from './graph';
import type { ObjectInfo } from '../validate';

const TITLE_HEIGHT = 30;
/** A node's widgets while they are being found (frozen: never written to). */
const UNSET = Object.freeze([]) as unknown as LayoutWidget[];
const MAX_GROUPS = 1_000;

export function modeName(mode: number): NodeMode {
  return mode === MODE_NEVER ? 'mute' : mode === MODE_BYPASS ? 'bypass' : 'always';
}

function byPosition(a: UiNode, b: UiNode): number {
  return a.pos[1] - b.pos[1] || a.pos[0] - b.pos[0];
}

export function buildLayout(graph: UiGraph, expansion: Expansion, flat: Flat, objectInfo: ObjectInfo): WorkflowLayout {
  // Inner widgets an instance already shows (as a view of them) are not shown twice: by inner node.
  const shownByInstance = new Map<ExecNode, string[]>();
  // Indexed loops over every node: for-of makes an iterator result per step until V8 optimizes the loop.
  const execs = expansion.execs;
  for (let i = 0; i < execs.length; i++) {
    const e = execs[i]!;
    if (e.kind !== 'instance') continue;
    for (const w of e.widgets) {
      const inner = w.proxy && innerNode(e, w.proxy.nodeId);
      if (!inner) continue;
      const shown = shownByInstance.get(inner);
      if (shown) shown.push(w.proxy!.widget);
      else shownByInstance.set(inner, [w.proxy!.widget]);
    }
  }
  // An instance's inner nodes by position: the same order in every instance of a subgraph, so sorted once.
  const innerOrders = new Map<SubgraphDef, number[]>();
  const innerOrder = (def: SubgraphDef): number[] => {
    let order = innerOrders.get(def);
    if (!order) {
      const nodes = def.scope.order;
      order = nodes.map((_, i) => i).sort((a, b) => byPosition(nodes[a]!, nodes[b]!));
      innerOrders.set(def, order);
    }
    return order;
  };

  const widget = (apiId: string, input: string, label: string | null, source?: Source): LayoutWidget => {
    const w: LayoutWidget = { input, key: `${apiId}.${input}` };
    if (label && label !== input) w.label = label;
    const also = source && flat.alsoOfSource.get(source);
    if (also) w.also = [...also];
    return w;
  };

  // The widgets of the node being laid out, copied at its exact size: pushing into each node's own []
  // would reserve 17 places per node, kept as long as the layout.
  const found = new Scratch<LayoutWidget>();
  const entry = (e: ExecNode): LayoutNode | null => {
    found.clear();
    const node = fill(e);
    if (node) node.widgets = found.copy();
    return node;
  };
  const fill = (e: ExecNode): LayoutNode | null => {
    const sent = sends(e);
    const node: LayoutNode = {
      uiId: e.id,
      apiId: sent ? e.id : null,
      title: e.node.title ?? e.def?.name ?? e.schema?.displayName ?? e.node.type,
      classType: e.def?.name ?? e.node.type,
      mode: modeName(e.node.mode),
      widgets: UNSET, // until entry() puts its own list
    };
    if (e.instance) node.parent = e.instance.id;
    const inactive = e.excluded || e.node.mode === MODE_NEVER || e.node.mode === MODE_BYPASS;
    if (e.kind === 'virtual') {
      if (e.node.type !== 'PrimitiveNode') return null;
      const at = e.primitiveSource && flat.keyOfSource.get(e.primitiveSource);
      if (!at) return null;
      found.push(widget(at.apiId, at.input, e.node.title, e.primitiveSource!));
      return node;
    }
    if (inactive) return node;
    if (e.kind === 'real' && sent && e.schema) {
      for (const slot of e.schema.slots) {
        if (slot.kind !== 'value') continue;
        // Its own value, sent, not fed by a link, a PrimitiveNode or a promoted widget.
        if (e.values!.override(slot.input) || flat.fed.get(e)?.includes(slot.input)) continue;
        if (!Object.hasOwn(flat.prompt[e.id]!.inputs, slot.input)) continue;
        if (shownByInstance.get(e)?.includes(slot.input)) continue;
        found.push(widget(e.id, slot.input, null));
      }
    } else if (e.kind === 'instance') {
      for (const w of e.widgets) {
        if (w.proxy) {
          const inner = innerNode(e, w.proxy.nodeId);
          if (inner && sends(inner) && inner.values?.has(w.proxy.widget)) {
            found.push(widget(inner.id, w.proxy.widget, null));
          }
        } else {
          const at = w.source && flat.keyOfSource.get(w.source);
          if (at) found.push(widget(at.apiId, at.input, w.label ?? w.name, w.source!));
        }
      }
    } else if (e.kind === 'group' && e.groupDef) {
      const compiled = compileGroup(e.groupDef, objectInfo);
      compiled.widgets.forEach((slot, i) => {
        if (slot.kind !== 'value') return;
        const child = e.inner![slot.child];
        if (!child || !sends(child)) return;
        const source = child.values?.override(slot.input);
        const at = source && flat.keyOfSource.get(source);
        if (at && source.raw === e.node.raw && source.index === i) found.push(widget(at.apiId, at.input, null, source));
      });
    }
    return node;
  };

  // A node, then (for a subgraph instance) its inner nodes by position, depth first without recursion.
  const stack: ExecNode[] = []; // one for every top node: empty after each
  const emit = (top: ExecNode, out: LayoutNode[]) => {
    stack.push(top);
    while (stack.length > 0) {
      const e = stack.pop()!;
      const n = entry(e);
      if (n) out.push(n);
      if (e.kind === 'instance') {
        // Pushed last first, so the first pops first.
        const order = innerOrder(e.def!);
        for (let i = order.length - 1; i >= 0; i--) stack.push(e.inner![order[i]!]!);
      }
    }
  };

  if (graph.groups.length > MAX_GROUPS)
    fail(`The workflow has more than ${MAX_GROUPS} groups, more than Comfy Desk lays out.`);
  const groups = [...graph.groups].sort((a, b) => a.bounding[1] - b.bounding[1] || a.bounding[0] - b.bounding[0]);
  const members = new Map<UiGroup | null, ExecNode[]>();
  const groupOf = groupIndex(groups);
  // A group node's inner nodes are not here: they are shown through the group node.
  const top = expansion.top.slice().sort((a, b) => byPosition(a.node, b.node));
  for (let i = 0; i < top.length; i++) {
    const e = top[i]!;
    const g = groupOf(e);
    const list = members.get(g) ?? [];
    if (list.length === 0) members.set(g, list);
    list.push(e);
  }
  const sections: LayoutSection[] = [];
  for (const g of [...groups, null]) {
    const list = members.get(g);
    if (!list) continue;
    const nodes: LayoutNode[] = [];
    for (let i = 0; i < list.length; i++) emit(list[i]!, nodes);
    if (nodes.length === 0) continue;
    const section: LayoutSection = { title: g ? g.title : null, nodes };
    if (g?.color) section.color = g.color;
    sections.push(section);
  }
  return { sections };
}

/**
 * Groups by horizontal band of the canvas, so a node is tested only against the groups that cross
 * its height: linear in practice, where testing every node against every group is not.
 */
function groupIndex(groups: UiGroup[]): (e: ExecNode) => UiGroup | null {
  if (groups.length === 0) return () => null;
  let top = Infinity;
  let bottom = -Infinity;
  for (const g of groups) {
    top = Math.min(top, g.bounding[1]);
    bottom = Math.max(bottom, g.bounding[1] + g.bounding[3]);
  }
  const bands = Math.min(4_096, groups.length * 4);
  const height = Math.max((bottom - top) / bands, 1e-9);
  const band = (y: number) => Math.min(bands - 1, Math.max(0, Math.floor((y - top) / height)));
  const byBand: UiGroup[][] = Array.from({ length: bands }, () => []);
  for (const g of groups) {
    const last = band(g.bounding[1] + g.bounding[3]);
    for (let b = band(g.bounding[1]); b <= last; b++) byBand[b]!.push(g);
  }
  return (e) => {
    const x = e.node.pos[0];
    const y = e.node.pos[1];
    const w = e.node.size[0];
    const h = e.node.size[1];
    const cx = x + w / 2;
    const cy = y - TITLE_HEIGHT + (h + TITLE_HEIGHT) / 2;
    if (!(cy >= top && cy < bottom)) return null;
    let best: UiGroup | null = null;
    let bestArea = Infinity;
    for (const g of byBand[band(cy)]!) {
      const [gx, gy, gw, gh] = g.bounding;
      if (cx >= gx && cx < gx + gw && cy >= gy && cy < gy + gh && gw * gh < bestArea) {
        best = g;
        bestArea = gw * gh;
      }
    }
    return best;
  };
}
