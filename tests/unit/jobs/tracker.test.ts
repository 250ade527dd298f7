// Replays the WebSocket traffic recorded from a real ComfyUI server into a real journal.
import { describe, expect, it } from 'vitest';
import { MessageTracker } from '../../../electron/engine/jobs/tracker';
import type { JobJournal } from '../../../electron/engine/journal/jobs';
import type { OutputItem } from '../../../shared/jobs';
import { useTempDirs } from '../engine/tmp';
import { openTestJournal, readTrace, wire } from './journal-helpers';

const tempDir = useTempDirs();

function setup(trace: string) {
  const { db, journal } = openTestJournal(tempDir());
  const { messages: raw, prompts } = readTrace(trace);
  const messages = wire(raw);
  const jobIds = prompts.map(({ promptId, prompt }, i) => {
    const workflowId = journal.saveWorkflow(prompt, `trace ${i}`);
    const job = journal.createJob({
      id: `job-${i}`,
      profileId: 'local',
      workflowId,
      prompt,
      state: 'pending',
      promptId,
      cause: 'test',
    });
    return job.id;
  });
  const added: OutputItem[] = [];
  const changed = new Set<string>();
  const tracker = new MessageTracker(journal, 'local', {
    jobsChanged: (ids) => ids.forEach((id) => changed.add(id)),
    outputAdded: (item) => added.push(item),
  });
  return { db, journal, tracker, messages, jobIds, added, changed };
}

function statesOf(journal: JobJournal, id: string): string[] {
  return journal
    .events(id)
    .filter((e) => e.type === 'state')
    .map((e) => e.state!);
}

describe('MessageTracker with recorded traces', () => {
  it('a successful run: running → completed, outputs recorded once, progress reaches 100%', () => {
    const { journal, tracker, messages, jobIds, added, db } = setup('04_run_emptyimage_blur_scale_save.json');
    for (const m of messages) tracker.push(m);
    tracker.flush();
    const job = journal.mustGet(jobIds[0]!);
    expect(job.state).toBe('completed');
    expect(statesOf(journal, job.id)).toEqual(['pending', 'running', 'completed']);
    expect(job.startedAt).toBeGreaterThan(0);
    expect(job.finishedAt).toBeGreaterThanOrEqual(job.startedAt!);
    expect(job.progress?.overall).toBe(1);
    // Per node, from progress_state: every node the server ran, each finished, with its title.
    const nodes = job.progress?.nodes ?? [];
    expect(nodes.length).toBeGreaterThan(2);
    expect(nodes.every((n) => n.state === 'finished')).toBe(true);
    expect(nodes.map((n) => n.nodeId)).toContain('5');
    const outputs = journal.outputs(job.id);
    expect(outputs.length).toBeGreaterThan(0);
    expect(outputs.every((o) => o.state === 'remote' && o.kind === 'image')).toBe(true);
    // Every output recorded was announced once (a job lists its saved outputs before its previews).
    expect(added.map((o) => o.id).sort()).toEqual(outputs.map((o) => o.id).sort());
    // Replaying the same traffic again changes nothing: no duplicate outputs, no second completion.
    for (const m of messages) tracker.push(m);
    tracker.flush();
    expect(journal.outputs(job.id)).toHaveLength(outputs.length);
    expect(statesOf(journal, job.id)).toEqual(['pending', 'running', 'completed']);
    expect((db.pragma('integrity_check') as { integrity_check: string }[])[0]!.integrity_check).toBe('ok');
  });

  it('"node N of M" names the node at work: each node counted done once, whichever message says so', () => {
    for (const trace of ['04_run_emptyimage_blur_scale_save.json', '03_run_loadimage_invert_save.json']) {
      const { journal, tracker, messages, jobIds } = setup(trace);
      const seen: string[] = [];
      for (const m of messages) {
        tracker.push(m);
        tracker.flush();
        if (m.type !== 'executing' || m.node === null) continue;
        // progress_state and executing both announce a finished node: it must count once.
        const done = journal.mustGet(jobIds[0]!).progress?.nodesDone;
        if (!seen.includes(m.node)) seen.push(m.node);
        expect(done, `${trace}: while node ${m.node} runs`).toBe(seen.indexOf(m.node));
      }
      expect(seen.length).toBeGreaterThan(2);
    }
  });

  it('a node that fails: the error names the node, its type and the exception', () => {
    const { journal, tracker, messages, jobIds } = setup('07_run_fails_at_execution.json');
    for (const m of messages) tracker.push(m);
    tracker.flush();
    const job = journal.mustGet(jobIds[0]!);
    expect(job.state).toBe('failed');
    expect(job.error).toMatchObject({ kind: 'execution', nodeId: '2', nodeType: 'ImageToMask' });
    expect(job.error?.message).toContain('out of bounds');
    const failure = journal.events(job.id).find((e) => e.state === 'failed');
    expect(failure?.cause).toBe('socket: execution_error');
    expect(JSON.stringify(failure?.data)).toContain('IndexError');
  });

  it('an interrupted run ends interrupted', () => {
    const { journal, tracker, messages, jobIds } = setup('08_run_interrupted.json');
    for (const m of messages) tracker.push(m);
    tracker.flush();
    expect(journal.mustGet(jobIds[0]!).state).toBe('interrupted');
  });

  it('messages that beat the submit answer are held and replayed once the prompt_id is known', () => {
    const { journal, messages, jobIds } = setup('03_run_loadimage_invert_save.json');
    const first = journal.mustGet(jobIds[0]!);
    // A second tracker that does not know the prompt yet (the socket was faster than POST /prompt).
    const { db: _db, journal: fresh } = openTestJournal(tempDir());
    const workflowId = fresh.saveWorkflow(first.prompt, 'late');
    fresh.createJob({
      id: 'late',
      profileId: 'local',
      workflowId,
      prompt: first.prompt,
      state: 'submitting',
      cause: 't',
    });
    const tracker = new MessageTracker(fresh, 'local', { jobsChanged: () => {}, outputAdded: () => {} });
    for (const m of messages.filter((m) => JSON.stringify(m).includes(first.promptId!))) tracker.push(m);
    tracker.flush();
    expect(fresh.mustGet('late').state).toBe('submitting');
    fresh.transition('late', 'pending', 'submit accepted', { promptId: first.promptId });
    tracker.promptIdAssigned(first.promptId!, 'late');
    tracker.flush();
    expect(fresh.mustGet('late').state).toBe('completed');
    expect(fresh.outputs('late').length).toBeGreaterThan(0);
  });

  it('ignores messages of prompts that are not ours and never goes back from a final state', () => {
    const { journal, tracker, jobIds } = setup('04_run_emptyimage_blur_scale_save.json');
    const job = journal.mustGet(jobIds[0]!);
    for (const m of wire([
      { type: 'execution_success', data: { prompt_id: job.promptId, timestamp: Date.now() } },
      { type: 'execution_start', data: { prompt_id: job.promptId, timestamp: Date.now() } },
      { type: 'executing', data: { node: '1', prompt_id: 'someone-else' } },
      { type: 'progress', data: { value: 'x', max: null, prompt_id: job.promptId } },
    ]))
      tracker.push(m);
    tracker.flush();
    expect(journal.mustGet(job.id).state).toBe('completed');
  });
});
