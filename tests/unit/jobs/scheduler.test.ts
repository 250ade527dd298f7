// The queue's rules, alone: which held job goes to which server, given windows, pauses, the
// queue's order, what each server can run and how long it takes there.
import { describe, expect, it } from 'vitest';
import type { HeldJob } from '../../../electron/engine/journal/queue';
import { planDispatch, type DispatchRules, type ServerView } from '../../../electron/engine/jobs/scheduler';

function job(id: string, route: string[], extra: Partial<HeldJob> = {}): HeldJob {
  return {
    id,
    profileId: route[0]!,
    route,
    batchId: null,
    batchPaused: false,
    rank: 0,
    pinned: false,
    submitOwner: null,
    workflowName: 'wf',
    ...extra,
  };
}

function server(profileId: string, extra: Partial<ServerView> = {}): ServerView {
  return { profileId, room: 2, available: true, online: true, busyMs: 0, ...extra };
}

const rules = (extra: Partial<DispatchRules> = {}): DispatchRules => ({
  paused: false,
  canRun: () => 'yes',
  runMs: () => 1000,
  mine: () => true,
  ...extra,
});

const sent = (plan: ReturnType<typeof planDispatch>) => plan.assignments.map((a) => `${a.jobId}@${a.profileId}`);

describe('planDispatch', () => {
  it('sends in the queue order, no more than each window has room for', () => {
    const held = ['a', 'b', 'c', 'd'].map((id) => job(id, ['gpu']));
    expect(sent(planDispatch(held, [server('gpu', { room: 2 })], rules()))).toEqual(['a@gpu', 'b@gpu']);
    expect(sent(planDispatch(held, [server('gpu', { room: 0 })], rules()))).toEqual([]);
    // A window already overfull (lowered while jobs were on it) sends nothing, never a negative count.
    expect(sent(planDispatch(held, [server('gpu', { room: -3 })], rules()))).toEqual([]);
  });

  it('sends nothing while all dispatch is paused, nor to a paused or held-back server, nor from a paused batch', () => {
    const held = [job('a', ['gpu']), job('b', ['cloud'])];
    expect(sent(planDispatch(held, [server('gpu'), server('cloud')], rules({ paused: true })))).toEqual([]);
    expect(sent(planDispatch(held, [server('gpu', { available: false }), server('cloud')], rules()))).toEqual([
      'b@cloud',
    ]);
    const batch = [job('a', ['gpu'], { batchId: 'x', batchPaused: true }), job('b', ['gpu'])];
    expect(sent(planDispatch(batch, [server('gpu')], rules()))).toEqual(['b@gpu']);
  });

  it('a job that cannot go now does not hold up the ones behind it', () => {
    const held = [job('a', ['busy']), job('b', ['free'])];
    expect(sent(planDispatch(held, [server('busy', { room: 0 }), server('free')], rules()))).toEqual(['b@free']);
  });

  it('a spread job goes where it would finish first: less busy, or faster for this workflow', () => {
    const spread = ['a', 'b', 'c', 'd'].map((id) => job(id, ['one', 'two']));
    // Equal servers: the jobs alternate.
    expect(sent(planDispatch(spread, [server('one'), server('two')], rules()))).toEqual([
      'a@one',
      'b@two',
      'c@one',
      'd@two',
    ]);
    // "one" is already busy for 5 s: the first two go to "two".
    expect(sent(planDispatch(spread.slice(0, 2), [server('one', { busyMs: 5000 }), server('two')], rules()))).toEqual([
      'a@two',
      'b@two',
    ]);
    // "two" runs this workflow four times faster: it takes most of them, while it has room.
    const fast = rules({ runMs: (_j, id) => (id === 'two' ? 250 : 1000) });
    expect(sent(planDispatch(spread, [server('one'), server('two', { room: 3 })], fast))).toEqual([
      'a@two',
      'b@two',
      'c@two',
      'd@one',
    ]);
  });

  it('a spread job goes only to an online server that has its nodes and models', () => {
    const held = [job('a', ['off', 'on'])];
    expect(sent(planDispatch(held, [server('off', { online: false }), server('on')], rules()))).toEqual(['a@on']);
    const noModel = rules({ canRun: (_j, id) => (id !== 'on' ? 'yes' : 'no') });
    expect(sent(planDispatch(held, [server('off'), server('on')], noModel))).toEqual(['a@off']);
  });

  it('a spread job no server can run is reported, and does not block the rest', () => {
    const held = [job('a', ['one', 'two']), job('b', ['one', 'two'])];
    const plan = planDispatch(
      held,
      [server('one'), server('two')],
      rules({ canRun: (j) => (j.id !== 'a' ? 'yes' : 'no') }),
    );
    expect(plan.unrunnable).toEqual(['a']);
    expect(sent(plan)).toEqual(['b@one']);
  });

  it('a server whose object_info is not read yet gets no spread job, and is not counted as unable', () => {
    const held = [job('a', ['new', 'old'])];
    const plan = planDispatch(
      held,
      [server('new'), server('old', { room: 0 })],
      rules({ canRun: (_j, id) => (id === 'new' ? 'unknown' : 'yes') }),
    );
    expect(plan).toEqual({ assignments: [], unrunnable: [] });
  });

  it('a job sent before without an answer stays with its server (looked up there first: never run twice)', () => {
    const held = [job('a', ['one', 'two'], { pinned: true, profileId: 'one' })];
    expect(sent(planDispatch(held, [server('one', { room: 0 }), server('two')], rules()))).toEqual([]);
    expect(sent(planDispatch(held, [server('one'), server('two')], rules()))).toEqual(['a@one']);
    // Pinned to an offline server: it still goes there (the lookup is the only safe next step).
    expect(sent(planDispatch(held, [server('one', { online: false }), server('two')], rules()))).toEqual(['a@one']);
  });

  it('a job another live process is sending is left to it', () => {
    const held = [job('a', ['gpu'], { submitOwner: 'other' }), job('b', ['gpu'])];
    expect(sent(planDispatch(held, [server('gpu')], rules({ mine: (j) => j.submitOwner === null })))).toEqual([
      'b@gpu',
    ]);
  });

  it('a server that is gone from the profiles is skipped', () => {
    expect(sent(planDispatch([job('a', ['gone', 'here'])], [server('here')], rules()))).toEqual(['a@here']);
    expect(sent(planDispatch([job('a', ['gone'])], [server('here')], rules()))).toEqual([]);
  });
});
