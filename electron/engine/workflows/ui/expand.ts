// Expands the graph into executable nodes, as the frontend's graphToPrompt does with its
// ExecutableNodeDTOs: every node of the root graph, every node inside each subgraph instance (ids
// `<instance>:<inner>`, deeper levels adding parts), every inner node of a legacy group node
// (`<group node>:<index>`). Walked with an explicit stack, so 50 levels of nesting or a subgraph that
// contains itself cost a bounded loop and end in a DeskError, never a stack overflow.
// Sources: SubgraphNode.getInnerNodes, ExecutableNodeDTO, groupNode.ts (getInnerNodes), executionUtil.ts.
import type { ObjectInfo } from '../validate';
import {
  fail,
  groupNodeName,
  LIMITS,
  MODE_BYPASS,
  MODE_NEVER,
  placeOf,
  shown,
  type GroupNodeDef,
  type Scope,
  type SubgraphDef,
  type UiGraph,
  type UiNode,
} from './graph';
import { schemaOf, type NodeSchema, type NodeValues, type Source } from './widgets';

/** Node types the frontend itself provides; they are never sent (isVirtualNode). */
export const VIRTUAL_TYPES = new Set(['Note', 'MarkdownNote', 'Reroute', 'PrimitiveNode']);

export type ExecKind = 'real' | 'virtual' | 'instance' | 'group' | 'groupChild';

export type { Source };

export interface Promoted {
  /** The widget's name on the instance: the subgraph input's name, or the inner widget's for proxies. */
  name: string;
  label: string | null;
  value: unknown;
  source: Source | null;
  /** A widget of a subgraph input (`["-1", name]`) or a view of an inner node's widget (`["69", "seed"]`). */
  proxy: { nodeId: string; widget: string } | null;
}

export interface ExecNode {
  /** The id in the prompt (and the UI path: `75:3`). */
  id: string;
  /** Its place in `Expansion.execs`. */
  order: number;
  kind: ExecKind;
  node: UiNode;
  schema: NodeSchema | null;
  /** The subgraph instance this node is inside, if any. */
  instance: ExecNode | null;
  /** For an instance: its definition. */
  def: SubgraphDef | null;
  /** For a group node and its children: the group node's compiled definition. */
  group: ExecNode | null;
  groupDef: GroupNodeDef | null;
  /** Left out whatever its own mode: inside a muted or bypassed subgraph instance or group node. */
  excluded: boolean;
  /** Widget values (real nodes), after primitives and group nodes applied theirs. */
  values: NodeValues | null;
  /** For a PrimitiveNode: where its value is (the layout shows it where it first arrives). */
  primitiveSource: Source | null;
  /** A subgraph instance's widgets, in display order. */
  widgets: readonly Promoted[];
  /** For an instance or a group node: the nodes directly inside, by their place in the definition's list. */
  inner: ExecNode[] | null;
}

/** The widgets of every node but a subgraph instance: one shared empty list, not one per node. */
const NO_WIDGETS: readonly Promoted[] = Object.freeze([]);

export interface Expansion {
  execs: ExecNode[];
  root: Scope;
  /** The root graph's nodes, by their place in its list. */
  top: ExecNode[];
  missing: { type: string; title: string; uiId: string; subgraph?: string }[];
}

// Nodes are found by where they are (a graph, the nodes expanded from it) and their saved id: no
// expanded id is built to look one up.

/** Node `id` of graph `scope`, whose nodes were expanded into `made` in list order. */
function pick(scope: Scope, made: readonly ExecNode[], id: string): ExecNode | undefined {
  const node = scope.nodes.get(id);
  return node === undefined ? undefined : made[node.index];
}

/** Node `id` inside subgraph instance `instance`. */
export function innerNode(instance: ExecNode, id: string): ExecNode | undefined {
  return pick(instance.def!.scope, instance.inner!, id);
}

/** Node `id` of the graph `e` is in: its instance's subgraph, else the root graph. */
export function nodeBeside(expansion: Expansion, e: ExecNode, id: string): ExecNode | undefined {
  return e.instance ? innerNode(e.instance, id) : pick(expansion.root, expansion.top, id);
}

/** Whether a saved node id has a colon, the separator of expanded ids (`75:3`). */
function hasColonIds(graph: UiGraph): boolean {
  for (const node of graph.root.order) if (node.id.includes(':')) return true;
  for (const def of graph.subgraphs.values())
    for (const node of def.scope.order) if (node.id.includes(':')) return true;
  return false;
}

function titleOf(node: UiNode): string {
  return node.title ?? node.type;
}

/** The executable nodes of the graph, depth first in file order, with every missing node type noted. */
export function expand(graph: UiGraph, objectInfo: ObjectInfo): Expansion {
  const execs: ExecNode[] = [];
  const top = new Array<ExecNode>(graph.root.order.length);
  // Expanded ids are unique by construction (an instance's inner ids are its own id, a colon and
  // ids unique in its subgraph) unless a saved id has a colon itself: only then are they checked.
  const ids = hasColonIds(graph) ? new Set<string>() : null;
  const missing: Expansion['missing'] = [];
  const missingSeen = new Set<string>();
  const noteMissing = (node: UiNode, uiId: string, subgraph?: string) => {
    // One entry per node of a definition, even when several instances use it.
    const key = `${node.scope.subgraph?.id ?? ''}\u0000${subgraph ?? ''}\u0000${node.id}\u0000${node.type}`;
    if (missingSeen.has(key)) return;
    missingSeen.add(key);
    missing.push({ type: node.type, title: titleOf(node), uiId, ...(subgraph ? { subgraph } : {}) });
  };

  const add = (exec: ExecNode) => {
    if (execs.length >= LIMITS.flatNodes) {
      fail(
        `Expanded, this workflow has more than ${LIMITS.flatNodes.toLocaleString('en')} nodes (its subgraphs are used many times over), more than Comfy Desk converts.`,
      );
    }
    if (ids) {
      if (ids.has(exec.id))
        fail(`Two nodes end up with the id ${shown(exec.id, 60)}: ${placeOf(exec.node, exec.id)} and another.`);
      ids.add(exec.id);
    }
    exec.order = execs.length;
    execs.push(exec);
  };

  const make = (node: UiNode, id: string, kind: ExecKind, instance: ExecNode | null, excluded: boolean): ExecNode => ({
    id,
    order: -1,
    kind,
    node,
    schema: null,
    instance,
    def: null,
    group: null,
    groupDef: null,
    excluded,
    values: null,
    primitiveSource: null,
    widgets: NO_WIDGETS,
    inner: null,
  });

  // Frames of the walk: the nodes of one graph level still to visit.
  interface Frame {
    nodes: UiNode[];
    /** The nodes expanded from `nodes`, by place. */
    made: ExecNode[];
    next: number;
    instance: ExecNode | null;
    prefix: string;
    excluded: boolean;
    depth: number;
  }
  const stack: Frame[] = [
    { nodes: graph.root.order, made: top, next: 0, instance: null, prefix: '', excluded: false, depth: 0 },
  ];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.next >= frame.nodes.length) {
      stack.pop();
      continue;
    }
    const node = frame.nodes[frame.next++]!;
    const id = frame.prefix + node.id;
    const subgraphName = frame.instance?.def?.name;
    const def = graph.subgraphs.get(node.type);
    if (def) {
      // A definition open above this level (the instances around it, at most LIMITS.nesting) is a loop.
      let open = frame.instance;
      while (open && open.def!.id !== def.id) open = open.instance;
      if (open) {
        fail(
          `Subgraph “${shown(def.name)}” contains itself (through ${placeOf(node, id)}): a subgraph cannot be inside itself.`,
        );
      }
      if (frame.depth + 1 > LIMITS.nesting) {
        fail(
          `Subgraphs are nested more than ${LIMITS.nesting} levels deep at ${placeOf(node, id)}, more than Comfy Desk converts.`,
        );
      }
      const exec = make(node, id, 'instance', frame.instance, frame.excluded);
      exec.def = def;
      exec.inner = new Array<ExecNode>(def.scope.order.length);
      add(exec);
      frame.made[node.index] = exec;
      stack.push({
        nodes: def.scope.order,
        made: exec.inner,
        next: 0,
        instance: exec,
        prefix: `${id}:`,
        excluded: frame.excluded || node.mode === MODE_NEVER || node.mode === MODE_BYPASS,
        depth: frame.depth + 1,
      });
      continue;
    }
    const groupName = groupNodeName(node.type);
    const groupDef = groupName !== null ? graph.groupNodes.get(groupName) : undefined;
    if (groupDef) {
      if (frame.instance) {
        fail(
          `${placeOf(node, id)} is a group node inside a subgraph, which ComfyUI does not support: convert the group node to a subgraph.`,
        );
      }
      const exec = make(node, id, 'group', frame.instance, frame.excluded);
      exec.groupDef = groupDef;
      exec.inner = new Array<ExecNode>(groupDef.nodes.length);
      add(exec);
      frame.made[node.index] = exec;
      const childExcluded = frame.excluded || node.mode === MODE_NEVER || node.mode === MODE_BYPASS;
      groupDef.nodes.forEach((inner, index) => {
        const childId = `${id}:${index}`;
        const virtual = VIRTUAL_TYPES.has(inner.type);
        const child = make(inner, childId, virtual ? 'virtual' : 'groupChild', null, childExcluded);
        child.group = exec;
        child.groupDef = groupDef;
        if (!virtual) {
          child.schema = schemaOf(objectInfo, inner.type);
          if (!child.schema) {
            missing.push({ type: inner.type, title: titleOf(inner), uiId: childId });
          }
        }
        add(child);
        exec.inner![index] = child;
      });
      continue;
    }
    const exec = make(node, id, VIRTUAL_TYPES.has(node.type) ? 'virtual' : 'real', frame.instance, frame.excluded);
    if (exec.kind === 'real') {
      exec.schema = schemaOf(objectInfo, node.type);
      if (!exec.schema) noteMissing(node, id, subgraphName);
    }
    add(exec);
    frame.made[node.index] = exec;
  }
  return { execs, root: graph.root, top, missing };
}

/** Node types the workflow uses that the server lacks, also in subgraph definitions no instance uses. */
export function missingTypes(graph: UiGraph, objectInfo: ObjectInfo, expansion: Expansion): Expansion['missing'] {
  const out = [...expansion.missing];
  const used = new Set<string>();
  for (const e of expansion.execs) if (e.def) used.add(e.def.id);
  for (const def of graph.subgraphs.values()) {
    if (used.has(def.id)) continue;
    for (const node of def.scope.order) {
      if (VIRTUAL_TYPES.has(node.type) || graph.subgraphs.has(node.type)) continue;
      const g = groupNodeName(node.type);
      if (g !== null && graph.groupNodes.has(g)) continue;
      if (!schemaOf(objectInfo, node.type))
        out.push({ type: node.type, title: titleOf(node), uiId: node.id, subgraph: def.name });
    }
  }
  return out;
}

/** The message for a person when node types are missing (nothing is converted then). */
export function missingMessage(missing: Expansion['missing']): string {
  const first = new Map<string, Expansion['missing'][number]>();
  for (const m of missing) if (!first.has(m.type)) first.set(m.type, m);
  const shownTypes = [...first.values()].slice(0, 20).map((m) => {
    const sub = m.subgraph ? ` in subgraph “${shown(m.subgraph)}”` : '';
    return `${shown(m.type)} (“${shown(m.title)}”, node ${shown(m.uiId, 60)}${sub})`;
  });
  const more = first.size > 20 ? ` and ${first.size - 20} more` : '';
  const n = first.size;
  return (
    `This workflow uses ${n} node ${n === 1 ? 'type' : 'types'} the server doesn't have: ${shownTypes.join(', ')}${more}. ` +
    `${n === 1 ? 'It comes from a custom node pack: install it' : 'They come from custom node packs: install them'} on that server (ComfyUI Manager finds them), then try again.`
  );
}
