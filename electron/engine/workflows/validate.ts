// Checks an API-format workflow against a server's /object_info before it is sent: unknown node
// types, missing required inputs, links to the wrong output, values out of range or not among a
// combo's options. Every problem names the node and the input, as a person would look for them.
import type { NodeProblem } from '../../../shared/jobs';
import { isLink, type ApiWorkflow } from './api-format';

type InputSpec = [unknown, Record<string, unknown>?];

interface NodeInfo {
  input?: { required?: Record<string, InputSpec>; optional?: Record<string, InputSpec> };
  output?: unknown[];
  display_name?: string;
}

export type ObjectInfo = Record<string, unknown>;

/** The widget type of an input spec: INT, FLOAT, STRING, BOOLEAN, COMBO, or a link type (MODEL…). */
export function inputType(spec: InputSpec): { type: string; options?: unknown[] } {
  const [head, extra] = spec;
  if (Array.isArray(head)) return { type: 'COMBO', options: head };
  if (head === 'COMBO' && Array.isArray(extra?.options)) return { type: 'COMBO', options: extra.options as unknown[] };
  return { type: String(head) };
}

export interface ValidateOptions {
  /** Whether an input file of this name was uploaded to this server (object_info's list may predate it). */
  uploaded?: (name: string) => boolean;
  /**
   * The server lists every input file in LoadImage's choices (a local ComfyUI does: its input
   * folder), so an empty list means it has none. Comfy Cloud's list says nothing either way.
   */
  listsInputFiles?: boolean;
}

export function validateWorkflow(
  workflow: ApiWorkflow,
  objectInfo: ObjectInfo,
  options: ValidateOptions = {},
): NodeProblem[] {
  const problems: NodeProblem[] = [];
  for (const [nodeId, node] of Object.entries(workflow)) {
    const found: NodeProblem['problems'] = [];
    const info = objectInfo[node.class_type] as NodeInfo | undefined;
    if (!info) {
      found.push({
        message: `Unknown node type "${node.class_type}": the server does not have it (a missing custom node?).`,
        type: 'unknown_class',
      });
    } else {
      const required = info.input?.required ?? {};
      const optional = info.input?.optional ?? {};
      for (const name of Object.keys(required)) {
        if (!(name in node.inputs))
          found.push({ input: name, message: 'Required input is missing.', type: 'required_input_missing' });
      }
      for (const [name, value] of Object.entries(node.inputs)) {
        const spec = required[name] ?? optional[name];
        if (!spec) continue; // extra inputs are ignored by the server (e.g. widget-to-input leftovers)
        const problem = isLink(value)
          ? checkLink(workflow, objectInfo, value, spec)
          : checkValue(value, spec, name, options);
        if (problem) found.push({ input: name, ...problem });
      }
    }
    if (found.length > 0) {
      problems.push({
        nodeId,
        classType: node.class_type,
        ...(node._meta?.title ? { title: node._meta.title } : {}),
        problems: found,
      });
    }
  }
  return problems;
}

function checkLink(
  workflow: ApiWorkflow,
  objectInfo: ObjectInfo,
  [from, index]: [string, number],
  spec: InputSpec,
): { message: string; type: string } | null {
  const source = workflow[String(from)];
  if (!source) return { message: `Linked to node ${from}, which does not exist.`, type: 'bad_link' };
  const outputs = (objectInfo[source.class_type] as NodeInfo | undefined)?.output;
  if (!outputs) return null; // the source's own problem is reported on the source
  if (index < 0 || index >= outputs.length) {
    return {
      message: `Linked to output ${index} of node ${from} (${source.class_type}), which has ${outputs.length}.`,
      type: 'bad_link',
    };
  }
  const want = inputType(spec).type;
  const have = String(outputs[index]);
  const accepts =
    want === '*' ||
    have === '*' ||
    want.split(',').includes(have) ||
    (want === 'COMBO' && Array.isArray(outputs[index]));
  return accepts
    ? null
    : {
        message: `Expects ${want} but node ${from} (${source.class_type}) output ${index} gives ${have}.`,
        type: 'return_type_mismatch',
      };
}

function checkValue(
  value: unknown,
  spec: InputSpec,
  name: string,
  ctx: ValidateOptions,
): { message: string; type: string } | null {
  const { type, options } = inputType(spec);
  const rules = spec[1] ?? {};
  switch (type) {
    case 'INT':
    case 'FLOAT': {
      if (typeof value !== 'number' || !Number.isFinite(value))
        return { message: `Must be a number, got ${JSON.stringify(value)}.`, type: 'invalid_input_type' };
      if (type === 'INT' && !Number.isInteger(value))
        return { message: `Must be a whole number, got ${value}.`, type: 'invalid_input_type' };
      if (typeof rules.min === 'number' && value < rules.min)
        return { message: `${value} is below the minimum ${rules.min}.`, type: 'value_smaller_than_min' };
      if (typeof rules.max === 'number' && value > rules.max)
        return { message: `${value} is above the maximum ${rules.max}.`, type: 'value_bigger_than_max' };
      return null;
    }
    case 'BOOLEAN':
      return typeof value === 'boolean'
        ? null
        : { message: `Must be true or false, got ${JSON.stringify(value)}.`, type: 'invalid_input_type' };
    case 'STRING':
      return typeof value === 'string'
        ? null
        : { message: `Must be text, got ${JSON.stringify(value)}.`, type: 'invalid_input_type' };
    case 'COMBO': {
      const upload = Boolean(rules.image_upload || rules.video_upload || rules.audio_upload);
      if (upload) {
        // A local server lists its input files; one we uploaded since is there too.
        const listed = options && (options.length > 0 || ctx.listsInputFiles);
        if (!listed || options.includes(value)) return null;
        if (typeof value === 'string' && ctx.uploaded?.(value)) return null;
        return {
          message: `The server has no input file ${JSON.stringify(value)}: choose the file again (drop it on the input) so it is uploaded, or pick one the server has.`,
          type: 'missing_file',
        };
      }
      if (!options || options.length === 0) {
        return {
          message: `The server offers no choices for ${name} (nothing installed for it?): add one to the server, or use a server that has it.`,
          type: 'no_options',
        };
      }
      if (options.includes(value)) return null;
      const shown = options
        .slice(0, 5)
        .map((o) => JSON.stringify(o))
        .join(', ');
      return {
        message: `${JSON.stringify(value)} is not one of the server's options (${shown}${options.length > 5 ? `, … ${options.length} in all` : ''}).`,
        type: 'value_not_in_list',
      };
    }
    default:
      return null;
  }
}
