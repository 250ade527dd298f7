// The form built from a workflow and the recorded object_info of a real ComfyUI server.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertUiWorkflow } from '../../../electron/engine/workflows/ui';
import { applyFields, fieldProblem, fieldsOf, formOfLayout, keepValues } from '../../../renderer/src/lib/workflow-form';
import { FIXTURES, TRACES } from '../jobs/journal-helpers';

const objectInfo = JSON.parse(readFileSync(join(TRACES, 'object_info.full.json'), 'utf8')) as Record<string, unknown>;
const workflow = (name: string) =>
  JSON.parse(readFileSync(join(FIXTURES, 'workflows', name), 'utf8')) as Record<string, unknown>;

describe('workflow form', () => {
  it('one group per node with widget inputs, the right control for each, links hidden', () => {
    const groups = fieldsOf(workflow('comfyui-basic_api_example.api.json'), objectInfo);
    const sampler = groups.find((g) => g.classType === 'KSampler')!;
    const byInput = Object.fromEntries(sampler.fields.map((f) => [f.input, f]));
    expect(Object.keys(byInput).sort()).toEqual(['cfg', 'denoise', 'sampler_name', 'scheduler', 'seed', 'steps']);
    expect(byInput.seed).toMatchObject({ kind: 'int', min: 0 });
    expect(byInput.cfg).toMatchObject({ kind: 'float', min: 0, max: 100 });
    expect(byInput.sampler_name!.kind).toBe('select');
    expect(byInput.sampler_name!.options).toContain('euler');
    const prompt = groups.find((g) => g.classType === 'CLIPTextEncode')!;
    expect(prompt.fields[0]).toMatchObject({ input: 'text', kind: 'textarea' });
    // The recorded server had no model files: the checkpoint is still editable, as text.
    expect(groups.find((g) => g.classType === 'CheckpointLoaderSimple')!.fields[0]!.kind).toBe('text');
  });

  it('image inputs are image pickers', () => {
    const groups = fieldsOf(workflow('fofr-sd15_img2img.json'), objectInfo);
    expect(groups.find((g) => g.classType === 'LoadImage')!.fields[0]).toMatchObject({ input: 'image', kind: 'image' });
  });

  it('edits are checked before sending, and round-trip into the workflow', () => {
    const wf = workflow('comfyui-basic_api_example.api.json');
    const groups = fieldsOf(wf, objectInfo);
    const steps = groups.flatMap((g) => g.fields).find((f) => f.key === '3.steps')!;
    steps.value = 0;
    expect(fieldProblem(steps)).toBe('At least 1.');
    steps.value = 2.5;
    expect(fieldProblem(steps)).toBe('Enter a whole number.');
    steps.value = 12;
    expect(fieldProblem(steps)).toBeNull();
    const edited = applyFields(wf, groups) as Record<string, { inputs: Record<string, unknown> }>;
    expect(edited['3']!.inputs.steps).toBe(12);
    expect(edited['3']!.inputs.model).toEqual(['4', 0]);
    expect((wf as Record<string, { inputs: Record<string, unknown> }>)['3']!.inputs.steps).not.toBe(12);
  });

  it('without object_info the form still works from the values themselves', () => {
    const groups = fieldsOf(workflow('comfyui-basic_api_example.api.json'), null);
    const seed = groups.flatMap((g) => g.fields).find((f) => f.key === '3.seed')!;
    expect(seed.kind).toBe('float');
  });
});

describe('the form of a workflow saved from ComfyUI', () => {
  const ui = JSON.parse(
    readFileSync(join(FIXTURES, 'ui-to-api', 'sdxl__sdxl_simple_example.workflow.json'), 'utf8'),
  ) as Record<string, unknown>;
  const { prompt, layout } = convertUiWorkflow(ui, objectInfo);

  it("follows the layout: sections, the person's titles, and a shared value edited once sets every input it feeds", () => {
    const sections = formOfLayout(prompt, layout, objectInfo);
    expect(sections.map((s) => s.title)).toEqual(layout.sections.map((s) => s.title));
    const groups = sections.flatMap((s) => s.groups);
    const shared = groups.flatMap((g) => g.fields).find((f) => (f.also?.length ?? 0) > 0)!;
    expect(shared).toBeDefined();
    shared.value = typeof shared.value === 'number' ? shared.value + 1 : `${String(shared.value)} edited`;
    const edited = applyFields(prompt, groups) as Record<string, { inputs: Record<string, unknown> }>;
    for (const key of [shared.key, ...shared.also!]) {
      const dot = key.lastIndexOf('.');
      expect(edited[key.slice(0, dot)]!.inputs[key.slice(dot + 1)], key).toEqual(shared.value);
    }
    // Each input shows once in the whole form.
    const keys = groups.flatMap((g) => g.fields.map((f) => f.key));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('keepValues carries edits into a new conversion, where both have the input as a value', () => {
    const edited = structuredClone(prompt) as Record<string, { class_type: string; inputs: Record<string, unknown> }>;
    const [id, node] = Object.entries(edited).find(([, n]) => typeof n.inputs.steps === 'number')!;
    node.inputs.steps = 77;
    const kept = keepValues(prompt, edited) as typeof edited;
    expect(kept[id]!.inputs.steps).toBe(77);
    const retyped = structuredClone(edited);
    retyped[id]!.class_type = 'SomethingElse';
    expect((keepValues(prompt, retyped) as typeof edited)[id]!.inputs.steps).toBe(prompt[id]!.inputs.steps);
  });
});
