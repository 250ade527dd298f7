// Comparing outputs of two different workflows: said as such, nodes matched by title and class (not
// by number), the values of matched nodes compared, and what only one has listed as such.
import { describe, expect, it } from 'vitest';
import type { ApiWorkflow } from '../../../electron/engine/workflows/api-format';
import { diffPrompts } from '../../../electron/engine/workflows/diff';

const inverted: ApiWorkflow = {
  '1': { class_type: 'EmptyImage', inputs: { width: 64, height: 64, batch_size: 1, color: 0 } },
  '2': { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
  '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'inverted' } },
};
const plain: ApiWorkflow = {
  '1': { class_type: 'SaveImage', inputs: { images: ['5', 0], filename_prefix: 'plain' } },
  '5': { class_type: 'EmptyImage', inputs: { width: 64, height: 64, batch_size: 1, color: 16746496 } },
};

describe('diffPrompts of different workflows', () => {
  it('matches nodes by class, not number, and never says a node changed type', () => {
    const diff = diffPrompts([inverted, plain]);
    expect(diff.differentWorkflows).toBe(true);
    expect(diff.graph.map((g) => g.kind)).not.toContain('node_type_changed');
    expect(diff.inputs).toEqual([
      { nodeId: '1', classType: 'EmptyImage', title: null, input: 'color', values: [0, 16746496] },
      { nodeId: '3', classType: 'SaveImage', title: null, input: 'filename_prefix', values: ['inverted', 'plain'] },
    ]);
    expect(diff.graph.map((g) => [g.kind, g.nodeId, g.index])).toEqual([['node_removed', '2', 1]]);
  });

  it('prefers the node of the same title among several of one class', () => {
    const a: ApiWorkflow = {
      '1': { class_type: 'LoadImage', inputs: { image: 'face.png' }, _meta: { title: 'Face' } },
      '2': { class_type: 'LoadImage', inputs: { image: 'pose.png' }, _meta: { title: 'Pose' } },
    };
    const b: ApiWorkflow = {
      '7': { class_type: 'LoadImage', inputs: { image: 'pose2.png' }, _meta: { title: 'Pose' } },
      '9': { class_type: 'LoadImage', inputs: { image: 'face2.png' }, _meta: { title: 'Face' } },
      '4': { class_type: 'SaveImage', inputs: { images: ['7', 0], filename_prefix: 'x' } },
    };
    const diff = diffPrompts([a, b]);
    expect(diff.differentWorkflows).toBe(true);
    expect(diff.inputs.map((i) => [i.title, i.values])).toEqual([
      ['Face', ['face.png', 'face2.png']],
      ['Pose', ['pose.png', 'pose2.png']],
    ]);
    expect(diff.graph.map((g) => [g.kind, g.nodeId])).toEqual([['node_added', '4']]);
  });

  it('two versions of one workflow (the same names) are compared by number as before', () => {
    const edited = structuredClone(inverted);
    edited['1']!.inputs.color = 255;
    const diff = diffPrompts([inverted, edited], ['inverted', 'inverted']);
    expect(diff.differentWorkflows).toBeUndefined();
    expect(diff.inputs.map((i) => i.input)).toEqual(['color']);
  });
});
