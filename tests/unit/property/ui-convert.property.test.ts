// Properties of the UI-workflow converter on random graphs: it ends, and ends either with a prompt
// or with a DeskError (never a TypeError or a stack overflow); a prompt's own values written back
// convert to the same prompt; and its layout only points at inputs the prompt has.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeskError } from '../../../shared/errors';
import {
  convertUiWorkflow,
  setNodeMode,
  writeValuesToUi,
  type UiConversion,
} from '../../../electron/engine/workflows/ui/index';
import { realObjectInfo as objectInfo } from '../workflows/ui-builder';

function convertOrOwnError(ui: unknown): UiConversion | DeskError {
  try {
    return convertUiWorkflow(ui, objectInfo);
  } catch (err) {
    if (err instanceof DeskError) return err;
    throw err;
  }
}

const TYPES = [
  'EmptyImage',
  'ImageInvert',
  'ImageBlur',
  'ImageCompositeMasked',
  'PreviewImage',
  'KSampler',
  'LoadImage',
  'PrimitiveInt',
  'Reroute',
  'PrimitiveNode',
  'Note',
  'sg-a',
  'sg-b',
  'workflow>G',
];
// Now and then a type the server lacks.
const nodeType = fc.oneof(
  { weight: 20, arbitrary: fc.constantFrom(...TYPES) },
  { weight: 1, arbitrary: fc.constantFrom('Unknown', '__proto__') },
);
const id = fc.oneof(fc.integer({ min: -3, max: 12 }), fc.constantFrom('__proto__', 'toString', '-10'));
const slotType = fc.constantFrom('IMAGE', 'INT', 'MASK', '*', 'LATENT', 'FLOAT');
const value = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.string({ maxLength: 8 }),
  fc.boolean(),
  fc.constant(null),
);

const input = fc.record(
  {
    name: fc.constantFrom('image', 'images', 'seed', 'blur_radius', 'width', 'mask', '', 'source', 'destination', 'in'),
    type: slotType,
    link: fc.option(id),
    widget: fc.option(fc.record({ name: fc.constantFrom('seed', 'width', 'blur_radius') })),
  },
  { requiredKeys: ['name', 'type', 'link'] },
);
const node = fc.record(
  {
    id,
    type: nodeType,
    mode: fc.constantFrom(0, 0, 0, 2, 4),
    title: fc.string({ maxLength: 6 }),
    pos: fc.tuple(fc.integer({ min: -500, max: 500 }), fc.integer({ min: -500, max: 500 })),
    inputs: fc.array(input, { maxLength: 4 }),
    outputs: fc.array(
      fc.record({ name: fc.string({ maxLength: 3 }), type: slotType, links: fc.array(id, { maxLength: 3 }) }),
      { maxLength: 2 },
    ),
    widgets_values: fc.oneof(
      fc.array(value, { maxLength: 8 }),
      fc.dictionary(fc.constantFrom('seed', 'width', '__proto__', 'x'), value),
    ),
    properties: fc.record({
      proxyWidgets: fc.array(fc.tuple(fc.constantFrom('-1', '1', '2', 'x'), fc.constantFrom('in', 'seed', 'width')), {
        maxLength: 3,
      }),
    }),
  },
  { requiredKeys: ['id', 'type'] },
);
const arrayLink = fc.tuple(id, id, fc.integer({ min: -1, max: 3 }), id, fc.integer({ min: 0, max: 3 }), slotType);
const objectLink = arrayLink.map(([i, o, os, t, ts, type]) => ({
  id: i,
  origin_id: o,
  origin_slot: os,
  target_id: t,
  target_slot: ts,
  type,
}));
const sgSlot = fc.record({
  name: fc.constantFrom('in', 'image', 'seed'),
  type: slotType,
  linkIds: fc.array(id, { maxLength: 3 }),
});
const definition = (sgId: string) =>
  fc.record({
    id: fc.constant(sgId),
    name: fc.string({ maxLength: 6 }),
    inputs: fc.array(sgSlot, { maxLength: 3 }),
    outputs: fc.array(sgSlot, { maxLength: 2 }),
    nodes: fc.uniqueArray(node, { maxLength: 5, selector: (n) => String(n.id) }),
    links: fc.uniqueArray(objectLink, { maxLength: 6, selector: (l) => String(l.id) }),
  });
const groupDef = fc.record({
  nodes: fc.array(node, { minLength: 3, maxLength: 3 }),
  links: fc.array(
    fc.tuple(
      fc.option(fc.integer({ min: 0, max: 2 })),
      fc.integer({ min: 0, max: 2 }),
      fc.integer({ min: 0, max: 2 }),
      fc.integer({ min: 0, max: 2 }),
      fc.nat(),
      slotType,
    ),
    { maxLength: 3 },
  ),
});

/** A random UI workflow: nodes, links in both forms, two subgraph definitions that may use each other or themselves, a group node. */
const uiWorkflow = fc.record({
  nodes: fc.uniqueArray(node, { maxLength: 10, selector: (n) => String(n.id) }),
  links: fc.uniqueArray(arrayLink, { maxLength: 12, selector: (l) => String(l[0]) }),
  groups: fc.array(
    fc.record({
      title: fc.string({ maxLength: 4 }),
      bounding: fc.tuple(fc.integer(), fc.integer(), fc.nat(), fc.nat()),
    }),
    { maxLength: 3 },
  ),
  definitions: fc.record({ subgraphs: fc.tuple(definition('sg-a'), definition('sg-b')) }),
  extra: fc.record({ groupNodes: fc.record({ G: groupDef }) }),
});

/** Only links that fit (unique node ids, links between them): more of these convert. */
const tidyWorkflow = fc.uniqueArray(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 10 }).chain((ids) =>
  fc
    .record({
      nodes: fc.tuple(...ids.map((i) => node.map((n) => ({ ...n, id: i, inputs: [] as unknown[] })))),
      edges: fc.array(
        fc.tuple(
          fc.constantFrom(...ids),
          fc.constantFrom(...ids),
          fc.nat({ max: 1 }),
          fc.constantFrom('image', 'images', 'seed', 'destination'),
        ),
        { maxLength: 10 },
      ),
    })
    .map(({ nodes, edges }) => {
      const links: unknown[] = [];
      edges.forEach(([from, to, slot, name], k) => {
        const target = nodes.find((n) => n.id === to)!;
        if (target.inputs.some((i) => (i as { name: string }).name === name)) return;
        target.inputs.push({
          name,
          type: name === 'seed' ? 'INT' : 'IMAGE',
          link: k + 1,
          ...(name === 'seed' ? { widget: { name } } : {}),
        });
        links.push([k + 1, from, slot, to, target.inputs.length - 1, name === 'seed' ? 'INT' : 'IMAGE']);
      });
      return { nodes, links, groups: [] };
    }),
);

describe('UI workflow converter on random graphs', () => {
  it('any JSON: a conversion or a DeskError', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (json) => {
        convertOrOwnError(json);
        convertOrOwnError({ nodes: json, links: json });
      }),
      { numRuns: 300 },
    );
  });

  it('random graphs (subgraphs using themselves, dangling links, prototype ids): a conversion or a DeskError, and it ends', () => {
    fc.assert(
      fc.property(uiWorkflow, (ui) => {
        const start = performance.now();
        const json = JSON.parse(JSON.stringify(ui)) as Record<string, unknown>;
        const result = convertOrOwnError(json);
        expect(performance.now() - start).toBeLessThan(2_000);
        if (result instanceof DeskError) {
          expect(result.code).toBe('invalid_input');
          expect(result.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('tidy random graphs: their own values written back convert to the same prompt; the layout points into the prompt', () => {
    let converted = 0;
    fc.assert(
      fc.property(tidyWorkflow, (ui) => {
        const json = JSON.parse(JSON.stringify(ui)) as Record<string, unknown>;
        const result = convertOrOwnError(json);
        if (result instanceof DeskError) return;
        converted++;
        const prompt = JSON.parse(JSON.stringify(result.prompt)) as typeof result.prompt;
        const again = convertUiWorkflow(writeValuesToUi(json, objectInfo, prompt), objectInfo);
        expect(JSON.parse(JSON.stringify(again.prompt))).toEqual(prompt);
        for (const section of result.layout.sections) {
          for (const n of section.nodes) {
            for (const w of n.widgets) {
              const [apiId] = [w.key.slice(0, w.key.length - w.input.length - 1)];
              expect(Object.hasOwn(prompt, apiId) && Object.hasOwn(prompt[apiId]!.inputs, w.input)).toBe(true);
            }
            // Every node's mode can be switched, and the result still converts or says why not.
            const switched = setNodeMode(json, n.uiId, 'mute');
            convertOrOwnError(switched);
          }
        }
      }),
      { numRuns: 300 },
    );
    expect(converted).toBeGreaterThan(20);
  });
});
