// Validation against the object_info recorded from a real ComfyUI 0.8.0 server.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseApiWorkflow, type ApiWorkflow } from '../../../electron/engine/workflows/api-format';
import { validateWorkflow } from '../../../electron/engine/workflows/validate';
import { FIXTURES, TRACES } from '../jobs/journal-helpers';

const objectInfo = JSON.parse(readFileSync(join(TRACES, 'object_info.full.json'), 'utf8')) as Record<string, unknown>;
const trace = (name: string): ApiWorkflow => parseApiWorkflow(JSON.parse(readFileSync(join(TRACES, name), 'utf8')));
const fixture = (name: string): ApiWorkflow =>
  parseApiWorkflow(JSON.parse(readFileSync(join(FIXTURES, 'workflows', name), 'utf8')));

describe('validate against object_info', () => {
  it('the workflows the real server ran are valid', () => {
    for (const name of ['empty_blur_scale_save.json', 'slow_blur.json', 'fail_at_execution.json']) {
      expect(validateWorkflow(trace(name), objectInfo)).toEqual([]);
    }
  });

  it('names node and input for out-of-range values, wrong combos, bad links and missing inputs', () => {
    const wf = fixture('comfyui-basic_api_example.api.json');
    wf['3']!.inputs.steps = 0; // KSampler steps min 1
    wf['3']!.inputs.sampler_name = 'not-a-sampler';
    wf['3']!.inputs.cfg = 'high';
    delete wf['3']!.inputs.scheduler;
    wf['8']!.inputs.samples = ['4', 0]; // VAEDecode wants LATENT; node 4 output 0 is MODEL
    const problems = validateWorkflow(wf, objectInfo);
    const k = problems.find((p) => p.nodeId === '3')!;
    expect(k.classType).toBe('KSampler');
    const byInput = Object.fromEntries(k.problems.map((p) => [p.input, p.type]));
    expect(byInput).toMatchObject({
      steps: 'value_smaller_than_min',
      sampler_name: 'value_not_in_list',
      cfg: 'invalid_input_type',
      scheduler: 'required_input_missing',
    });
    expect(problems.find((p) => p.nodeId === '8')!.problems[0]).toMatchObject({
      input: 'samples',
      type: 'return_type_mismatch',
    });
  });

  it('reports node types the server does not have (partner nodes on a plain local server)', () => {
    const problems = validateWorkflow(fixture('docs-partner_node_flux_pro_ultra.api.json'), objectInfo);
    expect(problems.map((p) => [p.nodeId, p.problems[0]!.type])).toEqual([['11', 'unknown_class']]);
    expect(problems[0]!.title).toBe('Flux 1.1 [pro] Ultra Image');
  });

  it('flags a combo the server has no choices for (no models installed), offline too', () => {
    // The recorded server has no checkpoints: its ckpt_name list is empty, and it refuses any name.
    const problems = validateWorkflow(fixture('comfyui-basic_api_example.api.json'), objectInfo);
    const loader = problems.find((p) => p.classType === 'CheckpointLoaderSimple');
    expect(loader?.problems).toEqual([
      expect.objectContaining({ input: 'ckpt_name', type: 'no_options', message: expect.stringMatching(/no choices/) }),
    ]);
  });

  it('flags an input image the server does not have, unless we uploaded it there', () => {
    const info = structuredClone(objectInfo) as Record<string, { input: { required: Record<string, unknown[]> } }>;
    // A local server lists its input files in LoadImage's combo.
    info.LoadImage!.input.required.image = [['cat.png', 'dog.png'], { image_upload: true }];
    const wf = parseApiWorkflow({
      '1': { class_type: 'LoadImage', inputs: { image: 'fox.png' } },
      '2': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } },
    });
    const [problem] = validateWorkflow(wf, info);
    expect(problem?.problems[0]).toMatchObject({ input: 'image', type: 'missing_file' });
    expect(problem?.problems[0]?.message).toMatch(/no input file "fox.png".*choose the file again/);
    expect(validateWorkflow(wf, info, { uploaded: (name) => name === 'fox.png' })).toEqual([]);
    wf['1']!.inputs.image = 'dog.png';
    expect(validateWorkflow(wf, info)).toEqual([]);
    // An empty list: on a local server (it lists its input folder) the file is not there; on
    // Comfy Cloud (it does not list them) nothing can be said.
    info.LoadImage!.input.required.image = [[], { image_upload: true }];
    expect(validateWorkflow(wf, info, { listsInputFiles: true })[0]?.problems[0]?.type).toBe('missing_file');
    expect(validateWorkflow(wf, info)).toEqual([]);
  });
});
