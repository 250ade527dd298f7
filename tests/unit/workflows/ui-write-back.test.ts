// writeValuesToUi and setNodeMode: values go back where they were read, the rest of the file stays.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DeskError } from '../../../shared/errors';
import type { ApiWorkflow } from '../../../electron/engine/workflows/api-format';
import { convertUiWorkflow, setNodeMode, writeValuesToUi } from '../../../electron/engine/workflows/ui/index';
import { FIXTURES } from '../jobs/journal-helpers';
import { Graph, plain, realObjectInfo as objectInfo, subgraph, workflow } from './ui-builder';

type Json = Record<string, unknown>;

const convert = (ui: unknown) => plain(convertUiWorkflow(ui, objectInfo).prompt);

/** A new value derived from the old one alone, so inputs sharing a value (a PrimitiveNode's) stay equal. */
function changed(v: unknown): unknown {
  if (typeof v === 'number') return Number.isInteger(v) ? v + 1 : v + 0.5;
  if (typeof v === 'string') return `${v}~`;
  if (typeof v === 'boolean') return !v;
  return v;
}

function changeAll(prompt: ApiWorkflow): ApiWorkflow {
  const out = plain(prompt);
  for (const node of Object.values(out)) {
    for (const [k, v] of Object.entries(node.inputs)) if (!Array.isArray(v)) node.inputs[k] = changed(v);
  }
  return out;
}

/** The file without its widget values: what must not change when values are written back. */
function withoutValues(ui: unknown): unknown {
  return JSON.parse(JSON.stringify(ui), (key, value: unknown) => (key === 'widgets_values' ? undefined : value));
}

const fixtureDirs = [join(FIXTURES, 'ui-to-api'), join(FIXTURES, 'ui-to-api-subgraphs')];
const fixtures = fixtureDirs.flatMap((dir) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.workflow.json'))
    .map((f) => join(dir, f)),
);

describe('writeValuesToUi', () => {
  it('round trip on every fixture: convert → change every value → write back → convert gives the changed prompt', () => {
    expect(fixtures.length).toBe(74);
    for (const file of fixtures) {
      const ui = JSON.parse(readFileSync(file, 'utf8')) as Json;
      const before = JSON.stringify(ui);
      const prompt = changeAll(convert(ui));
      const written = writeValuesToUi(ui, objectInfo, prompt);
      expect(JSON.stringify(ui), `${file}: the input is not modified`).toBe(before);
      expect(convert(written), file).toEqual(prompt);
      expect(withoutValues(written), `${file}: only values change`).toEqual(withoutValues(ui));
    }
  });

  it('writes into the array form, the object form, a PrimitiveNode and a subgraph instance’s promoted widget', () => {
    const inner = new Graph(true, 100);
    inner.add(1, 'ImageBlur', { widgets: [2, 1] });
    inner.connect(-10, 0, 1, 'blur_radius', 'INT', true);
    const def = subgraph({ id: 'sg', name: 'S', inputs: [{ name: 'radius', type: 'INT' }], outputs: [], graph: inner });
    const g = new Graph();
    g.add(1, 'EmptyLatentImage', { widgets: [512, 512, 1] });
    g.add(2, 'EmptyImage', { widgets: { width: 8, height: 8, batch_size: 1, color: 0 } });
    g.add(3, 'PrimitiveNode', { widgets: [5, 'fixed'], outputs: [{ name: 'INT', type: 'INT', links: [] }] });
    g.add(4, 'EmptyLatentImage', { widgets: [64, 64, 1] });
    g.connect(3, 0, 4, 'batch_size', 'INT', true);
    g.add(5, 'sg', { widgets: [3], properties: { proxyWidgets: [['-1', 'radius']] } });
    const ui = workflow(g, { subgraphs: [def] });
    const prompt = convert(ui);
    prompt['1']!.inputs.height = 1024;
    prompt['2']!.inputs.color = 255;
    prompt['4']!.inputs.batch_size = 9;
    prompt['5:1']!.inputs.blur_radius = 12;
    prompt['5:1']!.inputs.sigma = 2.5;
    const out = writeValuesToUi(ui, objectInfo, prompt);
    const nodes = out.nodes as Json[];
    expect(nodes[0]!.widgets_values).toEqual([512, 1024, 1]);
    expect(nodes[1]!.widgets_values).toEqual({ width: 8, height: 8, batch_size: 1, color: 255 });
    expect(nodes[2]!.widgets_values).toEqual([9, 'fixed']);
    expect(nodes[3]!.widgets_values).toEqual([64, 64, 1]); // the PrimitiveNode holds it
    expect(nodes[4]!.widgets_values).toEqual([12]);
    const innerNode = ((out.definitions as Json).subgraphs as Json[])[0]!.nodes as Json[];
    expect(innerNode[0]!.widgets_values).toEqual([2, 2.5]); // not promoted: the definition's inner node
    expect(convert(out)).toEqual(prompt);
  });

  it('a value the file has no slot for yet is added after the defaults; inputs the prompt lacks stay', () => {
    const g = new Graph();
    g.add(1, 'EmptyLatentImage', { widgets: [640] });
    g.add(2, 'KSampler', { widgets: [1, 'fixed', 20, 8, 'euler', 'normal', 1] });
    const ui = workflow(g);
    const prompt = convert(ui);
    prompt['1']!.inputs.batch_size = 4;
    delete prompt['2'];
    const out = writeValuesToUi(ui, objectInfo, prompt);
    expect((out.nodes as Json[])[0]!.widgets_values).toEqual([640, 512, 4]);
    expect((out.nodes as Json[])[1]!.widgets_values).toEqual([1, 'fixed', 20, 8, 'euler', 'normal', 1]);
  });

  it('the seed that ran goes back; "control after generate" stays as it was', () => {
    const g = new Graph();
    g.add(1, 'KSampler', { widgets: [1, 'randomize', 20, 8, 'euler', 'normal', 1] });
    const ui = workflow(g);
    const prompt = convert(ui);
    prompt['1']!.inputs.seed = 987654321;
    expect((writeValuesToUi(ui, objectInfo, prompt).nodes as Json[])[0]!.widgets_values).toEqual([
      987654321,
      'randomize',
      20,
      8,
      'euler',
      'normal',
      1,
    ]);
  });
});

describe('setNodeMode', () => {
  function twoInstances() {
    const inner = new Graph(true, 100);
    inner.add(3, 'EmptyImage', { widgets: [8, 8, 1, 0] });
    const def = subgraph({ id: 'sg', name: 'S', inputs: [], outputs: [], graph: inner });
    const g = new Graph();
    g.add(12, 'EmptyImage', { widgets: [8, 8, 1, 0] });
    g.add(75, 'sg');
    g.add(76, 'sg');
    return workflow(g, { subgraphs: [def] });
  }

  it('sets a top-level node’s mode in a copy; the original is untouched', () => {
    const ui = twoInstances();
    const before = JSON.stringify(ui);
    const muted = setNodeMode(ui, '12', 'mute');
    expect(JSON.stringify(ui)).toBe(before);
    expect((muted.nodes as Json[])[0]!.mode).toBe(2);
    expect(Object.keys(convert(muted)).sort()).toEqual(['75:3', '76:3']);
    expect((setNodeMode(muted, '12', 'always').nodes as Json[])[0]!.mode).toBe(0);
    expect((setNodeMode(ui, '12', 'bypass').nodes as Json[])[0]!.mode).toBe(4);
  });

  it('an inner node "75:3" changes the definition, so every instance', () => {
    const out = setNodeMode(twoInstances(), '75:3', 'mute');
    expect(Object.keys(convert(out))).toEqual(['12']);
  });

  it('no such node: a DeskError naming it', () => {
    for (const id of ['99', '75:9', '12:3', '', '__proto__', 'constructor:toString']) {
      expect(() => setNodeMode(twoInstances(), id, 'mute')).toThrow(DeskError);
    }
    expect(() => setNodeMode(twoInstances(), '99', 'mute')).toThrow('The workflow has no node 99.');
  });
});
