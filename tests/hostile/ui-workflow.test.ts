// UI-format workflows from anywhere (a dropped file, a PNG's metadata, a server's history) against the
// converter: loops, self-containing subgraphs, dangling links, duplicate ids, prototype keys, huge and
// deep inputs. Each ends in a DeskError naming the place, in bounded time, or converts; never a
// TypeError, a stack overflow or a polluted prototype.
import { expect } from 'vitest';
import { DeskError } from '../../shared/errors';
import {
  convertUiWorkflow,
  missingNodeTypes,
  setNodeMode,
  writeValuesToUi,
} from '../../electron/engine/workflows/ui/index';
import { Graph, realObjectInfo as objectInfo, subgraph, workflow } from '../unit/workflows/ui-builder';
import { hostile as counted } from './harness';

// 'ui-workflow' is this file's class in the suite's summary line (harness.ts lists the classes).
const hostile = (name: string, fn: () => void, timeout?: number) => counted('ui-workflow', name, fn, timeout);

type Json = Record<string, unknown>;

/** Runs `fn`, which must throw a DeskError('invalid_input') whose message matches; returns it, timed. */
function refuses(fn: () => unknown, message: RegExp, maxMs = 5_000): DeskError {
  const start = performance.now();
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  const ms = performance.now() - start;
  if (!(error instanceof DeskError)) throw new Error(`expected a DeskError, got ${String(error)}`, { cause: error });
  expect(error.code).toBe('invalid_input');
  expect(error.message).toMatch(message);
  expect(ms).toBeLessThan(maxMs);
  return error;
}

const convert = (ui: unknown) => convertUiWorkflow(ui, objectInfo);

function chainOfReroutes(n: number): Json {
  const g = new Graph();
  g.add(1, 'EmptyImage', { widgets: [8, 8, 1, 0] });
  let prev = 1;
  for (let i = 0; i < n; i++) {
    g.add(10 + i, 'Reroute');
    g.connect(prev, 0, 10 + i, '', '*');
    prev = 10 + i;
  }
  g.add(5, 'PreviewImage');
  g.connect(prev, 0, 5, 'images', 'IMAGE');
  return workflow(g);
}

hostile('not a UI workflow at all: null, a string, an API prompt, nodes that are not a list', () => {
  for (const ui of [
    null,
    undefined,
    'text',
    42,
    [],
    {},
    { nodes: {} },
    { '3': { class_type: 'KSampler', inputs: {} } },
  ]) {
    refuses(() => convert(ui), /not a UI-format workflow/);
  }
  refuses(() => convertUiWorkflow({ nodes: [] }, null as unknown as Json), /object_info/);
});

hostile('malformed nodes and links: each named', () => {
  refuses(() => convert({ nodes: [5], links: [] }), /Node #1 is not an object/);
  refuses(() => convert({ nodes: [{ id: {}, type: 'X' }], links: [] }), /Node #1 has no valid id/);
  refuses(() => convert({ nodes: [{ id: 3 }], links: [] }), /node 3 .* has no node type/);
  refuses(() => convert({ nodes: [{ id: 3, type: 'EmptyImage', inputs: 'x' }], links: [] }), /inputs of node 3/);
  refuses(() => convert({ nodes: [], links: ['x'] }), /neither a list nor an object/);
  refuses(() => convert({ nodes: [], links: [[1, 2, 'a', 3, 0, 'IMAGE']] }), /Link 1 is malformed/);
  refuses(() => convert({ nodes: [], links: [[NaN, 2, 0, 3, 0, 'IMAGE']] }), /no valid id/);
  refuses(() => convert({ nodes: [], links: {} }), /link list/);
});

hostile('duplicate node ids, duplicate link ids, two different subgraphs under one id', () => {
  const g = new Graph();
  g.add(4, 'EmptyImage');
  g.add(4, 'ImageInvert');
  refuses(() => convert(workflow(g)), /Two nodes have the id 4/);
  refuses(
    () =>
      convert({
        nodes: [],
        links: [
          [1, 2, 0, 3, 0, 'A'],
          [1, 2, 0, 4, 0, 'A'],
        ],
      }),
    /Two links have the id 1/,
  );
  const a = subgraph({ id: 'same', name: 'A', inputs: [], outputs: [], graph: new Graph(true) });
  const b = subgraph({ id: 'same', name: 'B', inputs: [], outputs: [], graph: new Graph(true) });
  refuses(
    () => convert(workflow(new Graph(), { subgraphs: [a, b] })),
    /Two different subgraph definitions have the id same/,
  );
});

hostile(
  'an input whose link is not in the workflow; a link from a node that is not there; from an output a node lacks',
  () => {
    const g = new Graph();
    g.add(2, 'PreviewImage', { inputs: [{ name: 'images', type: 'IMAGE', link: 77 }] });
    refuses(() => convert(workflow(g)), /Input “images” of node 2 .* uses link 77, which is not in the workflow/);
    const h = new Graph();
    h.add(2, 'PreviewImage', { inputs: [{ name: 'images', type: 'IMAGE', link: 5 }] });
    h.links.push([5, 99, 0, 2, 0, 'IMAGE']);
    refuses(() => convert(workflow(h)), /Link 5 into node 2 .* comes from node 99, which is not in the workflow/);
    const k = new Graph();
    k.add(1, 'EmptyImage');
    k.add(2, 'PreviewImage');
    k.connect(1, 3, 2, 'images', 'IMAGE');
    refuses(() => convert(workflow(k)), /uses output 4 of node 1 .* which has only 1 outputs/);
  },
);

hostile('links that go round: real nodes, Reroutes, bypassed nodes', () => {
  const g = new Graph();
  g.add(1, 'ImageInvert');
  g.add(2, 'ImageInvert');
  g.connect(1, 0, 2, 'image', 'IMAGE');
  g.connect(2, 0, 1, 'image', 'IMAGE');
  refuses(() => convert(workflow(g)), /go round in a loop/);
  const r = new Graph();
  r.add(1, 'Reroute');
  r.add(2, 'Reroute');
  r.add(3, 'PreviewImage');
  r.connect(1, 0, 2, '', '*');
  r.connect(2, 0, 1, '', '*');
  r.connect(2, 0, 3, 'images', 'IMAGE');
  refuses(() => convert(workflow(r)), /Input “images” of node 3 .* loop/);
  const b = new Graph();
  b.add(1, 'ImageInvert', { mode: 4 });
  b.add(2, 'ImageInvert', { mode: 4 });
  b.add(3, 'PreviewImage');
  b.connect(1, 0, 2, 'image', 'IMAGE');
  b.connect(2, 0, 1, 'image', 'IMAGE');
  b.connect(2, 0, 3, 'images', 'IMAGE');
  refuses(() => convert(workflow(b)), /loop/);
});

hostile('a subgraph that contains itself, directly or through another', () => {
  const selfInner = new Graph(true);
  selfInner.add(1, 'loop-a');
  const self = subgraph({ id: 'loop-a', name: 'Ouroboros', inputs: [], outputs: [], graph: selfInner });
  const g = new Graph();
  g.add(1, 'loop-a');
  refuses(() => convert(workflow(g, { subgraphs: [self] })), /Subgraph “Ouroboros” contains itself/);
  const aInner = new Graph(true);
  aInner.add(1, 'loop-b');
  const bInner = new Graph(true);
  bInner.add(2, 'loop-c');
  const a = subgraph({ id: 'loop-c', name: 'A', inputs: [], outputs: [], graph: aInner });
  const b = subgraph({ id: 'loop-b', name: 'B', inputs: [], outputs: [], graph: bInner });
  const r = new Graph();
  r.add(9, 'loop-c');
  refuses(
    () => convert(workflow(r, { subgraphs: [a, b] })),
    /Subgraph “A” contains itself \(through node 9:1:2 .* in subgraph “B”\)/,
  );
});

hostile('50 levels of subgraph nesting: refused past 32, no stack overflow', () => {
  const defs: Json[] = [];
  for (let i = 0; i < 50; i++) {
    const inner = new Graph(true);
    inner.add(1, i === 49 ? 'EmptyImage' : `level-${i + 1}`);
    defs.push(subgraph({ id: `level-${i}`, name: `Level ${i}`, inputs: [], outputs: [], graph: inner }));
  }
  const g = new Graph();
  g.add(1, 'level-0');
  refuses(() => convert(workflow(g, { subgraphs: defs })), /nested more than 32 levels/);
});

hostile('a subgraph used 10 times in a subgraph used 10 times…: refused past 100,000 nodes after expansion', () => {
  const defs: Json[] = [];
  for (let i = 0; i < 6; i++) {
    const inner = new Graph(true);
    for (let k = 0; k < 10; k++) inner.add(k + 1, i === 5 ? 'EmptyImage' : `fan-${i + 1}`);
    defs.push(subgraph({ id: `fan-${i}`, name: `Fan ${i}`, inputs: [], outputs: [], graph: inner }));
  }
  const g = new Graph();
  g.add(1, 'fan-0');
  refuses(() => convert(workflow(g, { subgraphs: defs })), /more than 100,000 nodes/, 10_000);
});

hostile('200,000 nodes: refused at once', () => {
  const nodes = Array.from({ length: 200_000 }, (_, i) => ({
    id: i + 1,
    type: 'EmptyImage',
    widgets_values: [8, 8, 1, 0],
  }));
  refuses(() => convert({ nodes, links: [] }), /more than 100,000 nodes/);
});

hostile('a chain of 50,000 Reroutes converts in bounded time; a long chain of links is walked, not recursed', () => {
  const start = performance.now();
  const { prompt } = convert(chainOfReroutes(50_000));
  expect(prompt['5']!.inputs).toEqual({ images: ['1', 0] });
  expect(performance.now() - start).toBeLessThan(5_000);
});

hostile('tens of megabytes: a 20 MB prompt text is refused by name, a 20 MB title or type is cut or refused', () => {
  const big = 'x'.repeat(20_000_000);
  const g = new Graph();
  g.add(6, 'CLIPTextEncode', { widgets: [big] });
  refuses(() => convert(workflow(g)), /value of “text” on node 6 .* 20 million characters/);
  const t = new Graph();
  t.add(6, 'ImageInvert', { title: big });
  const title = convert(workflow(t)).prompt['6']!._meta!.title!;
  expect(title.length).toBeLessThan(2_000);
  const y = new Graph();
  y.add(6, big);
  refuses(() => convert(workflow(y)), /node 6 .* has no node type/);
});

hostile('JSON nested 100,000 levels deep in a widget value: refused before anything recursive runs', () => {
  let deep: unknown = 1;
  for (let i = 0; i < 100_000; i++) deep = [deep];
  const g = new Graph();
  g.add(1, 'EmptyImage', { widgets: [deep, 8, 1, 0] });
  const ui = workflow(g);
  refuses(() => convert(ui), /nested more than 64 levels/);
  refuses(() => writeValuesToUi(ui, objectInfo, {}), /nested more than 64 levels/);
  refuses(() => setNodeMode(ui, '1', 'mute'), /nested more than 64 levels/);
});

hostile(
  '__proto__, constructor and toString as node ids, types, input names, link ids, widget keys, subgraph and group names',
  () => {
    const keys = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];
    for (const key of keys) {
      const ui = JSON.parse(
        JSON.stringify({
          nodes: [
            {
              id: key,
              type: 'EmptyImage',
              widgets_values: { [key]: 1, width: 8 },
              inputs: [{ name: key, type: key, link: null }],
            },
            { id: 2, type: 'PreviewImage', inputs: [{ name: 'images', type: 'IMAGE', link: key }] },
          ],
          links: [[key, key, 0, 2, 0, 'IMAGE']],
          extra: { groupNodes: { [key]: { nodes: [], links: [] } } },
          definitions: { subgraphs: [{ id: `${key}-sg`, name: key, inputs: [], outputs: [], nodes: [], links: [] }] },
        }),
      ) as Json;
      const { prompt } = convert(ui);
      expect(Object.keys(prompt).sort()).toEqual([key, '2'].sort());
      expect(prompt['2']!.inputs.images).toEqual([key, 0]);
      expect(prompt[key]!.inputs).toEqual({ width: 8, height: 512, batch_size: 1, color: 0 });
      // As node types they are simply missing from the server.
      const typed = JSON.parse(JSON.stringify({ nodes: [{ id: 1, type: key }], links: [] })) as Json;
      expect(missingNodeTypes(typed, objectInfo)).toEqual([{ type: key, title: key, uiId: '1' }]);
      refuses(() => convert(typed), /node type the server doesn't have/);
      // A hostile object_info: the key as an input name, its spec garbage.
      const info = JSON.parse(
        JSON.stringify({
          Evil: {
            input: { required: { [key]: ['INT', { default: 3 }], x: 'nope', y: [] } },
            input_order: { required: [key, 'x', key] },
            output: [key],
          },
        }),
      ) as Json;
      expect(
        convertUiWorkflow({ nodes: [{ id: 1, type: 'Evil', widgets_values: [4] }], links: [] }, info).prompt['1']!
          .inputs[key],
      ).toBe(4);
    }
    expect(({} as Json).width).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'width')).toBe(false);
  },
);

hostile(
  'widgets_values longer or shorter than the widgets, or not a list: extras ignored, missing ones default',
  () => {
    const g = new Graph();
    g.add(1, 'EmptyLatentImage', { widgets: Array.from({ length: 10_000 }, (_, i) => i) });
    g.add(2, 'EmptyLatentImage', { widgets: [] });
    g.add(3, 'EmptyLatentImage', { widgets: 'nope' as unknown as unknown[] });
    const { prompt } = convert(workflow(g));
    expect(prompt['1']!.inputs).toEqual({ width: 0, height: 1, batch_size: 2 });
    expect(prompt['2']!.inputs).toEqual({ width: 512, height: 512, batch_size: 1 });
    expect(prompt['3']!.inputs).toEqual({ width: 512, height: 512, batch_size: 1 });
  },
);

hostile('subgraph boxes and promoted widgets that point nowhere', () => {
  const inner = new Graph(true);
  inner.add(1, 'ImageInvert');
  inner.links.push({ id: 1, origin_id: -10, origin_slot: 7, target_id: 1, target_slot: 0, type: 'IMAGE' });
  (inner.node(1).inputs as Json[]).push({ name: 'image', type: 'IMAGE', link: 1 });
  const def = subgraph({
    id: 'sg',
    name: 'Broken',
    inputs: [],
    outputs: [{ name: 'IMAGE', type: 'IMAGE' }],
    graph: inner,
  });
  const g = new Graph();
  g.add(5, 'sg', {
    widgets: [1, 2, 3],
    properties: { proxyWidgets: [['-1', 'nope'], ['99', 'x'], 'garbage', [1, 2]] },
  });
  g.add(6, 'PreviewImage');
  g.connect(5, 3, 6, 'images', 'IMAGE');
  refuses(
    () => convert(workflow(g, { subgraphs: [def] })),
    /input 8 of subgraph “Broken”, which has only 0 inputs|output 4 of node 5/,
  );
  // A link from the subgraph-input box in the root graph, where there is none.
  const r = new Graph();
  r.add(2, 'PreviewImage', { inputs: [{ name: 'images', type: 'IMAGE', link: 3 }] });
  r.links.push([3, -10, 0, 2, 0, 'IMAGE']);
  refuses(() => convert(workflow(r)), /comes from node -10, which is not in the workflow/);
});

hostile(
  'group nodes: malformed definitions, links to inner nodes that do not exist, a group node inside a subgraph',
  () => {
    const g = new Graph();
    g.add(7, 'workflow>Bad');
    refuses(() => convert(workflow(g, { groupNodes: { Bad: 'x' } })), /Group node “Bad” has no definition/);
    refuses(() => convert(workflow(g, { groupNodes: { Bad: { nodes: 'x' } } })), /Group node “Bad” has no node list/);
    refuses(
      () =>
        convert(
          workflow(g, { groupNodes: { Bad: { nodes: [{ type: 'EmptyImage' }], links: [[0, 0, 5, 0, 1, 'IMAGE']] } } }),
        ),
      /A link in group node “Bad” points to an inner node that does not exist/,
    );
    const inner = new Graph(true);
    inner.add(1, 'workflow>Ok');
    const def = subgraph({ id: 'sg', name: 'Holder', inputs: [], outputs: [], graph: inner });
    const h = new Graph();
    h.add(3, 'sg');
    refuses(
      () =>
        convert(workflow(h, { subgraphs: [def], groupNodes: { Ok: { nodes: [{ type: 'EmptyImage' }], links: [] } } })),
      /group node inside a subgraph/,
    );
  },
);

hostile('write-back and mode switching with hostile prompts and ids never throw anything but DeskError', () => {
  const g = new Graph();
  g.add(1, 'EmptyLatentImage', { widgets: [512, 512, 1] });
  const ui = workflow(g);
  for (const prompt of [
    null,
    5,
    [],
    { '1': null },
    { '1': { inputs: null } },
    { '1': { inputs: { width: ['9', 0] } } },
    JSON.parse('{"__proto__": {"inputs": {"width": 1}}}'),
  ]) {
    const out = writeValuesToUi(ui, objectInfo, prompt as never);
    expect((out.nodes as Json[])[0]!.widgets_values).toEqual([512, 512, 1]);
  }
  refuses(() => setNodeMode(ui, '1', 'sleep' as never), /Unknown node mode/);
  refuses(() => setNodeMode(ui, '1:2:3:4', 'mute'), /no node 1:2:3:4/);
});
