// The form's layout: groups as sections in canvas order, nodes by position, widgets keyed to the prompt.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertUiWorkflow } from '../../../electron/engine/workflows/ui/index';
import { Graph, realObjectInfo as objectInfo, subgraph, workflow } from './ui-builder';

const FIXTURES_DIR = join(import.meta.dirname, '../../../../shared/fixtures');
const layoutOf = (ui: unknown) => convertUiWorkflow(ui, objectInfo).layout;

describe('layout', () => {
  it('sections are the groups top to bottom then left to right, the ungrouped last; a node in the smallest group holding it', () => {
    const g = new Graph();
    g.add(1, 'EmptyLatentImage', { widgets: [512, 512, 1], pos: [20, 520] }); // in "Lower left"
    g.add(2, 'EmptyLatentImage', { widgets: [512, 512, 1], pos: [620, 520] }); // in "Lower right"
    g.add(3, 'EmptyLatentImage', { widgets: [512, 512, 1], pos: [20, 60] }); // in "Inner" inside "Top"
    g.add(4, 'EmptyLatentImage', { widgets: [512, 512, 1], pos: [450, 60] }); // in "Top" only
    g.add(5, 'EmptyLatentImage', { widgets: [512, 512, 1], pos: [2000, 2000] }); // no group
    g.add(6, 'EmptyLatentImage', { widgets: [512, 512, 1], pos: [20, 300] }); // "Top", below node 4
    const groups = [
      { title: 'Lower right', bounding: [600, 480, 400, 300], color: '#3f789e' },
      { title: 'Lower left', bounding: [0, 480, 400, 300] },
      { title: 'Top', bounding: [0, 0, 1000, 450] },
      { title: 'Inner', bounding: [10, 10, 300, 200] },
      { title: 'Empty', bounding: [5000, 5000, 10, 10] },
    ];
    const layout = layoutOf(workflow(g, { groups }));
    expect(layout.sections.map((s) => [s.title, s.nodes.map((n) => n.uiId)])).toEqual([
      ['Top', ['4', '6']],
      ['Inner', ['3']],
      ['Lower left', ['1']],
      ['Lower right', ['2']],
      [null, ['5']],
    ]);
    expect(layout.sections[3]!.color).toBe('#3f789e');
  });

  it('nodes: title, class, mode, apiId (null when not sent), widgets keyed `apiId.input` in display order', () => {
    const g = new Graph();
    g.add(1, 'KSampler', { title: 'Sampler', widgets: [1, 'fixed', 20, 8, 'euler', 'normal', 1] });
    g.add(2, 'EmptyLatentImage', { widgets: [512, 512, 1], mode: 2 });
    g.add(3, 'EmptyLatentImage', { widgets: [512, 512, 1], mode: 4 });
    g.add(4, 'Note', { widgets: ['note'] });
    g.add(5, 'Reroute');
    g.connect(2, 0, 1, 'latent_image', 'LATENT');
    const [section] = layoutOf(workflow(g)).sections;
    expect(section!.nodes).toEqual([
      {
        uiId: '1',
        apiId: '1',
        title: 'Sampler',
        classType: 'KSampler',
        mode: 'always',
        widgets: ['seed', 'steps', 'cfg', 'sampler_name', 'scheduler', 'denoise'].map((input) => ({
          input,
          key: `1.${input}`,
        })),
      },
      { uiId: '2', apiId: null, title: 'Empty Latent Image', classType: 'EmptyLatentImage', mode: 'mute', widgets: [] },
      {
        uiId: '3',
        apiId: null,
        title: 'Empty Latent Image',
        classType: 'EmptyLatentImage',
        mode: 'bypass',
        widgets: [],
      },
    ]);
  });

  it('a widget fed by a link is not shown; one fed by a PrimitiveNode shows once, on the PrimitiveNode, keyed to the first it feeds and naming the rest', () => {
    const g = new Graph();
    g.add(1, 'PrimitiveNode', {
      title: 'Size',
      widgets: [768, 'fixed'],
      outputs: [{ name: 'INT', type: 'INT', links: [] }],
    });
    g.add(2, 'EmptyLatentImage', { widgets: [512, 512, 1] });
    g.add(3, 'PrimitiveInt', { widgets: [2, 'fixed'] });
    g.connect(1, 0, 2, 'width', 'INT', true);
    g.connect(1, 0, 2, 'height', 'INT', true);
    g.connect(3, 0, 2, 'batch_size', 'INT', true);
    const nodes = layoutOf(workflow(g)).sections[0]!.nodes;
    expect(nodes.map((n) => [n.uiId, n.apiId, n.widgets])).toEqual([
      // Shown once, and it names the other input it sets: one edit sets both, as in ComfyUI's editor.
      ['1', null, [{ input: 'width', key: '2.width', label: 'Size', also: ['2.height'] }]],
      ['2', '2', []],
      ['3', '3', [{ input: 'value', key: '3.value' }]],
    ]);
  });

  it('a subgraph instance shows its promoted widgets keyed to the inner inputs, then its inner nodes with `parent`', () => {
    const inner = new Graph(true, 100);
    inner.add(1, 'ImageBlur', { widgets: [2, 1], pos: [0, 500] });
    inner.add(2, 'EmptyImage', { widgets: [8, 8, 1, 0], pos: [0, 0] });
    inner.connect(2, 0, 1, 'image', 'IMAGE');
    inner.connect(-10, 0, 1, 'blur_radius', 'INT', true);
    const def = subgraph({
      id: 'sg',
      name: 'Blur',
      inputs: [{ name: 'radius', type: 'INT', label: 'Radius' }],
      outputs: [],
      graph: inner,
    });
    const g = new Graph();
    g.add(7, 'sg', {
      widgets: [5],
      properties: {
        proxyWidgets: [
          ['-1', 'radius'],
          ['2', 'width'],
        ],
      },
    });
    const nodes = layoutOf(workflow(g, { subgraphs: [def] })).sections[0]!.nodes;
    expect(nodes.map((n) => [n.uiId, n.apiId, n.title, n.parent, n.widgets.map((w) => [w.key, w.label])])).toEqual([
      [
        '7',
        null,
        'Blur',
        undefined,
        [
          ['7:1.blur_radius', 'Radius'],
          ['7:2.width', undefined],
        ],
      ],
      [
        '7:2',
        '7:2',
        'EmptyImage',
        '7',
        [['7:2.height'], ['7:2.batch_size'], ['7:2.color']].map(([k]) => [k, undefined]),
      ],
      ['7:1', '7:1', 'ImageBlur', '7', [['7:1.sigma', undefined]]],
    ]);
  });
});

describe('a value that feeds several inputs', () => {
  it('shows once and names every input it sets (a PrimitiveNode, a subgraph widget), each holding the same value', () => {
    const dir = join(FIXTURES_DIR, 'ui-to-api');
    let shared = 0;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.workflow.json'))) {
      const { prompt, layout } = convertUiWorkflow(JSON.parse(readFileSync(join(dir, file), 'utf8')), objectInfo);
      const valueAt = (key: string) => {
        const dot = key.lastIndexOf('.');
        return prompt[key.slice(0, dot)]?.inputs[key.slice(dot + 1)];
      };
      for (const w of layout.sections.flatMap((s) => s.nodes).flatMap((n) => n.widgets)) {
        for (const other of w.also ?? []) {
          shared += 1;
          expect(other).not.toBe(w.key);
          expect(valueAt(other), `${file}: ${other} takes ${w.key}'s value`).toEqual(valueAt(w.key));
        }
      }
    }
    // sdxl_simple_example's Primitive nodes feed the base and the refiner (width, height, steps…).
    expect(shared).toBeGreaterThan(5);
  });
});
