// A hostile server's saved workflows (and a careless user's names): huge listings, names that would
// leave workflows/, control characters, files that are not workflows, a 409, a 401. Each is said
// clearly, and nothing is lost: the list and the files kept stay, the server's file stays as it was.
import { expect } from 'vitest';
import { hostile, rig } from './harness';

const GRAPH = JSON.stringify({ last_node_id: 0, last_link_id: 0, nodes: [], links: [], groups: [], version: 0.4 });

hostile('saved-workflows', 'a listing of 6,000 entries is cut at 5,000, newest first, and says so', async () => {
  const { cloud, engine } = await rig();
  cloud.userdataListing(
    Array.from({ length: 6000 }, (_, i) => ({ path: `bulk/w${i}.json`, size: 10, modified: 1_700_000_000 + i })),
  );
  const list = await engine.invoke('saved.list', { profileId: 'cloud' });
  expect(list.entries).toHaveLength(5000);
  expect(list.entries.some((e) => e.path === 'bulk/w5999.json')).toBe(true);
  expect(list.entries.some((e) => e.path === 'bulk/w0.json')).toBe(false);
  expect(list.skipped).toMatch(/1000 older ones past the first 5000/);
});

hostile(
  'saved-workflows',
  'names with .., absolute paths and control characters are left out and counted; other scripts are kept',
  async () => {
    const { cloud, engine } = await rig();
    cloud.userdataListing([
      { path: '../../etc/passwd.json', size: 1, modified: 1 },
      { path: '/abs.json', size: 1, modified: 1 },
      { path: 'C:/win.json', size: 1, modified: 1 },
      { path: 'bell\u0007.json', size: 1, modified: 1 },
      { path: 'rtl\u202egnp.json', size: 1, modified: 1 },
      { path: 'Портреты/лиса.json', size: 5, modified: 1_700_000_000 },
      { path: '写真/狐.json', size: 5, modified: 1_700_000_000 },
      { path: 'no-size.json', modified: 1 },
      'just a string',
    ]);
    const list = await engine.invoke('saved.list', { profileId: 'cloud' });
    expect(list.entries.map((e) => e.path).sort()).toEqual(['Портреты/лиса.json', '写真/狐.json'].sort());
    expect(list.skipped).toMatch(/5 with a name that is not safe to use.*2 the server described incompletely/);
  },
);

hostile(
  'saved-workflows',
  'a saved file that is not JSON, or JSON that is not a workflow, is named as such',
  async () => {
    const { cloud, engine } = await rig();
    cloud.putUserdata('workflows/notes.json', 'this is not json {');
    cloud.putUserdata('workflows/list.json', '[1, 2, 3]');
    cloud.putUserdata('workflows/other.json', '{"theme": "dark"}');
    await expect(engine.invoke('saved.open', { profileId: 'cloud', path: 'notes.json' })).rejects.toThrow(
      /notes.json” on the server is not a workflow: it is not JSON/,
    );
    await expect(engine.invoke('saved.open', { profileId: 'cloud', path: 'list.json' })).rejects.toThrow(
      /list.json” is not a workflow: it holds no JSON object/,
    );
    await expect(engine.invoke('saved.open', { profileId: 'cloud', path: 'other.json' })).rejects.toThrow(
      /other.json” is not a workflow ComfyUI can run/,
    );
    // The listing still shows them (they are the person's files), and nothing was changed on the server.
    const list = await engine.invoke('saved.list', { profileId: 'cloud' });
    expect(list.entries).toHaveLength(3);
    expect(cloud.userdata.get('workflows/notes.json')!.bytes.toString()).toBe('this is not json {');
  },
);

hostile('saved-workflows', 'a 409 on save is said, and the server’s file is not touched', async () => {
  const { cloud, engine } = await rig();
  cloud.putUserdata('workflows/mine.json', GRAPH);
  const before = cloud.userdata.get('workflows/mine.json')!;
  await expect(
    engine.invoke('saved.save', { profileId: 'cloud', path: 'mine.json', base: null, workflow: JSON.parse(GRAPH) }),
  ).rejects.toThrow(/“mine.json” is already on the server/);
  expect(cloud.userdata.get('workflows/mine.json')).toBe(before);
});

hostile('saved-workflows', 'a 401 on list says what to do, and the list kept before stays', async () => {
  const { cloud, engine } = await rig();
  cloud.putUserdata('workflows/kept.json', GRAPH);
  expect((await engine.invoke('saved.list', { profileId: 'cloud' })).entries).toHaveLength(1);
  cloud.fault({ path: '/userdata', status: 401, times: 10 });
  const list = await engine.invoke('saved.list', { profileId: 'cloud' });
  expect(list.error).toMatch(/refused to list the saved workflows \(401\).*Settings/);
  expect(list.entries.map((e) => e.path)).toEqual(['kept.json']);
  const opened = await engine.invoke('saved.open', { profileId: 'cloud', path: 'kept.json' }).catch((e: Error) => e);
  expect(opened).toBeInstanceOf(Error);
  expect((opened as Error).message).toMatch(/401/);
});

hostile('saved-workflows', 'a save the server never answers is kept here, not lost', async () => {
  const { cloud, engine } = await rig();
  cloud.fault({ path: '/userdata', dropConnection: true, times: 1000 });
  const result = await engine.invoke('saved.save', {
    profileId: 'cloud',
    path: 'offline/new.json',
    base: null,
    workflow: JSON.parse(GRAPH),
  });
  expect(result.saved).toBe(false);
  const list = await engine.invoke('saved.list', { profileId: 'cloud', refresh: false });
  expect(list.entries).toMatchObject([{ path: 'offline/new.json', pending: true }]);
  cloud.clearFaults();
  await engine.invoke('saved.list', { profileId: 'cloud' });
  expect(cloud.userdata.has('workflows/offline/new.json')).toBe(true);
});
