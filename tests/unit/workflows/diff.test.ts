// How the prompts of compared outputs differ: the inputs whose values changed, and the graph's changes.
import { describe, expect, it } from 'vitest';
import type { ApiWorkflow } from '../../../electron/engine/workflows/api-format';
import { diffPrompts } from '../../../electron/engine/workflows/diff';

const base: ApiWorkflow = {
  '3': { class_type: 'KSampler', inputs: { seed: 1, cfg: 7, steps: 20, model: ['4', 0] }, _meta: { title: 'Sampler' } },
  '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'a.safetensors' } },
  '6': { class_type: 'CLIPTextEncode', inputs: { text: 'a red fox', clip: ['4', 1] } },
  '10': { class_type: 'SaveImage', inputs: { images: ['3', 0], filename_prefix: 'x' } },
};

function variant(change: (w: ApiWorkflow) => void): ApiWorkflow {
  const copy = structuredClone(base);
  change(copy);
  return copy;
}

describe('diffPrompts', () => {
  it('the same prompt twice differs in nothing', () => {
    expect(diffPrompts([base, structuredClone(base)])).toEqual({ inputs: [], graph: [] });
  });

  it('names each changed input with its node title and every value, in node order (2 before 10)', () => {
    const b = variant((w) => {
      w['3']!.inputs.cfg = 4;
      w['6']!.inputs.text = 'a blue whale';
      w['10']!.inputs.filename_prefix = 'y';
    });
    const c = variant((w) => (w['3']!.inputs.cfg = 9));
    const { inputs, graph } = diffPrompts([base, b, c]);
    expect(graph).toEqual([]);
    expect(inputs).toEqual([
      { nodeId: '3', classType: 'KSampler', title: 'Sampler', input: 'cfg', values: [7, 4, 9] },
      {
        nodeId: '6',
        classType: 'CLIPTextEncode',
        title: null,
        input: 'text',
        values: ['a red fox', 'a blue whale', 'a red fox'],
      },
      { nodeId: '10', classType: 'SaveImage', title: null, input: 'filename_prefix', values: ['x', 'y', 'x'] },
    ]);
  });

  it('an input present in one only shows as absent in the other', () => {
    const b = variant((w) => (w['3']!.inputs.denoise = 0.5));
    expect(diffPrompts([base, b]).inputs).toEqual([
      { nodeId: '3', classType: 'KSampler', title: 'Sampler', input: 'denoise', values: [undefined, 0.5] },
    ]);
  });

  it('structural changes: a node added, removed, of another type, or linked elsewhere', () => {
    const b = variant((w) => {
      delete w['6'];
      w['11'] = { class_type: 'PreviewImage', inputs: { images: ['3', 0] } };
      w['4']!.class_type = 'UNETLoader';
      w['3']!.inputs.model = ['11', 0];
    });
    const { inputs, graph } = diffPrompts([base, b]);
    expect(inputs).toEqual([]);
    expect(graph.map((g) => [g.kind, g.nodeId, g.index])).toEqual([
      ['link_changed', '3', 1],
      ['node_type_changed', '4', 1],
      ['node_removed', '6', 1],
      ['node_added', '11', 1],
    ]);
    expect(graph[0]!.detail).toBe('Sampler (node 3) model: output 0 of node 4 → output 0 of node 11');
  });
});
