// The queue in the journal: the held order and moving jobs in it, changing their servers, the
// windows and pauses (kept across a reopen), and what a batch counts.
import { describe, expect, it } from 'vitest';
import { QueueJournal } from '../../../electron/engine/journal/queue';
import { SettingsStore } from '../../../electron/engine/journal/settings';
import { openTestJournal } from '../jobs/journal-helpers';
import { useTempDirs } from '../engine/tmp';

const tempDir = useTempDirs();

function setup(dir = tempDir()) {
  const { db, journal } = openTestJournal(dir);
  new SettingsStore(db); // seeds the cloud and local profiles
  const queue = new QueueJournal(db);
  const workflowId = journal.saveWorkflow({ '1': { class_type: 'X', inputs: {} } }, 'wf');
  const add = (id: string, extra: Partial<Parameters<typeof journal.createJob>[0]> = {}) =>
    journal.createJob({ id, profileId: 'cloud', workflowId, prompt: {}, state: 'outbox', cause: 'test', ...extra });
  return { db, journal, queue, add, dir };
}

const order = (queue: QueueJournal) => queue.held().map((h) => h.id);

describe('the held order', () => {
  it('new jobs go to the back; moves go to the front, the back, before or after another', () => {
    const { queue, add } = setup();
    ['a', 'b', 'c', 'd', 'e'].forEach((id) => add(id));
    expect(order(queue)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(queue.move(['d'], 'front')).toBe(1);
    expect(order(queue)).toEqual(['d', 'a', 'b', 'c', 'e']);
    queue.move(['a'], 'back');
    expect(order(queue)).toEqual(['d', 'b', 'c', 'e', 'a']);
    // Several at once keep the order they were given in.
    queue.move(['a', 'd'], 'after', 'c');
    expect(order(queue)).toEqual(['b', 'c', 'a', 'd', 'e']);
    queue.move(['e'], 'before', 'b');
    expect(order(queue)).toEqual(['e', 'b', 'c', 'a', 'd']);
  });

  it('survives a thousand moves into the same gap (the order is renumbered when ranks get too close)', () => {
    const { queue, add } = setup();
    ['a', 'b', 'c'].forEach((id) => add(id));
    for (let i = 0; i < 1000; i++) queue.move([i % 2 ? 'b' : 'c'], 'after', 'a');
    expect(order(queue)[0]).toBe('a');
    expect(new Set(order(queue))).toEqual(new Set(['a', 'b', 'c']));
    const ranks = queue.held().map((h) => h.rank);
    expect([...ranks].sort((x, y) => x - y)).toEqual(ranks);
    expect(new Set(ranks).size).toBe(3);
  });

  it('only held jobs move; an anchor that is not held is refused with a reason', () => {
    const { queue, add, journal } = setup();
    ['a', 'b'].forEach((id) => add(id));
    journal.transition('a', 'submitting', 'test');
    journal.transition('a', 'pending', 'test', { promptId: 'p1' });
    expect(queue.move(['a'], 'back')).toBe(0);
    expect(() => queue.move(['b'], 'before', 'a')).toThrow(/not waiting in the queue/);
  });

  it('a job left "submitting" without an answer is still held (and pinned to its server)', () => {
    const { queue, add, journal } = setup();
    add('a', { route: ['cloud', 'local'] });
    journal.countSubmitAttempt('a');
    journal.transition('a', 'submitting', 'test');
    const [held] = queue.held();
    expect(held).toMatchObject({ id: 'a', pinned: true, route: ['cloud', 'local'] });
    // It cannot be sent elsewhere by the person either, until its server says it does not have it.
    expect(queue.setRoute(['a'], ['local'])).toBe(0);
  });
});

describe('servers and pauses', () => {
  it('windows default by kind, can be set and reset, and survive a reopen with the pauses', () => {
    const first = setup();
    expect(first.queue.controls().map((c) => [c.profileId, c.window, c.defaultWindow])).toEqual([
      ['cloud', 4, true],
      ['local', 2, true],
    ]);
    first.queue.setWindow('local', 5);
    first.queue.setServerPaused('cloud', true);
    first.queue.setPaused(true);
    first.db.close();
    const again = setup(first.dir);
    expect(again.queue.paused()).toBe(true);
    expect(again.queue.controls().find((c) => c.profileId === 'local')).toMatchObject({
      window: 5,
      defaultWindow: false,
    });
    expect(again.queue.controls().find((c) => c.profileId === 'cloud')?.paused).toBe(true);
    again.queue.setWindow('local', null);
    expect(again.queue.controls().find((c) => c.profileId === 'local')).toMatchObject({
      window: 2,
      defaultWindow: true,
    });
    expect(() => again.queue.setWindow('nope', 3)).toThrow(/no server profile/);
  });

  it('counts ours on each server by state: queued there or running, not held or finished', () => {
    const { queue, add, journal } = setup();
    ['a', 'b', 'c'].forEach((id) => add(id));
    journal.transition('a', 'submitting', 't');
    journal.transition('a', 'pending', 't', { promptId: 'p1' });
    journal.transition('b', 'submitting', 't');
    journal.transition('b', 'pending', 't', { promptId: 'p2' });
    journal.transition('b', 'running', 't');
    journal.transition('b', 'completed', 't');
    expect(queue.inFlight().get('cloud')).toEqual([{ name: 'wf', n: 1 }]);
  });
});

describe('batches', () => {
  it('count their jobs by state, leave out a failed run once it is retried, and pause as a whole', () => {
    const { queue, add, journal } = setup();
    const id = queue.createBatch({ name: 'b', color: '#ff0000', kind: 'count', profileIds: ['cloud'], axes: [] });
    ['a', 'b', 'c'].forEach((j) => add(j, { batchId: id }));
    journal.transition('a', 'submitting', 't');
    expect(journal.transition('a', 'failed', 't')).toBe(true);
    expect(queue.mustBatch(id).counts).toMatchObject({ total: 3, held: 2, failed: 1 });
    add('a2', { batchId: id });
    journal.replacedBy('a', 'a2');
    expect(queue.mustBatch(id).counts).toMatchObject({ total: 3, held: 3, failed: 0 });
    queue.updateBatch(id, { paused: true });
    expect(
      queue
        .held()
        .filter((h) => h.batchPaused)
        .map((h) => h.id)
        .sort(),
    ).toEqual(['a2', 'b', 'c']);
    expect(() => queue.mustBatch('nope')).toThrow(/no batch/);
  });
});
