import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  applyInputs,
  hasPartnerNodes,
  parseApiWorkflow,
  promptTextOf,
  seedInputsOf,
  withSeeds,
  type ApiWorkflow,
} from '../../../electron/engine/workflows/api-format';
import { DeskError } from '../../../shared/errors';
import { FIXTURES } from '../jobs/journal-helpers';

const dir = join(FIXTURES, 'workflows');
const read = (name: string): unknown => JSON.parse(readFileSync(join(dir, name), 'utf8'));
const manifest = readFileSync(join(dir, 'MANIFEST.tsv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => line.split('\t'))
  .map(([file, format]) => ({ file: file!, format: format! }));

describe('API-format workflows', () => {
  it('every API fixture parses; a UI fixture given where a prompt is expected says how to convert it', () => {
    expect(manifest.length).toBe(readdirSync(dir).filter((f) => f.endsWith('.json')).length);
    for (const { file, format } of manifest) {
      if (format === 'api') {
        expect(Object.keys(parseApiWorkflow(read(file))).length).toBeGreaterThan(0);
      } else {
        expect(() => parseApiWorkflow(read(file))).toThrow(/UI-format workflow.*comfy-desk convert/);
      }
    }
  });

  it('names the node and the input of a link to a missing node', () => {
    const wf = read('comfyui-basic_api_example.api.json') as ApiWorkflow;
    wf['3']!.inputs.model = ['99', 0];
    const err = (() => {
      try {
        parseApiWorkflow(wf);
      } catch (e) {
        return e as DeskError;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(DeskError);
    expect(err!.message).toContain('node 3 (KSampler), input "model": links to node 99');
  });

  it('refuses non-objects and nodes without class_type', () => {
    expect(() => parseApiWorkflow([])).toThrow(/JSON object of nodes/);
    expect(() => parseApiWorkflow({})).toThrow(/no nodes/);
    expect(() => parseApiWorkflow({ 1: { inputs: {} } })).toThrow(/node 1: no class_type/);
  });

  it('reads the prompt text, positive and negative, including non-Latin text', () => {
    const text = promptTextOf(parseApiWorkflow(read('fofr-wan_21_13b_t2v_api.json')));
    expect(text.split('\n').length).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/[\u4e00-\u9fff]/);
  });

  it('sets inputs by NODE.INPUT and refuses unknown nodes and linked inputs', () => {
    const wf = parseApiWorkflow(read('comfyui-basic_api_example.api.json'));
    const changed = applyInputs(wf, { '3.seed': 42, '6.text': 'a red fox' });
    expect(changed['3']!.inputs.seed).toBe(42);
    expect(changed['6']!.inputs.text).toBe('a red fox');
    expect(wf['3']!.inputs.seed).not.toBe(42); // the original is untouched
    expect(() => applyInputs(wf, { '42.seed': 1 })).toThrow(/no node 42/);
    expect(() => applyInputs(wf, { '3.model': 1 })).toThrow(/linked/);
  });

  it('seed strategies over N runs: fixed, increment, random', () => {
    const wf = parseApiWorkflow(read('comfyui-basic_api_example.api.json'));
    const { nodeId, input } = seedInputsOf(wf)[0]!;
    const base = wf[nodeId]!.inputs[input] as number;
    const seedsOf = (runs: ApiWorkflow[]) => runs.map((r) => r[nodeId]!.inputs[input]);
    expect(seedsOf(withSeeds(wf, 3, 'fixed'))).toEqual([base, base, base]);
    expect(seedsOf(withSeeds(wf, 3, 'increment'))).toEqual([base, base + 1, base + 2]);
    let n = 0;
    const random = seedsOf(withSeeds(wf, 3, 'random', () => [0.1, 0.5, 0.9][n++]!));
    expect(new Set(random).size).toBe(3);
    expect(random.every((s) => Number.isInteger(s) && (s as number) >= 0)).toBe(true);
  });

  it('spots partner nodes from object_info, or by name when object_info is not at hand', () => {
    const partner = parseApiWorkflow(read('docs-partner_node_flux_pro_ultra.api.json'));
    const plain = parseApiWorkflow(read('comfyui-basic_api_example.api.json'));
    expect(hasPartnerNodes(partner)).toBe(true);
    expect(hasPartnerNodes(plain)).toBe(false);
    expect(hasPartnerNodes(plain, { KSampler: { api_node: true } })).toBe(true);
    expect(hasPartnerNodes(partner, { FluxProUltraImageNode: { category: 'image', api_node: false } })).toBe(false);
  });
});
