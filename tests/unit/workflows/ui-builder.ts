// Small hand-made UI workflows for the converter's tests: nodes, links (array form at the top level,
// object form inside subgraph definitions), subgraph definitions with their input/output boxes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TRACES } from '../jobs/journal-helpers';

export const realObjectInfo = JSON.parse(readFileSync(join(TRACES, 'object_info.full.json'), 'utf8')) as Record<
  string,
  unknown
>;

type Json = Record<string, unknown>;

export interface NodeOptions {
  widgets?: unknown[] | Json;
  mode?: number;
  title?: string;
  pos?: [number, number];
  size?: [number, number];
  properties?: Json;
  /** Inputs that exist without a link (e.g. a subgraph instance's). */
  inputs?: Json[];
  outputs?: Json[];
}

/** One graph level: the root workflow or a subgraph definition. */
export class Graph {
  nodes: Json[] = [];
  links: (unknown[] | Json)[] = [];
  private nextLink = 1;
  private readonly byId = new Map<number, Json>();

  constructor(
    private readonly objectLinks = false,
    firstLink = 1,
  ) {
    this.nextLink = firstLink;
  }

  add(id: number, type: string, o: NodeOptions = {}): number {
    const node: Json = {
      id,
      type,
      pos: o.pos ?? [0, id * 100],
      size: o.size ?? [200, 100],
      flags: {},
      order: this.nodes.length,
      mode: o.mode ?? 0,
      inputs: o.inputs ?? [],
      outputs: o.outputs ?? [],
      properties: o.properties ?? {},
    };
    if (o.widgets !== undefined) node.widgets_values = o.widgets;
    if (o.title !== undefined) node.title = o.title;
    this.nodes.push(node);
    if (!this.byId.has(id)) this.byId.set(id, node);
    return id;
  }

  node(id: number): Json {
    const n = this.byId.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  /**
   * A link from `from`'s output `slot` to `to`'s input `input` (added to its inputs if missing; `widget`
   * marks a widget converted to an input). `from` -10 / `to` -20 are the subgraph's input/output boxes.
   */
  connect(from: number, slot: number, to: number, input: string, type: string, widget = false): number {
    const id = this.nextLink++;
    let targetSlot = slot;
    if (to !== -20) {
      const target = this.node(to);
      const inputs = target.inputs as Json[];
      let index = inputs.findIndex((i) => i.name === input);
      if (index === -1) {
        inputs.push({ name: input, type, link: null, ...(widget ? { widget: { name: input } } : {}) });
        index = inputs.length - 1;
      }
      inputs[index]!.link = id;
      targetSlot = index;
    }
    if (from !== -10) {
      const origin = this.node(from);
      const outputs = origin.outputs as Json[];
      while (outputs.length <= slot) outputs.push({ name: type, type, links: [] });
      (outputs[slot]!.links as number[]).push(id);
    }
    this.links.push(
      this.objectLinks
        ? { id, origin_id: from, origin_slot: slot, target_id: to, target_slot: targetSlot, type }
        : [id, from, slot, to, targetSlot, type],
    );
    return id;
  }
}

export interface SubgraphSpec {
  id: string;
  name: string;
  inputs: { name: string; type: string; label?: string }[];
  outputs: { name: string; type: string }[];
  graph: Graph;
}

/** A subgraph definition: its inputs' and outputs' linkIds are gathered from the links to/from the boxes. */
export function subgraph(spec: SubgraphSpec): Json {
  const links = spec.graph.links as Json[];
  return {
    id: spec.id,
    version: 1,
    name: spec.name,
    inputNode: { id: -10, bounding: [0, 0, 100, 100] },
    outputNode: { id: -20, bounding: [1000, 0, 100, 100] },
    inputs: spec.inputs.map((input, k) => ({
      id: `in-${k}`,
      ...input,
      linkIds: links.filter((l) => l.origin_id === -10 && l.origin_slot === k).map((l) => l.id),
    })),
    outputs: spec.outputs.map((output, k) => ({
      id: `out-${k}`,
      ...output,
      linkIds: links.filter((l) => l.target_id === -20 && l.target_slot === k).map((l) => l.id),
    })),
    widgets: [],
    nodes: spec.graph.nodes,
    links,
    groups: [],
  };
}

export function workflow(root: Graph, extra: { subgraphs?: Json[]; groups?: Json[]; groupNodes?: Json } = {}): Json {
  return {
    last_node_id: 1000,
    last_link_id: 1000,
    nodes: root.nodes,
    links: root.links,
    groups: extra.groups ?? [],
    config: {},
    extra: extra.groupNodes ? { groupNodes: extra.groupNodes } : {},
    ...(extra.subgraphs ? { definitions: { subgraphs: extra.subgraphs } } : {}),
    version: 0.4,
  };
}

/** The prompt as plain JSON (the converter builds objects without a prototype). */
export function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
