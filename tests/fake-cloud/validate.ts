// The server's own prompt validation, written from the recorded 400 answers of ComfyUI 0.8.0
// (trace 06): the same error types, messages and node_errors shape. Independent of the app's
// client-side validation on purpose, so the two can disagree in tests.
type Spec = [unknown, Record<string, unknown>?];
interface NodeInfo {
  input?: { required?: Record<string, Spec>; optional?: Record<string, Spec> };
  output?: unknown[];
  output_node?: boolean;
}
export interface PromptError {
  error: { type: string; message: string; details: string; extra_info: Record<string, unknown> };
  node_errors: Record<string, { errors: unknown[]; dependent_outputs: string[]; class_type: string }>;
}

const top = (type: string, message: string, details = ''): PromptError => ({
  error: { type, message, details, extra_info: {} },
  node_errors: {},
});

export function validatePrompt(
  prompt: unknown,
  objectInfo: Record<string, NodeInfo>,
  knownInputs: Set<string>,
): PromptError | null {
  if (!prompt || typeof prompt !== 'object' || Array.isArray(prompt))
    return top('no_prompt', 'No prompt provided', 'No prompt provided');
  const nodes = prompt as Record<string, { class_type?: string; inputs?: Record<string, unknown> }>;
  for (const [id, node] of Object.entries(nodes)) {
    if (!node?.class_type || !objectInfo[node.class_type]) {
      return top(
        'invalid_prompt',
        `Cannot execute because node ${node?.class_type ?? 'undefined'} does not exist.`,
        `Node ID '#${id}'`,
      );
    }
  }
  const outputs = Object.entries(nodes).filter(([, n]) => objectInfo[n.class_type!]!.output_node);
  if (outputs.length === 0) return top('prompt_no_outputs', 'Prompt has no outputs');
  const errors: PromptError['node_errors'] = {};
  for (const [id, node] of Object.entries(nodes)) {
    const info = objectInfo[node.class_type!]!;
    const found: unknown[] = [];
    const inputs = node.inputs ?? {};
    for (const [name, spec] of Object.entries(info.input?.required ?? {})) {
      const value = inputs[name];
      if (value === undefined) {
        found.push({
          type: 'required_input_missing',
          message: 'Required input is missing',
          details: name,
          extra_info: { input_name: name },
        });
        continue;
      }
      const problem = checkInput(nodes, objectInfo, name, value, spec, knownInputs);
      if (problem) found.push(problem);
    }
    for (const [name, spec] of Object.entries(info.input?.optional ?? {})) {
      if (inputs[name] === undefined) continue;
      const problem = checkInput(nodes, objectInfo, name, inputs[name], spec, knownInputs);
      if (problem) found.push(problem);
    }
    if (found.length > 0) {
      errors[id] = { errors: found, dependent_outputs: outputs.map(([oid]) => oid), class_type: node.class_type! };
    }
  }
  if (Object.keys(errors).length === 0) return null;
  return { ...top('prompt_outputs_failed_validation', 'Prompt outputs failed validation'), node_errors: errors };
}

function checkInput(
  nodes: Record<string, { class_type?: string }>,
  objectInfo: Record<string, NodeInfo>,
  name: string,
  value: unknown,
  spec: Spec,
  knownInputs: Set<string>,
): unknown {
  const [type, rules = {}] = spec;
  const extra = { input_name: name, input_config: spec, received_value: value };
  if (Array.isArray(value) && value.length === 2 && typeof value[1] === 'number') {
    const source = nodes[String(value[0])];
    if (!source) {
      return {
        type: 'exception_during_inner_validation',
        message: 'Exception when validating inner node',
        details: `'${String(value[0])}'`,
        extra_info: {
          input_name: name,
          input_config: spec,
          exception_message: `'${String(value[0])}'`,
          exception_type: 'KeyError',
          linked_node: value,
        },
      };
    }
    const outputs = objectInfo[source.class_type!]?.output ?? [];
    const have = outputs[value[1]];
    if (
      have === undefined ||
      (typeof type === 'string' && type !== '*' && have !== '*' && !type.split(',').includes(String(have)))
    ) {
      return {
        type: 'return_type_mismatch',
        message: 'Return type mismatch between linked nodes',
        details: `${name}, received_type(${String(have)}) mismatch input_type(${String(type)})`,
        extra_info: { input_name: name, input_config: spec, received_type: have, linked_node: value },
      };
    }
    return null;
  }
  if (Array.isArray(type)) {
    // The recorded object_info comes from a machine without model files (empty model lists);
    // Comfy Cloud has them all, so an empty list accepts any name.
    if (type.length === 0 && !rules.image_upload) return null;
    // Upload combos (LoadImage) accept what was uploaded to this server.
    const options = rules.image_upload ? [...type, ...knownInputs] : type;
    if (!options.includes(value)) {
      if (rules.image_upload) {
        return {
          type: 'custom_validation_failed',
          message: 'Custom validation failed for node',
          details: `${name} - Invalid image file: ${String(value)}`,
          extra_info: { input_name: name },
        };
      }
      return {
        type: 'value_not_in_list',
        message: 'Value not in list',
        details: `${name}: '${String(value)}' not in ${JSON.stringify(type.slice(0, 20))}`,
        extra_info: extra,
      };
    }
    return null;
  }
  if (type === 'INT' || type === 'FLOAT') {
    const n = typeof value === 'number' ? value : Number(value);
    if (
      typeof value === 'boolean' ||
      Number.isNaN(n) ||
      (type === 'INT' && typeof value === 'string' && !/^-?\d+$/.test(value))
    ) {
      return {
        type: 'invalid_input_type',
        message: `Failed to convert an input value to a ${type} value`,
        details: `${name}, ${String(value)}, invalid literal for ${type === 'INT' ? 'int' : 'float'}() with base 10: '${String(value)}'`,
        extra_info: { ...extra, exception_message: `invalid literal for int() with base 10: '${String(value)}'` },
      };
    }
    if (typeof rules.min === 'number' && n < rules.min) {
      return {
        type: 'value_smaller_than_min',
        message: `Value ${n} smaller than min of ${rules.min}`,
        details: name,
        extra_info: extra,
      };
    }
    if (typeof rules.max === 'number' && n > rules.max) {
      return {
        type: 'value_bigger_than_max',
        message: `Value ${n} bigger than max of ${rules.max}`,
        details: name,
        extra_info: extra,
      };
    }
  }
  return null;
}
