// How the prompts of several jobs differ: each input whose value is not the same in all of them
// (node title, input, one value per job), and the graph's own changes relative to the first
// (nodes added or removed, a node's type changed, an input linked elsewhere).
//
// Two versions of one workflow share their node numbers, so nodes are matched by number. Two
// different workflows do not: node 1 may be a LoadImage in one and an EmptyImage in the other.
// Then the comparison says they are different workflows, matches nodes by title and class (then
// by class alone), and compares the values of the nodes it could match.
import type { GraphChange, InputChange } from '../../../shared/organize';
import { isLink, type ApiWorkflow } from './api-format';

export interface PromptDiff {
  inputs: InputChange[];
  graph: GraphChange[];
  /** The prompts are of different workflows: nodes were matched by title and class, not by number. */
  differentWorkflows?: true;
}

type ApiNode = ApiWorkflow[string];

/**
 * Below this share of nodes with the same number and class, two prompts are different workflows
 * (an edited workflow keeps most of its nodes where they were).
 */
const SAME_WORKFLOW_SHARE = 0.5;

export function diffPrompts(prompts: readonly ApiWorkflow[], names?: readonly string[]): PromptDiff {
  const [first, ...others] = prompts;
  if (!first) return { inputs: [], graph: [] };
  const different = others.some((other, i) => {
    const share = sameShare(first, other);
    // Another workflow's name and a node of another kind at the same number: not an edit of this one.
    return share < SAME_WORKFLOW_SHARE || (names !== undefined && names[i + 1] !== names[0] && share < 1);
  });
  return different ? diffByMatch(first, others) : diffById(prompts);
}

/** The share of nodes (of the larger prompt) at the same number with the same class in both. */
function sameShare(a: ApiWorkflow, b: ApiWorkflow): number {
  const total = Math.max(Object.keys(a).length, Object.keys(b).length);
  if (total === 0) return 1;
  const same = Object.keys(a).filter((id) => b[id] && b[id].class_type === a[id]!.class_type).length;
  return same / total;
}

function diffById(prompts: readonly ApiWorkflow[]): PromptDiff {
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
          title: base._meta?.title ?? null,
          detail: `${label(nodeId, base)} is not in this workflow`,
        });
      else if (!base && node)
        diff.graph.push({
          kind: 'node_added',
          nodeId,
          classType: node.class_type,
          index,
          title: node._meta?.title ?? null,
          detail: `${label(nodeId, node)} is only in this workflow`,
        });
      else if (base && node && base.class_type !== node.class_type)
        diff.graph.push({
          kind: 'node_type_changed',
          nodeId,
          classType: `${base.class_type} → ${node.class_type}`,
          index,
          title: base._meta?.title ?? null,
          detail: `${label(nodeId, base)} is a ${node.class_type} here`,
        });
    });
    // Values are compared where every prompt has the node, of the same type.
    if (nodes.some((n) => !n || n.class_type !== base?.class_type)) continue;
    compareInputs(diff, nodeId, nodes as ApiNode[], true);
  }
  return diff;
}

function diffByMatch(first: ApiWorkflow, others: readonly ApiWorkflow[]): PromptDiff {
  const diff: PromptDiff = { inputs: [], graph: [], differentWorkflows: true };
  const matches = others.map((other) => matchNodes(first, other));
  for (const nodeId of Object.keys(first).sort(byNodeId)) {
    const base = first[nodeId]!;
    const found = matches.map((m, i) => (m.has(nodeId) ? others[i]![m.get(nodeId)!] : undefined));
    found.forEach((node, i) => {
      if (!node)
        diff.graph.push({
          kind: 'node_removed',
          nodeId,
          classType: base.class_type,
          index: i + 1,
          title: base._meta?.title ?? null,
          detail: `${label(nodeId, base)} has no match in this workflow`,
        });
    });
    if (found.every(Boolean)) compareInputs(diff, nodeId, [base, ...(found as ApiNode[])], false);
  }
  others.forEach((other, i) => {
    const matched = new Set(matches[i]!.values());
    for (const nodeId of Object.keys(other).sort(byNodeId)) {
      if (matched.has(nodeId)) continue;
      const node = other[nodeId]!;
      diff.graph.push({
        kind: 'node_added',
        nodeId,
        classType: node.class_type,
        index: i + 1,
        title: node._meta?.title ?? null,
        detail: `${label(nodeId, node)} has no match in the first workflow`,
      });
    }
  });
  return diff;
}

/**
 * The nodes of `b` that stand for those of `a`: the same title and class first, then the same class,
 * each in number order (the first LoadImage with the first LoadImage).
 */
function matchNodes(a: ApiWorkflow, b: ApiWorkflow): Map<string, string> {
  const pairs = new Map<string, string>();
  const taken = new Set<string>();
  const keys: ((n: ApiNode) => string)[] = [(n) => `${n.class_type}\u0000${n._meta?.title ?? ''}`, (n) => n.class_type];
  const bIds = Object.keys(b).sort(byNodeId);
  for (const key of keys) {
    for (const id of Object.keys(a).sort(byNodeId)) {
      if (pairs.has(id)) continue;
      const want = key(a[id]!);
      const match = bIds.find((other) => !taken.has(other) && key(b[other]!) === want);
      if (match === undefined) continue;
      pairs.set(id, match);
      taken.add(match);
    }
  }
  return pairs;
}

/** The inputs of one node (as it is in each prompt) whose values are not all the same. */
function compareInputs(diff: PromptDiff, nodeId: string, nodes: ApiNode[], links: boolean): void {
  const base = nodes[0]!;
  const inputs = [...new Set(nodes.flatMap((n) => Object.keys(n.inputs)))].sort();
  for (const input of inputs) {
    const values = nodes.map((n) => n.inputs[input]);
    const keys = values.map((v) => JSON.stringify(v ?? null));
    if (keys.every((k) => k === keys[0])) continue;
    if (values.some(isLink)) {
      // Node numbers mean nothing across two different workflows: their wiring is not compared.
      if (!links) continue;
      values.forEach((v, index) => {
        if (index > 0 && JSON.stringify(v ?? null) !== keys[0])
          diff.graph.push({
            kind: 'link_changed',
            nodeId,
            classType: base.class_type,
            index,
            title: base._meta?.title ?? null,
            detail: `${label(nodeId, base)} ${input}: ${describe(values[0])} → ${describe(v)}`,
          });
      });
      continue;
    }
    diff.inputs.push({ nodeId, classType: base.class_type, title: base._meta?.title ?? null, input, values });
  }
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
