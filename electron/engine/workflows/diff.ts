// How the prompts of several jobs differ: each input whose value is not the same in all of them
// (node title, input, one value per job), and the graph's own changes relative to the first
// (nodes added or removed, a node's type changed, an input linked elsewhere).
import type { GraphChange, InputChange } from '../../../shared/organize';
import { isLink, type ApiWorkflow } from './api-format';

export interface PromptDiff {
  inputs: InputChange[];
  graph: GraphChange[];
}

export function diffPrompts(prompts: readonly ApiWorkflow[]): PromptDiff {
  const diff: PromptDiff = { inputs: [], graph: [] };
  const [first, ...others] = prompts;
  if (!first) return diff;
  const ids = [...new Set(prompts.flatMap((p) => Object.keys(p)))].sort(byNodeId);
  for (const nodeId of ids) {
    const nodes = prompts.map((p) => p[nodeId]);
    const base = first[nodeId];
    others.forEach((prompt, i) => {
      const node = prompt[nodeId];
      const index = i + 1;
      if (base && !node)
        diff.graph.push({
          kind: 'node_removed',
          nodeId,
          classType: base.class_type,
          index,
          detail: `${label(nodeId, base)} is not in this workflow`,
        });
      else if (!base && node)
        diff.graph.push({
          kind: 'node_added',
          nodeId,
          classType: node.class_type,
          index,
          detail: `${label(nodeId, node)} is only in this workflow`,
        });
      else if (base && node && base.class_type !== node.class_type)
        diff.graph.push({
          kind: 'node_type_changed',
          nodeId,
          classType: `${base.class_type} → ${node.class_type}`,
          index,
          detail: `node ${nodeId} is ${node.class_type} here, ${base.class_type} in the first`,
        });
    });
    // Values are compared where every prompt has the node, of the same type.
    if (nodes.some((n) => !n || n.class_type !== base?.class_type)) continue;
    const inputs = [...new Set(nodes.flatMap((n) => Object.keys(n!.inputs)))].sort();
    for (const input of inputs) {
      const values = nodes.map((n) => n!.inputs[input]);
      const keys = values.map((v) => JSON.stringify(v ?? null));
      if (keys.every((k) => k === keys[0])) continue;
      if (values.some(isLink)) {
        values.forEach((v, index) => {
          if (index > 0 && JSON.stringify(v ?? null) !== keys[0])
            diff.graph.push({
              kind: 'link_changed',
              nodeId,
              classType: base!.class_type,
              index,
              detail: `${label(nodeId, base!)} ${input}: ${describe(values[0])} → ${describe(v)}`,
            });
        });
        continue;
      }
      diff.inputs.push({ nodeId, classType: base!.class_type, title: base!._meta?.title ?? null, input, values });
    }
  }
  return diff;
}

function label(nodeId: string, node: { class_type: string; _meta?: { title?: string } }): string {
  return `${node._meta?.title ?? node.class_type} (node ${nodeId})`;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  return isLink(value) ? `output ${value[1]} of node ${value[0]}` : JSON.stringify(value);
}

/** Node ids in the order people read them: 2 before 10. */
function byNodeId(a: string, b: string): number {
  return a.localeCompare(b, undefined, { numeric: true });
}
