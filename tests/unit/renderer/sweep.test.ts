// The sweep in the run form: which fields it can vary, how typed values become axes, what stops a
// run, how it is read back from a draft, and where the runs go.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_BATCH_RUNS } from '../../../shared/queue';
import {
  axisValues,
  newSweep,
  planSweep,
  routeOf,
  serversFromSaved,
  sweepChoices,
  sweepFromSaved,
  sweepSummary,
  type SweepDraft,
} from '../../../renderer/src/lib/sweep';
import { fieldsOf, type Field, type FieldGroup } from '../../../renderer/src/lib/workflow-form';
import { FIXTURES, TRACES } from '../jobs/journal-helpers';

const objectInfo = JSON.parse(readFileSync(join(TRACES, 'object_info.full.json'), 'utf8')) as Record<string, unknown>;
const basic = JSON.parse(
  readFileSync(join(FIXTURES, 'workflows', 'comfyui-basic_api_example.api.json'), 'utf8'),
) as Record<string, unknown>;
const groups: FieldGroup[] = fieldsOf(basic, objectInfo);
const field = (key: string): Field => groups.flatMap((g) => g.fields).find((f) => f.key === key)!;
const sweep = (axes: [string, string][], extra: Partial<SweepDraft> = {}): SweepDraft => ({
  on: true,
  axes: axes.map(([key, text]) => ({ key, text })),
  name: '',
  color: null,
  ...extra,
});

describe('sweep choices', () => {
  it('offers numbers, text, choices and toggles, by node; never images or linked inputs', () => {
    const keys = sweepChoices(groups).map((c) => c.key);
    expect(keys).toEqual(expect.arrayContaining(['3.cfg', '3.seed', '3.steps', '3.sampler_name', '6.text']));
    expect(keys).not.toContain('3.model');
    expect(sweepChoices(groups).find((c) => c.key === '3.cfg')!.node).toBe('KSampler #3');
    const withImage: FieldGroup[] = [
      {
        nodeId: '1',
        title: 'Load Image',
        classType: 'LoadImage',
        fields: [{ key: '1.image', nodeId: '1', input: 'image', kind: 'image', value: 'a.png' }],
      },
    ];
    expect(sweepChoices(withImage)).toEqual([]);
  });

  it('a new sweep starts on the first decimal number of the form (cfg), on', () => {
    expect(newSweep(groups)).toEqual({ on: true, axes: [{ key: '3.cfg', text: '' }], name: '', color: null });
    expect(newSweep([]).axes).toEqual([{ key: '', text: '' }]);
  });
});

describe('values of an input', () => {
  it('reads the shared grammar: lists, lines and ranges, as numbers for a number input', () => {
    expect(axisValues(field('3.cfg'), '4, 6, 8')).toEqual([4, 6, 8]);
    expect(axisValues(field('3.cfg'), '4\n6.5\n')).toEqual([4, 6.5]);
    expect(axisValues(field('3.cfg'), '0.5..1.5:0.25')).toEqual([0.5, 0.75, 1, 1.25, 1.5]);
    expect(axisValues(field('3.seed'), '1..2')).toEqual([1, 2]);
  });

  it('says what is wrong, for a person', () => {
    expect(() => axisValues(field('3.cfg'), '4, six')).toThrow('"six" is not a number.');
    expect(() => axisValues(field('3.cfg'), '   ')).toThrow('Give at least one value.');
    expect(() => axisValues(field('3.steps'), '10, 12.5')).toThrow('12.5 is not a whole number.');
    expect(() => axisValues(field('3.steps'), '0, 10')).toThrow('0 is less than 1, the least it takes.');
    expect(() => axisValues(field('3.cfg'), '50, 150')).toThrow('150 is more than 100, the most it takes.');
    expect(() => axisValues(field('3.sampler_name'), 'euler, eulr')).toThrow('"eulr" is not one of the choices.');
  });

  it('text stays text; choices must be among the options; toggles become booleans', () => {
    expect(axisValues(field('6.text'), 'a red fox\na blue fox')).toEqual(['a red fox', 'a blue fox']);
    expect(axisValues(field('3.sampler_name'), 'euler\ndpmpp_2m')).toEqual(['euler', 'dpmpp_2m']);
    const toggle: Field = { key: '9.flag', nodeId: '9', input: 'flag', kind: 'toggle', value: true };
    expect(axisValues(toggle, 'true, off, No, yes')).toEqual([true, false, false, true]);
    expect(() => axisValues(toggle, 'true, maybe')).toThrow('"maybe" is neither true nor false.');
  });
});

describe('the plan', () => {
  it('cfg × seed: the axes to send, the runs, and the summary', () => {
    const plan = planSweep(
      groups,
      sweep([
        ['3.cfg', '4, 6, 8'],
        ['3.seed', '1..2'],
      ]),
      1,
    );
    expect(plan.problem).toBeNull();
    expect(plan.runs).toBe(6);
    expect(plan.summary).toBe('6 runs (3 cfg × 2 seed)');
    expect(plan.submit).toEqual([
      { nodeId: '3', input: 'cfg', values: [4, 6, 8] },
      { nodeId: '3', input: 'seed', values: [1, 2] },
    ]);
    expect(plan.seedSwept).toBe(true);
    expect([...plan.keys]).toEqual(['3.cfg', '3.seed']);
  });

  it('times the count', () => {
    const plan = planSweep(groups, sweep([['3.cfg', '4, 6, 8']]), 2);
    expect(plan.runs).toBe(6);
    expect(plan.summary).toBe('6 runs (3 cfg × 2 each)');
    expect(plan.seedSwept).toBe(false);
    expect(sweepSummary([{ input: 'cfg', count: 1 }], 1)).toBe('1 run (1 cfg)');
  });

  it('off, or none: nothing is swept and the count is the runs', () => {
    expect(planSweep(groups, null, 3)).toMatchObject({ active: false, runs: 3, submit: null, problem: null });
    const off = planSweep(groups, sweep([['3.cfg', '4, 6']], { on: false }), 1);
    expect(off).toMatchObject({ active: false, submit: null, problem: null });
    expect(off.keys.size).toBe(0);
  });

  it('a bad value, an unchosen input or the same input twice stops the run, and says why', () => {
    const bad = planSweep(groups, sweep([['3.cfg', '4, six']]), 1);
    expect(bad.axes[0]!.error).toBe('"six" is not a number.');
    expect(bad.problem).toBe('Check the values for cfg: "six" is not a number.');
    expect(bad.submit).toBeNull();
    expect(bad.summary).toBeNull();
    expect(planSweep(groups, sweep([['', '']]), 1).problem).toBe('Choose the input to sweep.');
    const twice = planSweep(
      groups,
      sweep([
        ['3.cfg', '4'],
        ['3.cfg', '5'],
      ]),
      1,
    );
    expect(twice.problem).toBe('cfg is swept already: choose another input.');
    // Nothing typed yet is the next step, said as one (not as an error), and it still stops the run.
    const untyped = planSweep(groups, sweep([['3.cfg', '']]), 1);
    expect(untyped.problem).toBe('Type the values for cfg.');
    expect(untyped.incomplete).toBe(true);
    expect(untyped.submit).toBeNull();
    expect(bad.incomplete).toBe(false);
  });

  it(`refuses more than ${MAX_BATCH_RUNS} runs`, () => {
    const plan = planSweep(
      groups,
      sweep([
        ['3.cfg', '1..50'],
        ['3.seed', '1..25'],
      ]),
      1,
    );
    expect(plan.runs).toBe(1250);
    expect(plan.problem).toBe(
      `That makes 1250 runs: at most ${MAX_BATCH_RUNS} at once. Use fewer values or fewer runs of each.`,
    );
    expect(plan.submit).toBeNull();
    const atLimit = planSweep(
      groups,
      sweep([
        ['3.cfg', '1..50'],
        ['3.seed', '1..10'],
      ]),
      2,
    );
    expect(atLimit.runs).toBe(MAX_BATCH_RUNS);
    expect(atLimit.problem).toBeNull();
  });
});

describe('kept with the draft', () => {
  it('a saved sweep comes back as it was; anything else is dropped', () => {
    const saved = sweep([['3.cfg', '4, 6']], { on: false, name: 'cfg study', color: '#3a86ff' });
    expect(sweepFromSaved(JSON.parse(JSON.stringify(saved)))).toEqual(saved);
    expect(sweepFromSaved(undefined)).toBeNull();
    expect(sweepFromSaved({ axes: [] })).toBeNull();
    expect(sweepFromSaved({ axes: 'cfg' })).toBeNull();
    expect(
      sweepFromSaved({ on: true, axes: [{ key: '3.cfg', text: '4' }, { key: 3 }, 'x'], name: 7, color: 'red' }),
    ).toEqual({ on: true, axes: [{ key: '3.cfg', text: '4' }], name: '', color: null });
    const three = [1, 2, 3].map((i) => ({ key: `3.k${i}`, text: '1' }));
    expect(sweepFromSaved({ on: true, axes: three })!.axes).toHaveLength(2);
  });

  it('saved servers: a list of ids, or null', () => {
    expect(serversFromSaved(['a', 'b', 'a'])).toEqual(['a', 'b']);
    expect(serversFromSaved([])).toBeNull();
    expect(serversFromSaved('a')).toBeNull();
    expect(serversFromSaved([1, ''])).toBeNull();
  });
});

describe('where the runs go', () => {
  const profiles = [{ id: 'cloud' }, { id: 'studio' }, { id: 'laptop' }];

  it('by default, and with only the active server: as today (nothing said, the active server)', () => {
    expect(routeOf(null, profiles, 'cloud')).toEqual({});
    expect(routeOf(['cloud'], profiles, 'cloud')).toEqual({});
    expect(routeOf(['gone'], profiles, 'cloud')).toEqual({});
  });

  it('one other server: that one', () => {
    expect(routeOf(['studio'], profiles, 'cloud')).toEqual({ profileId: 'studio' });
  });

  it('several: the active one first (it takes a tie), then as Settings lists them; removed ones left out', () => {
    expect(routeOf(['laptop', 'cloud', 'studio'], profiles, 'studio')).toEqual({
      profileId: 'studio',
      profileIds: ['studio', 'cloud', 'laptop'],
    });
    expect(routeOf(['laptop', 'gone', 'studio'], profiles, 'cloud')).toEqual({
      profileId: 'studio',
      profileIds: ['studio', 'laptop'],
    });
  });
});
