// Properties of the API-format parser: any JSON gives a workflow or one of the engine's own errors
// (never a TypeError from inside), and valid workflows come back as they went in.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeskError } from '../../../shared/errors';
import { ValidationError } from '../../../shared/schema';
import { isLink, parseApiWorkflow, type ApiWorkflow } from '../../../electron/engine/workflows/api-format';

/** Calls the parser; only the engine's own errors may come out. */
function parseOrOwnError(value: unknown): ApiWorkflow | DeskError | ValidationError {
  try {
    return parseApiWorkflow(value);
  } catch (err) {
    if (err instanceof DeskError || err instanceof ValidationError) return err;
    throw err;
  }
}

const nodeId = fc.oneof(fc.integer({ min: 1, max: 99 }).map(String), fc.string({ minLength: 1, maxLength: 6 }));

/** A valid workflow: every link points at a node that exists. */
const workflow = fc.uniqueArray(nodeId, { minLength: 1, maxLength: 8 }).chain((ids) => {
  const input = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }).filter((v) => !isLink(v)), // [0, 0] would be a link to node 0
    fc.tuple(fc.constantFrom(...ids), fc.nat({ max: 9 })), // a link
  );
  const node = fc.record(
    {
      class_type: fc.string({ minLength: 1, maxLength: 20 }),
      inputs: fc.dictionary(fc.string({ maxLength: 10 }), input, { maxKeys: 6 }),
      _meta: fc.record({ title: fc.string({ maxLength: 10 }) }),
    },
    { requiredKeys: ['class_type', 'inputs'] },
  );
  return fc.tuple(...ids.map((id) => node.map((n) => [id, n] as const))).map((entries) => Object.fromEntries(entries));
});

/** Almost a workflow: the parts of one, broken in every way. */
const nearWorkflow = fc.dictionary(
  fc.oneof(nodeId, fc.constantFrom('__proto__', 'constructor', 'toString', 'nodes', 'links')),
  fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.record({
      class_type: fc.oneof(fc.string(), fc.jsonValue({ maxDepth: 2 }), fc.constant({ toString: 1, valueOf: 2 })),
      inputs: fc.oneof(
        fc.dictionary(
          fc.string({ maxLength: 6 }),
          fc.oneof(fc.tuple(fc.oneof(nodeId, fc.integer()), fc.integer()), fc.jsonValue({ maxDepth: 2 })),
        ),
        fc.jsonValue({ maxDepth: 2 }),
      ),
    }),
  ),
  { maxKeys: 6 },
);

describe('parseApiWorkflow properties', () => {
  it('any JSON value gives a workflow or a DeskError/ValidationError, nothing else', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        parseOrOwnError(value);
      }),
      { numRuns: 2000 },
    );
  });

  it('so does anything shaped almost like a workflow, after a trip through JSON text', () => {
    fc.assert(
      fc.property(nearWorkflow, fc.boolean(), (value, viaText) => {
        const result = parseOrOwnError(viaText ? JSON.parse(JSON.stringify(value)) : value);
        if (result instanceof DeskError) expect(result.code).toBe('invalid_input');
      }),
      { numRuns: 2000 },
    );
  });

  it('a valid workflow comes back as it went in, also through JSON text', () => {
    fc.assert(
      fc.property(workflow, (wf) => {
        expect(parseApiWorkflow(wf)).toBe(wf);
        const text = JSON.stringify(wf);
        expect(JSON.stringify(parseApiWorkflow(JSON.parse(text)))).toBe(text);
      }),
      { numRuns: 1000 },
    );
  });

  it('a link to a missing node is refused, naming the node and the input', () => {
    fc.assert(
      fc.property(workflow, fc.string({ minLength: 1, maxLength: 8 }), (wf, input) => {
        const ids = Object.keys(wf);
        const missing = `missing-${ids.join('')}`;
        const broken = structuredClone(wf);
        const first = broken[ids[0]!]!;
        first.inputs[input] = [missing, 0];
        const err = parseOrOwnError(broken);
        expect(err).toBeInstanceOf(DeskError);
        expect((err as DeskError).message).toContain(`links to node ${missing}, which does not exist`);
      }),
      { numRuns: 300 },
    );
  });
});
