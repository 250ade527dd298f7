// UI workflow → API prompt: a generated workflow of 1,000 nodes after expansion (50 instances of one
// subgraph, Reroutes, PrimitiveNodes, bypassed nodes, groups), converted with a real ComfyUI 0.8.0's
// object_info; then the same shape at 10,000 nodes, whose time must grow about linearly.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { convertUiWorkflow } from '../electron/engine/workflows/ui/index';
import { report } from './report';

const TRACES = join(import.meta.dirname, '../../shared/traces/comfyui-0.8.0');

type Json = Record<string, unknown>;

/** Inside the subgraph: its input → ImageBlur (radius promoted) → 7 ImageInvert → its output. 9 nodes. */
function definition(): Json {
  const nodes: Json[] = [];
  const links: Json[] = [];
  let link = 1;
  nodes.push({
    id: 1,
    type: 'ImageBlur',
    pos: [0, 0],
    mode: 0,
    inputs: [
      { name: 'image', type: 'IMAGE', link: link },
      { name: 'blur_radius', type: 'INT', widget: { name: 'blur_radius' }, link: link + 1 },
    ],
    outputs: [{ name: 'IMAGE', type: 'IMAGE', links: [link + 2] }],
    widgets_values: [3, 1],
  });
  links.push({ id: link, origin_id: -10, origin_slot: 0, target_id: 1, target_slot: 0, type: 'IMAGE' });
  links.push({ id: link + 1, origin_id: -10, origin_slot: 1, target_id: 1, target_slot: 1, type: 'INT' });
  link += 2;
  for (let i = 2; i <= 8; i++) {
    nodes.push({
      id: i,
      type: 'ImageInvert',
      pos: [i * 100, 0],
      mode: 0,
      inputs: [{ name: 'image', type: 'IMAGE', link }],
      outputs: [{ name: 'IMAGE', type: 'IMAGE', links: [link + 1] }],
    });
    links.push({ id: link, origin_id: i - 1, origin_slot: 0, target_id: i, target_slot: 0, type: 'IMAGE' });
    link++;
  }
  nodes.push({ id: 9, type: 'Note', pos: [0, 300], mode: 0, widgets_values: ['inside'] });
  links.push({ id: link, origin_id: 8, origin_slot: 0, target_id: -20, target_slot: 0, type: 'IMAGE' });
  return {
    id: 'bench-subgraph',
    name: 'Blur and invert',
    inputNode: { id: -10, bounding: [0, 0, 100, 100] },
    outputNode: { id: -20, bounding: [1000, 0, 100, 100] },
    inputs: [
      { id: 'i0', name: 'image', type: 'IMAGE', linkIds: [1] },
      { id: 'i1', name: 'radius', type: 'INT', linkIds: [2] },
    ],
    outputs: [{ id: 'o0', name: 'IMAGE', type: 'IMAGE', linkIds: [link] }],
    widgets: [],
    nodes,
    links,
  };
}

/**
 * `units` copies of: EmptyImage → 6 ImageInvert (one bypassed) → Reroute → subgraph instance (its
 * radius set by a PrimitiveNode) → ImageBlur → PreviewImage; 11 nodes here and 9 inside: 20 after expansion.
 */
export function generateWorkflow(units: number): Json {
  const nodes: Json[] = [];
  const links: unknown[][] = [];
  let id = 1;
  let linkId = 1;
  const out = new Map<number, Json>();
  const add = (type: string, x: number, y: number, extra: Json = {}): number => {
    const node: Json = { id: id, type, pos: [x, y], size: [200, 100], mode: 0, inputs: [], outputs: [], ...extra };
    nodes.push(node);
    out.set(id, node);
    return id++;
  };
  const connect = (from: number, slot: number, to: number, name: string, type: string, widget = false) => {
    const target = out.get(to)!;
    const inputs = target.inputs as Json[];
    inputs.push({ name, type, link: linkId, ...(widget ? { widget: { name } } : {}) });
    const outputs = out.get(from)!.outputs as Json[];
    while (outputs.length <= slot) outputs.push({ name: type, type, links: [] });
    (outputs[slot]!.links as number[]).push(linkId);
    links.push([linkId, from, slot, to, inputs.length - 1, type]);
    linkId++;
  };
  const groups: Json[] = [];
  for (let u = 0; u < units; u++) {
    const y = u * 400;
    let prev = add('EmptyImage', 0, y, { widgets_values: [64, 64, 1, 0] });
    for (let i = 0; i < 6; i++) {
      const next = add('ImageInvert', 200 + i * 200, y, { mode: i === 3 ? 4 : 0 });
      connect(prev, 0, next, 'image', 'IMAGE');
      prev = next;
    }
    const reroute = add('Reroute', 1500, y);
    connect(prev, 0, reroute, '', '*');
    const primitive = add('PrimitiveNode', 1500, y + 150, { widgets_values: [u % 30, 'fixed'] });
    const instance = add('bench-subgraph', 1700, y, {
      properties: { proxyWidgets: [['-1', 'radius']] },
      widgets_values: [5],
    });
    connect(reroute, 0, instance, 'image', 'IMAGE');
    connect(primitive, 0, instance, 'radius', 'INT', true);
    const blur = add('ImageBlur', 2000, y, { widgets_values: [2, 1] });
    connect(instance, 0, blur, 'image', 'IMAGE');
    const preview = add('PreviewImage', 2300, y);
    connect(blur, 0, preview, 'images', 'IMAGE');
    if (u % 5 === 0) groups.push({ title: `Group ${u / 5}`, bounding: [-50, y - 50, 2600, 5 * 400], color: '#3f789e' });
  }
  return {
    last_node_id: id,
    last_link_id: linkId,
    nodes,
    links,
    groups,
    definitions: { subgraphs: [definition()] },
    extra: {},
    version: 0.4,
  };
}

/** Mean time of `times` conversions in a row (so the garbage they make is collected within the measure). */
function timeMean(ui: Json, objectInfo: Record<string, unknown>, times: number): number {
  const start = performance.now();
  for (let i = 0; i < times; i++) convertUiWorkflow(ui, objectInfo);
  return (performance.now() - start) / times;
}

export function benchUiConvert(): void {
  const objectInfo = JSON.parse(readFileSync(join(TRACES, 'object_info.full.json'), 'utf8')) as Record<string, unknown>;
  const small = generateWorkflow(50);
  const large = generateWorkflow(500);
  const sent = [small, large].map((ui) => Object.keys(convertUiWorkflow(ui, objectInfo).prompt).length);
  if (sent[0]! < 700 || sent[1]! < 7_000)
    throw new Error(`the generated workflows are too small (${sent.join(', ')} sent nodes)`);
  timeMean(small, objectInfo, 10); // warm up the JIT
  timeMean(large, objectInfo, 1);
  // Interleaved, so both sizes see the same load on a shared machine; ten small conversions make as
  // much garbage as one large one, so both pay their share of garbage collection.
  const smallTimes: number[] = [];
  const largeTimes: number[] = [];
  for (let round = 0; round < 9; round++) {
    smallTimes.push(timeMean(small, objectInfo, 10));
    largeTimes.push(timeMean(large, objectInfo, 1));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const ms = median(smallTimes);
  const growth = median(largeTimes) / ms;
  report('ui_convert_1000_nodes', ms, 'ms', '<50', ms < 50);
  report('ui_convert_10000_nodes', median(largeTimes), 'ms', 'n/a', true);
  report('ui_convert_growth', growth, 'x', '<=12', growth <= 12);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) benchUiConvert();
