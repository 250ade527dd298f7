// UI-format workflow (what ComfyUI's Save writes) → the API-format prompt `/prompt` accepts, as
// ComfyUI's frontend 1.35.9 makes it with app.graphToPrompt(), plus the form's layout; and the way
// back: a prompt's values written into the UI workflow, a node's mode switched.
//   graph.ts      reading and checking the file (bounded, every problem a DeskError naming the place)
//   widgets.ts    a node type's widgets from object_info, and widgets_values mapped onto them
//   expand.ts     subgraph instances and group nodes expanded to executable nodes; missing node types
//   group-node.ts legacy group nodes' inputs, widgets and outputs
//   flatten.ts    widget values, PrimitiveNodes, promoted widgets, link resolution → the prompt
//   layout.ts     the form's sections and widgets
//   write-back.ts values and modes into a copy of the file
import type { NodeMode, WorkflowLayout } from '../../../../shared/workflow-layout';
import type { ApiWorkflow } from '../api-format';
import type { ObjectInfo } from '../validate';
import { expand, missingMessage, missingTypes } from './expand';
import { flatten } from './flatten';
import { fail, isObject, readUiGraph } from './graph';
import { buildLayout } from './layout';
import { applyValues, copyJson, setMode } from './write-back';

export interface UiConversion {
  prompt: ApiWorkflow;
  layout: WorkflowLayout;
}

function checkObjectInfo(objectInfo: ObjectInfo): void {
  if (!isObject(objectInfo))
    fail('The server’s node list (object_info) is missing, so the workflow cannot be converted.');
}

/** Throws only DeskError (code 'invalid_input'), its message naming the place (node id/title, subgraph name, link id). */
export function convertUiWorkflow(ui: unknown, objectInfo: ObjectInfo): UiConversion {
  checkObjectInfo(objectInfo);
  const graph = readUiGraph(ui);
  const expansion = expand(graph, objectInfo);
  const missing = missingTypes(graph, objectInfo, expansion);
  if (missing.length > 0) fail(missingMessage(missing), { missingNodes: missing });
  const flat = flatten(expansion, objectInfo);
  return { prompt: flat.prompt, layout: buildLayout(graph, expansion, flat, objectInfo) };
}

/**
 * A copy of `ui` with every widget value of `prompt` written back where the converter read it from
 * (the node's widgets_values, array or object form; a PrimitiveNode's value; a subgraph instance's
 * promoted widget, else the inner node in the definition; a group node's widgets_values). Only values
 * change; inputs the prompt lacks are left alone. A value shared by several inputs (a PrimitiveNode,
 * a promoted widget) is taken from the first input it feeds, the one the layout shows.
 */
export function writeValuesToUi(
  ui: Record<string, unknown>,
  objectInfo: ObjectInfo,
  prompt: ApiWorkflow,
): Record<string, unknown> {
  checkObjectInfo(objectInfo);
  readUiGraph(ui); // checks depth and shape before anything is copied
  const copy = copyJson(ui);
  const graph = readUiGraph(copy);
  const expansion = expand(graph, objectInfo);
  const missing = missingTypes(graph, objectInfo, expansion);
  if (missing.length > 0) fail(missingMessage(missing), { missingNodes: missing });
  const flat = flatten(expansion, objectInfo, { trackOwn: true });
  if (isObject(prompt)) applyValues(prompt, flat.writeBack);
  return copy;
}

/**
 * A copy of `ui` with node `uiId` ("12", or "75:3" = inner node 3 of subgraph instance 75) set to
 * mode always (0), mute (2) or bypass (4). An inner node's mode lives in its subgraph's definition,
 * so it changes in every instance. DeskError if there is no such node.
 */
export function setNodeMode(ui: Record<string, unknown>, uiId: string, mode: NodeMode): Record<string, unknown> {
  return setMode(ui, uiId, mode);
}

/** Node types the workflow uses that objectInfo lacks, each with its title, ui id, and subgraph name if inside one. */
export function missingNodeTypes(
  ui: unknown,
  objectInfo: ObjectInfo,
): { type: string; title: string; uiId: string; subgraph?: string }[] {
  checkObjectInfo(objectInfo);
  const graph = readUiGraph(ui);
  return missingTypes(graph, objectInfo, expand(graph, objectInfo));
}
