// The converter's rules one by one, on small hand-made graphs (the frontend 1.35.9 source each rule
// comes from is named in electron/engine/workflows/ui/).
import { describe, expect, it } from 'vitest';
import { DeskError } from '../../../shared/errors';
import { convertUiWorkflow, missingNodeTypes } from '../../../electron/engine/workflows/ui/index';
import { Graph, plain, realObjectInfo as real, subgraph, workflow } from './ui-builder';

const objectInfo: Record<string, unknown> = {
  ...real,
  // Keys deliberately not in input_order's order: widget order must come from input_order.
  Ordered: {
    name: 'Ordered',
    display_name: 'Ordered node',
    input: {
      required: { a_last: ['STRING', {}], b_first: ['INT', { default: 7 }], image: ['IMAGE', {}] },
      optional: { c_opt: [['x', 'y'], {}] },
    },
    input_order: { required: ['b_first', 'image', 'a_last'], optional: ['c_opt'] },
    output: ['IMAGE'],
  },
  Controls: {
    name: 'Controls',
    display_name: 'Controls',
    input: {
      required: {
        n: ['INT', { control_after_generate: true }],
        f: ['FLOAT', { control_after_generate: true }],
        pick: [['p', 'q'], { control_after_generate: true }],
        seed: ['INT', { control_after_generate: false }],
        last: ['STRING', {}],
        forced: ['INT', { forceInput: true }],
      },
    },
    input_order: { required: ['n', 'f', 'pick', 'seed', 'last', 'forced'] },
    output: ['INT'],
  },
  Mixer: {
    name: 'Mixer',
    display_name: 'Mixer',
    input: { required: { mask: ['MASK', {}], image: ['IMAGE', {}], other: ['IMAGE', {}] } },
    input_order: { required: ['mask', 'image', 'other'] },
    output: ['IMAGE'],
  },
  Maker: {
    name: 'Maker',
    display_name: 'Maker',
    input: { required: {} },
    output: ['IMAGE', 'MASK'],
  },
};

const convert = (ui: unknown) => plain(convertUiWorkflow(ui, objectInfo).prompt);
const inputsOf = (ui: unknown, id: string) => convert(ui)[id]!.inputs;

describe('widgets', () => {
  it('map widgets_values to widget inputs in input_order; socket inputs take no slot', () => {
    const g = new Graph();
    g.add(1, 'Ordered', { widgets: [3, 'text', 'y'] });
    expect(inputsOf(workflow(g), '1')).toEqual({ b_first: 3, a_last: 'text', c_opt: 'y' });
  });

  it('KSampler: "control after generate" after the seed takes a slot and is never sent', () => {
    const g = new Graph();
    g.add(1, 'KSampler', { widgets: [42, 'randomize', 20, 7.5, 'euler', 'normal', 0.8] });
    expect(inputsOf(workflow(g), '1')).toEqual({
      seed: 42,
      steps: 20,
      cfg: 7.5,
      sampler_name: 'euler',
      scheduler: 'normal',
      denoise: 0.8,
    });
  });

  it('control_after_generate options: INT and FLOAT one extra slot, a combo two (control and filter), false on "seed" none', () => {
    const g = new Graph();
    g.add(1, 'Controls', { widgets: [5, 'fixed', 1.5, 'fixed', 'q', 'fixed', '', 99, 'end'] });
    expect(inputsOf(workflow(g), '1')).toEqual({ n: 5, f: 1.5, pick: 'q', seed: 99, last: 'end' });
  });

  it('a pre-1.16 file with a slot for each forceInput input: those slots are dropped', () => {
    const g = new Graph();
    // legacy list: n(2) f(2) pick(1: the count gives combos one extra) seed(2) last(1) forced(2) = 10 values
    g.add(1, 'Controls', { widgets: [5, 'fixed', 1.5, 'fixed', 'q', 'fixed', 99, 'fixed', 'end', 0] });
    expect(Object.keys(inputsOf(workflow(g), '1')).sort()).toEqual(['f', 'last', 'n', 'pick', 'seed']);
  });

  it('upload buttons take a slot and are not sent (image, video, audio; the audio player takes none)', () => {
    const g = new Graph();
    g.add(1, 'LoadImage', { widgets: ['cat.png', 'image'] });
    g.add(2, 'LoadImageMask', { widgets: ['mask.png', 'red', 'image'] });
    g.add(3, 'LoadAudio', { widgets: ['a.wav', null] });
    g.add(4, 'LoadVideo', { widgets: ['v.mp4', 'image'] });
    const p = convert(workflow(g));
    expect(p['1']!.inputs).toEqual({ image: 'cat.png' });
    expect(p['2']!.inputs).toEqual({ image: 'mask.png', channel: 'red' });
    expect(p['3']!.inputs).toEqual({ audio: 'a.wav' });
    expect(p['4']!.inputs).toEqual({ file: 'v.mp4' });
  });

  it('a widget missing from the file gets its declared default; extra values are ignored', () => {
    const g = new Graph();
    g.add(1, 'EmptyLatentImage', { widgets: [640] });
    g.add(2, 'ImageInvert', { widgets: ['stale', 'values'] });
    const p = convert(workflow(g));
    expect(p['1']!.inputs).toEqual({ width: 640, height: 512, batch_size: 1 });
    expect(p['2']!.inputs).toEqual({});
  });

  it('widgets_values as an object keyed by widget name', () => {
    const g = new Graph();
    g.add(1, 'EmptyLatentImage', { widgets: { height: 768, width: 1024, unknown: 1 } });
    expect(inputsOf(workflow(g), '1')).toEqual({ width: 1024, height: 768, batch_size: 1 });
  });

  it('array values are wrapped as {__value__} (arrays mean links in the API format)', () => {
    const g = new Graph();
    g.add(1, 'EmptyLatentImage', { widgets: [[1, 2], 512, 1] });
    expect(inputsOf(workflow(g), '1').width).toEqual({ __value__: [1, 2] });
  });

  it('a widget input fed by a link is sent as that link', () => {
    const g = new Graph();
    g.add(1, 'PrimitiveInt', { widgets: [1234, 'fixed'] });
    g.add(2, 'KSampler', { widgets: [42, 'randomize', 20, 7.5, 'euler', 'normal', 1] });
    g.connect(1, 0, 2, 'seed', 'INT', true);
    expect(inputsOf(workflow(g), '2').seed).toEqual(['1', 0]);
  });

  it('_meta.title: the node title, else the display name, else the class name', () => {
    const g = new Graph();
    g.add(1, 'ImageInvert', { title: 'Flip it' });
    g.add(2, 'ImageInvert');
    g.add(3, 'ImageBlur'); // 0.8.0 declares no display name for it
    const p = convert(workflow(g));
    expect([p['1']!._meta, p['2']!._meta, p['3']!._meta]).toEqual([
      { title: 'Flip it' },
      { title: 'Invert Image' },
      { title: 'ImageBlur' },
    ]);
  });
});

describe('virtual nodes', () => {
  it('Notes and Reroutes are never sent; a chain of Reroutes leads to the real origin', () => {
    const g = new Graph();
    g.add(1, 'EmptyImage', { widgets: [64, 64, 1, 0] });
    g.add(2, 'Reroute');
    g.add(3, 'Reroute');
    g.add(4, 'PreviewImage');
    g.add(5, 'Note', { widgets: ['hello'] });
    g.add(6, 'MarkdownNote', { widgets: ['# hi'] });
    g.connect(1, 0, 2, '', '*');
    g.connect(2, 0, 3, '', '*');
    g.connect(3, 0, 4, 'images', 'IMAGE');
    const p = convert(workflow(g));
    expect(Object.keys(p).sort()).toEqual(['1', '4']);
    expect(p['4']!.inputs).toEqual({ images: ['1', 0] });
  });

  it('a PrimitiveNode writes its value into every widget it feeds and is not sent', () => {
    const g = new Graph();
    g.add(1, 'PrimitiveNode', { widgets: [768, 'fixed'], outputs: [{ name: 'INT', type: 'INT', links: [] }] });
    g.add(2, 'EmptyLatentImage', { widgets: [512, 512, 1] });
    g.add(3, 'EmptyImage', { widgets: [64, 64, 1, 0] });
    g.connect(1, 0, 2, 'width', 'INT', true);
    g.connect(1, 0, 3, 'height', 'INT', true);
    const p = convert(workflow(g));
    expect(Object.keys(p).sort()).toEqual(['2', '3']);
    expect(p['2']!.inputs).toEqual({ width: 768, height: 512, batch_size: 1 });
    expect(p['3']!.inputs).toEqual({ width: 64, height: 768, batch_size: 1, color: 0 });
  });

  it('native link reroutes (extra.reroutes, parentId) leave no trace', () => {
    const g = new Graph();
    g.add(1, 'EmptyImage', { widgets: [64, 64, 1, 0] });
    g.add(2, 'PreviewImage');
    g.connect(1, 0, 2, 'images', 'IMAGE');
    const ui = workflow(g);
    ui.extra = { reroutes: [{ id: 1, pos: [10, 10], linkIds: [1] }], linkExtensions: [{ id: 1, parentId: 1 }] };
    expect(convert(ui)['2']!.inputs).toEqual({ images: ['1', 0] });
  });
});

describe('modes', () => {
  it('a muted node is left out, and so are the inputs only it fed (also a widget input)', () => {
    const g = new Graph();
    g.add(1, 'PrimitiveInt', { widgets: [5, 'fixed'], mode: 2 });
    g.add(2, 'EmptyLatentImage', { widgets: [512, 512, 1] });
    g.add(3, 'Maker', { mode: 2 });
    g.add(4, 'PreviewImage');
    g.connect(1, 0, 2, 'batch_size', 'INT', true);
    g.connect(3, 0, 4, 'images', 'IMAGE');
    const p = convert(workflow(g));
    expect(Object.keys(p).sort()).toEqual(['2', '4']);
    expect(p['2']!.inputs).toEqual({ width: 512, height: 512 });
    expect(p['4']!.inputs).toEqual({});
  });

  it('a bypassed node passes the input of the same slot when its type fits', () => {
    const g = new Graph();
    g.add(1, 'Maker');
    g.add(2, 'ImageInvert', { mode: 4 });
    g.add(3, 'PreviewImage');
    g.connect(1, 0, 2, 'image', 'IMAGE');
    g.connect(2, 0, 3, 'images', 'IMAGE');
    const p = convert(workflow(g));
    expect(Object.keys(p).sort()).toEqual(['1', '3']);
    expect(p['3']!.inputs).toEqual({ images: ['1', 0] });
  });

  it('else the first input of the consumer’s type', () => {
    const g = new Graph();
    g.add(1, 'Maker');
    g.add(2, 'Mixer', { mode: 4 }); // slot 0 is a MASK: the IMAGE comes from "image", the first IMAGE input
    g.add(3, 'PreviewImage');
    g.connect(1, 1, 2, 'mask', 'MASK');
    g.connect(1, 0, 2, 'image', 'IMAGE');
    g.connect(2, 0, 3, 'images', 'IMAGE');
    expect(inputsOf(workflow(g), '3')).toEqual({ images: ['1', 0] });
  });

  it('a chain of bypassed nodes, and a bypassed node whose matching input is not connected', () => {
    const g = new Graph();
    g.add(1, 'Maker');
    g.add(2, 'ImageInvert', { mode: 4 });
    g.add(3, 'ImageInvert', { mode: 4 });
    g.add(4, 'PreviewImage');
    g.add(5, 'ImageInvert', { mode: 4 });
    g.add(6, 'PreviewImage');
    g.connect(1, 0, 2, 'image', 'IMAGE');
    g.connect(2, 0, 3, 'image', 'IMAGE');
    g.connect(3, 0, 4, 'images', 'IMAGE');
    g.connect(5, 0, 6, 'images', 'IMAGE');
    const p = convert(workflow(g));
    expect(p['4']!.inputs).toEqual({ images: ['1', 0] });
    expect(p['6']!.inputs).toEqual({});
  });
});

describe('legacy group nodes', () => {
  // workflow>Pair: [0] EmptyImage → [1] ImageBlur; the blur's radius and sigma and the image's size are the group's widgets.
  const groupNodes = {
    Pair: {
      nodes: [
        {
          type: 'EmptyImage',
          pos: [0, 0],
          size: [200, 100],
          flags: {},
          order: 0,
          mode: 0,
          outputs: [{ name: 'IMAGE', type: 'IMAGE', links: [] }],
          properties: {},
          widgets_values: [8, 8, 1, 0],
          index: 0,
        },
        {
          type: 'ImageBlur',
          pos: [0, 0],
          size: [200, 100],
          flags: {},
          order: 1,
          mode: 0,
          inputs: [{ name: 'image', type: 'IMAGE', link: null }],
          outputs: [{ name: 'IMAGE', type: 'IMAGE', links: [] }],
          properties: {},
          widgets_values: [1, 1],
          index: 1,
        },
        {
          type: 'ImageCompositeMasked',
          pos: [0, 0],
          size: [200, 100],
          flags: {},
          order: 2,
          mode: 0,
          inputs: [
            { name: 'destination', type: 'IMAGE', link: null },
            { name: 'source', type: 'IMAGE', link: null },
            { name: 'mask', type: 'MASK', link: null },
          ],
          outputs: [{ name: 'IMAGE', type: 'IMAGE', links: [] }],
          properties: {},
          widgets_values: [0, 0, false],
          index: 2,
        },
      ],
      links: [
        [0, 0, 1, 0, 1, 'IMAGE'],
        [1, 0, 2, 1, 2, 'IMAGE'],
        [null, 0, 2, 0, 3, 'IMAGE'],
      ],
      external: [],
    },
  };

  it('expands to inner nodes `<group id>:<index>`, group widgets to inner widgets in order, outside links wired in', () => {
    const g = new Graph();
    g.add(1, 'Maker');
    g.add(7, 'workflow>Pair', {
      widgets: [32, 16, 2, 5, 3, 0.5, 10, 20, true],
      inputs: [],
      outputs: [{ name: 'IMAGE', type: 'IMAGE', links: [] }],
    });
    g.add(9, 'PreviewImage');
    g.connect(1, 0, 7, 'destination', 'IMAGE');
    g.connect(7, 0, 9, 'images', 'IMAGE');
    const p = convert(workflow(g, { groupNodes }));
    expect(p['7:0']).toMatchObject({
      class_type: 'EmptyImage',
      inputs: { width: 32, height: 16, batch_size: 2, color: 5 },
    });
    expect(p['7:1']).toMatchObject({
      class_type: 'ImageBlur',
      inputs: { blur_radius: 3, sigma: 0.5, image: ['7:0', 0] },
    });
    expect(p['7:2']).toMatchObject({
      class_type: 'ImageCompositeMasked',
      inputs: { x: 10, y: 20, resize_source: true, destination: ['1', 0], source: ['7:1', 0] },
    });
    expect(p['9']!.inputs).toEqual({ images: ['7:2', 0] });
    expect(p).not.toHaveProperty('7');
  });

  it('the older `workflow/Name` type works too; a muted group node leaves its inner nodes out', () => {
    const g = new Graph();
    g.add(7, 'workflow/Pair', { widgets: [32, 16, 2, 5, 3, 0.5, 10, 20, true], mode: 2 });
    g.add(9, 'PreviewImage');
    g.connect(7, 0, 9, 'images', 'IMAGE');
    expect(Object.keys(convert(workflow(g, { groupNodes })))).toEqual(['9']);
  });
});

describe('subgraphs', () => {
  /** Subgraph "Blur twice": input image → two ImageBlur (fan-out) → output of the second's; input radius → both radii. */
  function blurTwice(id = 'sg-blur') {
    const inner = new Graph(true, 100);
    inner.add(1, 'ImageBlur', { widgets: [2, 1] });
    inner.add(2, 'ImageBlur', { widgets: [4, 1] });
    inner.connect(-10, 0, 1, 'image', 'IMAGE');
    inner.connect(-10, 0, 2, 'image', 'IMAGE');
    inner.connect(-10, 1, 1, 'blur_radius', 'INT', true);
    inner.connect(-10, 1, 2, 'blur_radius', 'INT', true);
    inner.connect(2, 0, -20, '', 'IMAGE');
    return subgraph({
      id,
      name: 'Blur twice',
      inputs: [
        { name: 'image', type: 'IMAGE' },
        { name: 'radius', type: 'INT', label: 'Radius' },
      ],
      outputs: [{ name: 'IMAGE', type: 'IMAGE' }],
      graph: inner,
    });
  }

  const instance = (g: Graph, id: number, o: { widgets?: unknown[]; mode?: number; proxy?: [string, string][] } = {}) =>
    g.add(id, 'sg-blur', {
      widgets: o.widgets ?? [],
      mode: o.mode,
      inputs: [{ name: 'image', type: 'IMAGE', link: null }],
      outputs: [{ name: 'IMAGE', type: 'IMAGE', links: [] }],
      properties: o.proxy ? { proxyWidgets: o.proxy } : {},
    });

  it('flattened with ids `<instance>:<inner>`; an input fans out to every inner node; outputs lead to the inner origin', () => {
    const g = new Graph();
    g.add(1, 'Maker');
    instance(g, 5, { widgets: [9] });
    g.add(6, 'PreviewImage');
    g.connect(1, 0, 5, 'image', 'IMAGE');
    g.connect(5, 0, 6, 'images', 'IMAGE');
    const p = convert(workflow(g, { subgraphs: [blurTwice()] }));
    expect(Object.keys(p).sort()).toEqual(['1', '5:1', '5:2', '6']);
    expect(p['5:1']!.inputs).toEqual({ image: ['1', 0], blur_radius: 9, sigma: 1 });
    expect(p['5:2']!.inputs).toEqual({ image: ['1', 0], blur_radius: 9, sigma: 1 });
    expect(p['6']!.inputs).toEqual({ images: ['5:2', 0] });
  });

  it('empty widgets_values keep the inner values; a link input fed by an unconnected subgraph input is left out', () => {
    const g = new Graph();
    instance(g, 5);
    const p = convert(workflow(g, { subgraphs: [blurTwice()] }));
    expect(p['5:1']!.inputs).toEqual({ blur_radius: 2, sigma: 1 });
    expect(p['5:2']!.inputs).toEqual({ blur_radius: 2, sigma: 1 }); // the promoted widget copies the first inner widget
  });

  it('the same definition used twice: each instance its own nodes and values', () => {
    const g = new Graph();
    instance(g, 5, { widgets: [3] });
    instance(g, 8, { widgets: [7] });
    const p = convert(workflow(g, { subgraphs: [blurTwice()] }));
    expect(Object.keys(p).sort()).toEqual(['5:1', '5:2', '8:1', '8:2']);
    expect([p['5:1']!.inputs.blur_radius, p['8:2']!.inputs.blur_radius]).toEqual([3, 7]);
  });

  it('proxyWidgets: ["-1", name] takes the value at its position; ["1", "sigma"] shows the inner widget and changes nothing', () => {
    const g = new Graph();
    instance(g, 5, {
      widgets: [0.25, 6],
      proxy: [
        ['1', 'sigma'],
        ['-1', 'radius'],
      ],
    });
    const p = convert(workflow(g, { subgraphs: [blurTwice()] }));
    expect(p['5:1']!.inputs).toEqual({ blur_radius: 6, sigma: 1 });
  });

  it('nested subgraphs get `a:b:c` ids and pass inputs through every level', () => {
    const outerInner = new Graph(true, 200);
    outerInner.add(3, 'sg-blur', {
      inputs: [{ name: 'image', type: 'IMAGE', link: null }],
      outputs: [{ name: 'IMAGE', type: 'IMAGE', links: [] }],
      widgets: [11],
    });
    outerInner.connect(-10, 0, 3, 'image', 'IMAGE');
    outerInner.connect(3, 0, -20, '', 'IMAGE');
    const outer = subgraph({
      id: 'sg-outer',
      name: 'Outer',
      inputs: [{ name: 'image', type: 'IMAGE' }],
      outputs: [{ name: 'IMAGE', type: 'IMAGE' }],
      graph: outerInner,
    });
    const g = new Graph();
    g.add(1, 'Maker');
    g.add(4, 'sg-outer', {
      inputs: [{ name: 'image', type: 'IMAGE', link: null }],
      outputs: [{ name: 'IMAGE', type: 'IMAGE', links: [] }],
    });
    g.add(6, 'PreviewImage');
    g.connect(1, 0, 4, 'image', 'IMAGE');
    g.connect(4, 0, 6, 'images', 'IMAGE');
    const p = convert(workflow(g, { subgraphs: [outer, blurTwice()] }));
    expect(Object.keys(p).sort()).toEqual(['1', '4:3:1', '4:3:2', '6']);
    expect(p['4:3:1']!.inputs).toEqual({ image: ['1', 0], blur_radius: 11, sigma: 1 });
    expect(p['6']!.inputs).toEqual({ images: ['4:3:2', 0] });
  });

  it('negative ids, and an inner id equal to its instance’s', () => {
    const inner = new Graph(true, 300);
    inner.add(-1, 'EmptyImage', { widgets: [8, 8, 1, 0] });
    inner.add(-5, 'ImageInvert');
    inner.connect(-1, 0, -5, 'image', 'IMAGE');
    inner.connect(-5, 0, -20, '', 'IMAGE');
    const def = subgraph({
      id: 'sg-neg',
      name: 'Neg',
      inputs: [],
      outputs: [{ name: 'IMAGE', type: 'IMAGE' }],
      graph: inner,
    });
    const g = new Graph();
    g.add(-1, 'sg-neg', { outputs: [{ name: 'IMAGE', type: 'IMAGE', links: [] }] });
    g.add(2, 'PreviewImage');
    g.connect(-1, 0, 2, 'images', 'IMAGE');
    const p = convert(workflow(g, { subgraphs: [def] }));
    expect(Object.keys(p).sort()).toEqual(['-1:-1', '-1:-5', '2']);
    expect(p['-1:-5']!.inputs).toEqual({ image: ['-1:-1', 0] });
    expect(p['2']!.inputs).toEqual({ images: ['-1:-5', 0] });
  });

  it('bypassed inside: consumers outside get the input from outside, across the boundary', () => {
    const inner = new Graph(true, 400);
    inner.add(1, 'ImageInvert', { mode: 4 });
    inner.connect(-10, 0, 1, 'image', 'IMAGE');
    inner.connect(1, 0, -20, '', 'IMAGE');
    const def = subgraph({
      id: 'sg-by',
      name: 'By',
      inputs: [{ name: 'image', type: 'IMAGE' }],
      outputs: [{ name: 'IMAGE', type: 'IMAGE' }],
      graph: inner,
    });
    const g = new Graph();
    g.add(1, 'Maker');
    g.add(2, 'sg-by', {
      inputs: [{ name: 'image', type: 'IMAGE', link: null }],
      outputs: [{ name: 'IMAGE', type: 'IMAGE', links: [] }],
    });
    g.add(3, 'PreviewImage');
    g.connect(1, 0, 2, 'image', 'IMAGE');
    g.connect(2, 0, 3, 'images', 'IMAGE');
    const p = convert(workflow(g, { subgraphs: [def] }));
    expect(Object.keys(p).sort()).toEqual(['1', '3']);
    expect(p['3']!.inputs).toEqual({ images: ['1', 0] });
  });

  it('a muted instance leaves all its inner nodes out; a bypassed one passes its input through', () => {
    const g = new Graph();
    g.add(1, 'Maker');
    instance(g, 5, { mode: 2 });
    instance(g, 8, { mode: 4 });
    g.add(6, 'PreviewImage');
    g.add(9, 'PreviewImage');
    g.connect(1, 0, 5, 'image', 'IMAGE');
    g.connect(1, 0, 8, 'image', 'IMAGE');
    g.connect(5, 0, 6, 'images', 'IMAGE');
    g.connect(8, 0, 9, 'images', 'IMAGE');
    const p = convert(workflow(g, { subgraphs: [blurTwice()] }));
    expect(Object.keys(p).sort()).toEqual(['1', '6', '9']);
    expect(p['6']!.inputs).toEqual({});
    expect(p['9']!.inputs).toEqual({ images: ['1', 0] });
  });
});

describe('missing node types', () => {
  it('lists them with title, ui id and subgraph, and converts nothing', () => {
    const inner = new Graph(true, 500);
    inner.add(3, 'BarNode', { title: 'Mask' });
    const def = subgraph({ id: 'sg-d', name: 'Detailer', inputs: [], outputs: [], graph: inner });
    const g = new Graph();
    g.add(12, 'FooNode', { title: 'My upscaler' });
    g.add(75, 'sg-d');
    g.add(76, 'sg-d');
    const ui = workflow(g, { subgraphs: [def] });
    expect(missingNodeTypes(ui, objectInfo)).toEqual([
      { type: 'FooNode', title: 'My upscaler', uiId: '12' },
      { type: 'BarNode', title: 'Mask', uiId: '75:3', subgraph: 'Detailer' },
    ]);
    let error: unknown;
    try {
      convertUiWorkflow(ui, objectInfo);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DeskError);
    expect((error as DeskError).code).toBe('invalid_input');
    expect((error as DeskError).message).toBe(
      "This workflow uses 2 node types the server doesn't have: FooNode (“My upscaler”, node 12), BarNode (“Mask”, node 75:3 in subgraph “Detailer”). " +
        'They come from custom node packs: install them on that server (ComfyUI Manager finds them), then try again.',
    );
    expect((error as DeskError).details).toEqual({ missingNodes: missingNodeTypes(ui, objectInfo) });
  });
});
