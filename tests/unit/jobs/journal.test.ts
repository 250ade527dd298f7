// The job journal on a real SQLite file: transitions, events, outputs, search and gallery pages.
import { describe, expect, it } from 'vitest';
import { GalleryQueries } from '../../../electron/engine/journal/gallery';
import { canonicalJson, workflowIdOf } from '../../../electron/engine/journal/jobs';
import { useTempDirs } from '../engine/tmp';
import { openTestJournal } from './journal-helpers';

const tempDir = useTempDirs();

const prompt = (text: string, seed = 1) => ({
  '3': { class_type: 'KSampler', inputs: { seed } },
  '6': { class_type: 'CLIPTextEncode', inputs: { text } },
  '9': { class_type: 'SaveImage', inputs: { images: ['3', 0] } },
});

function seed(count: number) {
  const { db, journal } = openTestJournal(tempDir());
  const gallery = new GalleryQueries(db, journal);
  const words = ['red fox', 'blue whale', 'green forest'];
  for (let i = 0; i < count; i++) {
    const p = prompt(words[i % 3]!, i);
    const workflowId = journal.saveWorkflow(p, i % 2 ? 'Portraits' : 'Landscapes');
    journal.createJob({
      id: `job-${i}`,
      profileId: i % 4 === 0 ? 'local' : 'cloud',
      workflowId,
      prompt: p,
      state: 'completed',
      promptText: words[i % 3],
      createdAt: 1_000 + i,
      cause: 'test',
    });
    journal.addOutput(`job-${i}`, {
      nodeId: '9',
      kind: i % 5 === 0 ? 'video' : 'image',
      filename: `ComfyUI_${String(i).padStart(5, '0')}_.png`,
      subfolder: '',
      type: 'output',
      createdAt: 1_000 + i,
    });
  }
  return { db, journal, gallery };
}

describe('job journal', () => {
  it('journals every transition with its cause and refuses illegal ones', () => {
    const { journal } = openTestJournal(tempDir());
    const p = prompt('x');
    const workflowId = journal.saveWorkflow(p, 'wf');
    journal.createJob({ id: 'a', profileId: 'cloud', workflowId, prompt: p, state: 'outbox', cause: 'submitted' });
    expect(journal.transition('a', 'submitting', 'outbox: sending')).toBe(true);
    expect(journal.transition('a', 'pending', 'accepted', { promptId: 'p-1' })).toBe(true);
    expect(journal.transition('a', 'completed', 'socket')).toBe(true);
    expect(journal.transition('a', 'running', 'late message')).toBe(false);
    expect(journal.transition('a', 'failed', 'late error')).toBe(false);
    const job = journal.mustGet('a');
    expect(job.state).toBe('completed');
    expect(job.promptId).toBe('p-1');
    expect(journal.events('a').map((e) => [e.state, e.cause])).toEqual([
      ['outbox', 'submitted'],
      ['submitting', 'outbox: sending'],
      ['pending', 'accepted'],
      ['completed', 'socket'],
    ]);
    expect(journal.byPromptId('cloud', 'p-1')?.id).toBe('a');
    expect(journal.byPromptId('local', 'p-1')).toBeNull();
  });

  it('the same workflow hashes to the same id whatever the key order', () => {
    const a = { '1': { class_type: 'A', inputs: { x: 1, y: 2 } } };
    const b = { '1': { inputs: { y: 2, x: 1 }, class_type: 'A' } };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(workflowIdOf(a)).toBe(workflowIdOf(b));
  });

  it('keeps an output announced twice once', () => {
    const { journal } = seed(1);
    const again = journal.addOutput('job-0', {
      nodeId: '9',
      kind: 'video',
      filename: 'ComfyUI_00000_.png',
      subfolder: '',
      type: 'output',
    });
    expect(again.added).toBe(false);
    expect(journal.outputs('job-0')).toHaveLength(1);
  });
});

describe('gallery queries', () => {
  it('pages by keyset without gaps or repeats, newest and oldest first', () => {
    const { gallery } = seed(95);
    for (const sort of ['newest', 'oldest'] as const) {
      const seen: number[] = [];
      let after: string | undefined;
      do {
        const page = gallery.page({ limit: 20, sort, ...(after ? { after } : {}) });
        seen.push(...page.items.map((i) => i.createdAt));
        after = page.nextCursor ?? undefined;
      } while (after);
      expect(seen).toHaveLength(95);
      expect(new Set(seen).size).toBe(95);
      const sorted = [...seen].sort((a, b) => (sort === 'newest' ? b - a : a - b));
      expect(seen).toEqual(sorted);
    }
  });

  it('search, filters and favorites compose, and the count agrees with the pages', () => {
    const { gallery, journal } = seed(30);
    const fox = gallery.page({ search: 'fox', limit: 100 });
    expect(fox.items.length).toBe(10);
    expect(fox.items.every((i) => i.promptText === 'red fox')).toBe(true);
    expect(gallery.count({ search: 'fox' })).toBe(10);
    // Prefix search, workflow name and node class types are indexed too.
    expect(gallery.count({ search: 'whal' })).toBe(10);
    expect(gallery.count({ search: 'Portraits' })).toBe(15);
    expect(gallery.count({ search: 'KSampler' })).toBe(30);
    // The words inside a node's name: "sampler" finds KSampler.
    expect(gallery.count({ search: 'sampler' })).toBe(30);
    expect(gallery.count({ search: 'ComfyUI_00007_' })).toBe(1);
    const both = { search: 'fox', profileId: 'local', kinds: ['image' as const] };
    const page = gallery.page({ ...both, limit: 100 });
    expect(page.items.every((i) => i.profileId === 'local' && i.kind === 'image')).toBe(true);
    expect(gallery.count(both)).toBe(page.items.length);
    gallery.setFavorite([fox.items[0]!.id, fox.items[1]!.id], true);
    expect(gallery.count({ favorites: true })).toBe(2);
    expect(gallery.count({ favorites: true, search: 'whale' })).toBe(0);
    expect(gallery.count({ from: 1_010, to: 1_019 })).toBe(10);
    expect(journal.output(fox.items[0]!.id)?.favorite).toBe(true);
  });

  it('search input with FTS syntax is taken as words, not as a query language', () => {
    const { gallery } = seed(6);
    expect(() => gallery.count({ search: '"unbalanced ( * NEAR AND' })).not.toThrow();
    expect(gallery.count({ search: 'fox)' })).toBe(2);
  });

  it('lists jobs newest first with a cursor and a state filter', () => {
    const { gallery } = seed(12);
    const first = gallery.jobs({ limit: 5 });
    expect(first.items.map((j) => j.id)).toEqual(['job-11', 'job-10', 'job-9', 'job-8', 'job-7']);
    const second = gallery.jobs({ limit: 5, before: first.nextCursor! });
    expect(second.items[0]!.id).toBe('job-6');
    expect(gallery.jobs({ states: ['failed'] }).items).toHaveLength(0);
  });

  it('estimates an open job from the last runs of a workflow of that name on that server', () => {
    const { journal } = openTestJournal(tempDir());
    const run = (id: string, seedValue: number, profileId: string, ms: number | null) => {
      const p = prompt('a fox', seedValue); // another seed: another workflow id, the same name
      const workflowId = journal.saveWorkflow(p, 'fox portrait');
      journal.createJob({ id, profileId, workflowId, prompt: p, state: 'running', cause: 't', startedAt: 1_000 });
      if (ms !== null) journal.transition(id, 'completed', 't', { finishedAt: 1_000 + ms });
    };
    run('a', 1, 'cloud', 1_000);
    run('b', 2, 'cloud', 2_000);
    run('c', 3, 'cloud', 3_000);
    run('elsewhere', 4, 'local', 60_000);
    run('open', 5, 'cloud', null);
    expect(journal.mustGet('open').estimatedMs).toBe(2_000);
    expect(journal.mustGet('a').estimatedMs).toBeNull(); // finished: nothing to estimate
    run('first-here', 6, 'other', null);
    expect(journal.mustGet('first-here').estimatedMs).toBeNull();
  });

  it('lists workflows once per name, counting their outputs, and filters the gallery by name', () => {
    const { db, journal } = openTestJournal(tempDir());
    const gallery = new GalleryQueries(db, journal);
    const job = (id: string, name: string, seedValue: number, outputs: number) => {
      const p = prompt(name, seedValue);
      const workflowId = journal.saveWorkflow(p, name);
      journal.createJob({ id, profileId: 'cloud', workflowId, prompt: p, state: 'completed', cause: 't' });
      for (let i = 0; i < outputs; i++) {
        journal.addOutput(id, {
          nodeId: '9',
          kind: 'image',
          filename: `${id}-${i}.png`,
          subfolder: '',
          type: 'output',
        });
      }
    };
    job('a', 'load_invert_save', 1, 2);
    job('b', 'load_invert_save', 2, 2); // another seed: another version, the same name
    job('c', 'always_fails', 3, 0);
    expect(gallery.workflows()).toEqual([
      { name: 'load_invert_save', lastUsedAt: expect.any(Number), outputCount: 4, savedCount: 4 },
    ]);
    expect(gallery.count({ workflowName: 'load_invert_save' })).toBe(4);
    expect(gallery.page({ workflowName: 'load_invert_save' }).items).toHaveLength(4);
    expect(gallery.count({ workflowName: 'always_fails' })).toBe(0);
  });

  it('says whether a job has a seed to vary', () => {
    const { journal } = openTestJournal(tempDir());
    const seeded = { '3': { class_type: 'KSampler', inputs: { seed: 5 } } };
    const plain = { '1': { class_type: 'LoadImage', inputs: { image: 'a.png' } } };
    for (const [id, p] of [
      ['s', seeded],
      ['p', plain],
    ] as const) {
      journal.createJob({
        id,
        profileId: 'cloud',
        workflowId: journal.saveWorkflow(p, id),
        prompt: p,
        state: 'outbox',
        cause: 't',
      });
    }
    expect(journal.mustGet('s').hasSeed).toBe(true);
    expect(journal.mustGet('p').hasSeed).toBe(false);
  });

  it('keeps temporary previews apart: "saved" leaves type temp out', () => {
    const { db, journal } = openTestJournal(tempDir());
    const gallery = new GalleryQueries(db, journal);
    const p = prompt('previews');
    journal.createJob({
      id: 'j',
      profileId: 'cloud',
      workflowId: journal.saveWorkflow(p, 'w'),
      prompt: p,
      state: 'completed',
      cause: 't',
    });
    journal.addOutput('j', { nodeId: '9', kind: 'image', filename: 'saved.png', subfolder: '', type: 'output' });
    journal.addOutput('j', { nodeId: '7', kind: 'image', filename: 'preview.png', subfolder: '', type: 'temp' });
    expect(gallery.count({})).toBe(2);
    expect(gallery.count({ saved: true })).toBe(1);
    expect(gallery.page({ saved: true }).items.map((i) => i.filename)).toEqual(['saved.png']);
  });
});
