// The converter against real pairs: UI workflows and the prompt ComfyUI's frontend made from each,
// read from the same PNG (fixtures/ui-to-api, older frontends) or made by frontend 1.35.9
// (fixtures/ui-to-api-subgraphs, which must match exactly). Converted with a real ComfyUI 0.8.0's object_info.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ApiWorkflow } from '../../../electron/engine/workflows/api-format';
import { convertUiWorkflow } from '../../../electron/engine/workflows/ui/index';
import { FIXTURES, TRACES } from '../jobs/journal-helpers';

const objectInfo = JSON.parse(readFileSync(join(TRACES, 'object_info.full.json'), 'utf8')) as Record<string, unknown>;
const PNG_PAIRS = join(FIXTURES, 'ui-to-api');
const SUBGRAPH_PAIRS = join(FIXTURES, 'ui-to-api-subgraphs');

function pairs(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.workflow.json'))
    .map((f) => f.slice(0, -'.workflow.json'.length))
    .sort();
}

function read(dir: string, name: string, kind: 'workflow' | 'prompt'): unknown {
  return JSON.parse(readFileSync(join(dir, `${name}.${kind}.json`), 'utf8'));
}

/** The prompt as plain JSON (the converter's objects have no prototype). */
function convert(dir: string, name: string): ApiWorkflow {
  return JSON.parse(JSON.stringify(convertUiWorkflow(read(dir, name, 'workflow'), objectInfo).prompt)) as ApiWorkflow;
}

// Known differences, each rule with every place it applies; anything else fails.
// Rule 1: inputs the PNG's prompt has and the node class no longer declares (old frontends sent
// LoadImage's upload button as "upload" or "choose file to upload"); the server ignores them.
const NO_LONGER_DECLARED: Record<string, string[]> = {
  controlnet__2_pass_pose_worship: ['12.choose file to upload'],
  controlnet__depth_controlnet: ['20.choose file to upload'],
  controlnet__mixing_controlnets: ['20.choose file to upload', '21.choose file to upload'],
  flux__flux_canny_model_example: ['17.upload'],
  flux__flux_controlnet_example: ['17.upload'],
  img2img__img2img_workflow: ['10.choose file to upload'],
  inpaint__inpain_model_cat: ['20.choose file to upload'],
  inpaint__inpain_model_woman: ['20.choose file to upload'],
  inpaint__inpaint_anythingv3_woman: ['20.choose file to upload'],
  inpaint__inpaint_example: ['20.choose file to upload'],
  sd3__sd3_controlnet_example: ['45.upload'],
  sdxl__sdxl_revision_text_prompts: ['34.choose file to upload', '38.choose file to upload'],
  sdxl__sdxl_revision_zero_positive: ['34.choose file to upload', '38.choose file to upload'],
  stable_cascade__stable_cascade__canny_controlnet: ['50.upload'],
  stable_cascade__stable_cascade__image_remixing: ['48.upload'],
  stable_cascade__stable_cascade__image_remixing_multiple: ['48.upload', '52.upload'],
  stable_cascade__stable_cascade__inpaint_controlnet: ['50.upload'],
  unclip__unclip_2pass: ['34.choose file to upload', '38.choose file to upload'],
  unclip__unclip_example_multiple: ['34.choose file to upload', '38.choose file to upload'],
};
// Rule 2: widgets added to the node class after the PNG was made: we send their declared default.
const NEWER_THAN_PNG: Record<string, string[]> = {
  flux__flux_canny_model_example: ['34.device'],
  flux__flux_dev_example: ['11.device'],
  flux__flux_schnell_example: ['11.device'],
  flux__girl_in_field: ['11.device'],
  'hidream__hidream_e1.1_example': ['45.resolution_steps'],
  inpaint__inpain_model_cat: ['26.grow_mask_by'],
  inpaint__inpain_model_woman: ['26.grow_mask_by'],
  inpaint__inpaint_anythingv3_woman: ['26.grow_mask_by'],
  inpaint__inpaint_example: ['26.grow_mask_by'],
  'sd3__sd3.5_text_encoders_example': ['41.device', '42.device'],
  sd3__sd3_text_encoders_example: ['41.device', '42.device'],
  sdturbo__sdxlturbo_example: ['22.denoise'],
  sdxl__sdxl_revision_text_prompts: ['13.crop', '36.crop'],
  sdxl__sdxl_revision_zero_positive: ['13.crop', '36.crop'],
  stable_cascade__stable_cascade__image_remixing: ['50.crop'],
  stable_cascade__stable_cascade__image_remixing_multiple: ['50.crop', '54.crop'],
  unclip__unclip_2pass: ['13.crop', '36.crop'],
  unclip__unclip_example_multiple: ['13.crop', '36.crop'],
};
// Rule 3: a display name the server changed since the PNG (0.8.0 has none for ImageScaleToTotalPixels,
// so the frontend titles the node with its class name).
const TITLE_CHANGED: Record<string, Record<string, string>> = {
  'hidream__hidream_e1.1_example': { '45': 'ImageScaleToTotalPixels' },
};
// Rule 4: the group node's inner nodes had fresh numeric ids in the early frontend that made this
// PNG; today's are `<group node id>:<index>` (README). The same nodes, matched by structure:
const GROUP_NODE_IDS: Record<string, Record<string, string>> = {
  stable_cascade__stable_cascade__inpaint_controlnet: {
    '62': '68:0',
    '66': '68:1',
    '64': '68:2',
    '61': '68:3',
    '60': '68:5',
  },
};
// Rule 5: `is_changed` on LoadImage nodes is the server's note (the image's hash) kept in the PNG, not
// part of what the frontend sends; and prompts this old carry no `_meta` at all.

function defaultOf(classType: string, input: string): unknown {
  const info = objectInfo[classType] as {
    input: { required?: Record<string, unknown[]>; optional?: Record<string, unknown[]> };
  };
  const spec = info.input.required?.[input] ?? info.input.optional?.[input];
  const options = spec?.[1] as { default?: unknown } | undefined;
  if (options?.default !== undefined) return options.default;
  return Array.isArray(spec?.[0]) ? spec[0][0] : (options as { options?: unknown[] })?.options?.[0];
}

function declares(classType: string, input: string): boolean {
  const info = objectInfo[classType] as { input: { required?: object; optional?: object } };
  return Object.hasOwn(info.input.required ?? {}, input) || Object.hasOwn(info.input.optional ?? {}, input);
}

/** The PNG's prompt with the group node's old ids renamed to today's. */
function renamed(prompt: ApiWorkflow, ids: Record<string, string>): ApiWorkflow {
  const rename = (id: string) => ids[id] ?? id;
  const out: ApiWorkflow = {};
  for (const [id, node] of Object.entries(prompt)) {
    const inputs: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node.inputs)) {
      inputs[k] = Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' ? [rename(v[0]), v[1]] : v;
    }
    out[rename(id)] = { ...node, inputs };
  }
  return out;
}

describe('UI workflow → API prompt: real PNG pairs', () => {
  const names = pairs(PNG_PAIRS);

  it('has the 60 pairs of the manifest', () => {
    expect(names).toHaveLength(60);
  });

  for (const name of names) {
    it(name, () => {
      let expected = read(PNG_PAIRS, name, 'prompt') as ApiWorkflow;
      if (GROUP_NODE_IDS[name]) expected = renamed(expected, GROUP_NODE_IDS[name]);
      const ours = convert(PNG_PAIRS, name);
      const dropped = new Set(NO_LONGER_DECLARED[name] ?? []);
      const newer = new Set(NEWER_THAN_PNG[name] ?? []);
      const titles = TITLE_CHANGED[name] ?? {};
      const seenDropped: string[] = [];
      const seenNewer: string[] = [];

      expect(Object.keys(ours).sort()).toEqual(Object.keys(expected).sort());
      for (const [id, want] of Object.entries(expected)) {
        const got = ours[id]!;
        const { is_changed: isChanged, _meta: meta, ...rest } = want as ApiWorkflow[string] & { is_changed?: unknown };
        if (isChanged !== undefined) expect(want.class_type).toBe('LoadImage');
        expect(Object.keys(rest).sort()).toEqual(['class_type', 'inputs']);
        expect(got.class_type).toBe(want.class_type);
        if (meta) expect(got._meta).toEqual(titles[id] ? { title: titles[id] } : meta);
        const inputs = { ...want.inputs };
        for (const input of Object.keys(inputs)) {
          if (dropped.has(`${id}.${input}`)) {
            expect(declares(want.class_type, input)).toBe(false);
            expect(got.inputs).not.toHaveProperty(input);
            delete inputs[input];
            seenDropped.push(`${id}.${input}`);
          }
        }
        for (const input of Object.keys(got.inputs)) {
          if (newer.has(`${id}.${input}`)) {
            expect(want.inputs).not.toHaveProperty(input);
            expect(got.inputs[input]).toEqual(defaultOf(got.class_type, input));
            inputs[input] = got.inputs[input];
            seenNewer.push(`${id}.${input}`);
          }
        }
        expect(got.inputs, `node ${id} (${want.class_type})`).toEqual(inputs);
      }
      // Every listed difference occurred: the lists say exactly what differs, no more.
      expect(seenDropped.sort()).toEqual([...dropped].sort());
      expect(seenNewer.sort()).toEqual([...newer].sort());
    });
  }
});

describe('UI workflow → API prompt: subgraph pairs from frontend 1.35.9 (exact)', () => {
  const names = pairs(SUBGRAPH_PAIRS);

  it('has the 14 pairs of the manifest', () => {
    expect(names).toHaveLength(14);
  });

  for (const name of names) {
    it(name, () => {
      expect(convert(SUBGRAPH_PAIRS, name)).toEqual(read(SUBGRAPH_PAIRS, name, 'prompt'));
    });
  }
});
