import { describe, expect, it } from 'vitest';
import type { ConnectionState, ProfileList, Settings } from '../../../shared/contract';
import { dispatch } from '../../../electron/engine/dispatch';
import { Engine } from '../../../electron/engine/engine';
import { UnavailableSecretStore } from '../../../electron/engine/secrets';
import { useTempDirs } from './tmp';

const tempDir = useTempDirs();

async function open(dataDir = tempDir()): Promise<Engine> {
  return Engine.open({
    shell: 'host',
    dataDir,
    secrets: new UnavailableSecretStore(),
    monitor: false,
    version: '9.9.9',
  });
}

describe('settings and profiles', () => {
  it('starts with the defaults and the two seeded profiles', async () => {
    const engine = await open();
    expect(await engine.handlers['settings.get']()).toEqual({
      activeProfileId: 'cloud',
      theme: 'system',
      downloadConcurrency: 4,
      notifications: true,
      syncDownloads: true,
    });
    const list = await engine.handlers['profiles.list']();
    expect(list.activeId).toBe('cloud');
    expect(list.profiles).toEqual([
      { id: 'cloud', name: 'Comfy Cloud', kind: 'cloud', url: 'https://cloud.comfy.org' },
      { id: 'local', name: 'Local ComfyUI', kind: 'local', url: 'http://127.0.0.1:8188' },
    ]);
    const info = await engine.handlers['app.info']();
    expect(info.version).toBe('9.9.9');
    expect(info.journalPath.startsWith(info.dataDir)).toBe(true);
    await engine.close();
  });

  it('patches settings, emits settings.changed, and keeps them across reopen', async () => {
    const dir = tempDir();
    const engine = await open(dir);
    const seen: Settings[] = [];
    engine.on('settings.changed', (s) => seen.push(s));
    const after = await dispatch(
      engine.handlers,
      'settings.set',
      { theme: 'dark', downloadConcurrency: 8 },
      engine.log,
      engine.redact,
    );
    expect(after).toEqual({
      ok: true,
      value: {
        activeProfileId: 'cloud',
        theme: 'dark',
        downloadConcurrency: 8,
        notifications: true,
        syncDownloads: true,
      },
    });
    expect(seen).toHaveLength(1);
    await dispatch(engine.handlers, 'settings.set', { theme: 'dark' }, engine.log, engine.redact);
    expect(seen).toHaveLength(1); // no change, no event
    await engine.close();

    const reopened = await open(dir);
    expect((await reopened.handlers['settings.get']()).theme).toBe('dark');
    expect((await reopened.handlers['profiles.list']()).profiles).toHaveLength(2); // not seeded twice
    await reopened.close();
  });

  it('refuses invalid settings through dispatch, naming the field', async () => {
    const engine = await open();
    for (const [input, field] of [
      [{ downloadConcurrency: 0 }, 'downloadConcurrency'],
      [{ downloadConcurrency: 2.5 }, 'downloadConcurrency'],
      [{ theme: 'neon' }, 'theme'],
      [{ notifications: 'yes' }, 'notifications'],
      [{ colour: 'red' }, 'colour'],
    ] as const) {
      const result = await dispatch(engine.handlers, 'settings.set', input, engine.log, engine.redact);
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.error.code).toBe('invalid_input');
        expect(result.error.message).toContain(field);
      }
    }
    const missing = await dispatch(
      engine.handlers,
      'settings.set',
      { activeProfileId: 'nope' },
      engine.log,
      engine.redact,
    );
    expect(missing.ok ? null : missing.error.code).toBe('not_found');
    expect((await engine.handlers['settings.get']()).downloadConcurrency).toBe(4);
    await engine.close();
  });

  it('creates, updates and removes profiles; the last one cannot be removed', async () => {
    const engine = await open();
    const events: ProfileList[] = [];
    engine.on('profiles.changed', (p) => events.push(p));
    const created = await dispatch(
      engine.handlers,
      'profiles.save',
      { name: 'Studio box', kind: 'local', url: 'http://10.0.0.5:8188/' },
      engine.log,
      engine.redact,
    );
    if (!created.ok) throw new Error(created.error.message);
    const box = created.value as { id: string; url: string };
    expect(box.id).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(box.url).toBe('http://10.0.0.5:8188');
    expect(events).toHaveLength(1);

    const renamed = await engine.handlers['profiles.save']({
      id: box.id,
      name: 'Render box',
      kind: 'local',
      url: 'http://10.0.0.6:8188',
    });
    expect(renamed).toEqual({ id: box.id, name: 'Render box', kind: 'local', url: 'http://10.0.0.6:8188' });
    expect((await engine.handlers['profiles.list']()).profiles.map((p) => p.name)).toEqual([
      'Comfy Cloud',
      'Local ComfyUI',
      'Render box',
    ]);

    const unknown = await dispatch(
      engine.handlers,
      'profiles.save',
      { id: 'ghost', name: 'x', kind: 'local', url: 'http://a' },
      engine.log,
      engine.redact,
    );
    expect(unknown.ok ? null : unknown.error.code).toBe('not_found');
    const badUrl = await dispatch(
      engine.handlers,
      'profiles.save',
      { name: 'x', kind: 'local', url: 'file:///etc/passwd' },
      engine.log,
      engine.redact,
    );
    expect(badUrl.ok ? null : badUrl.error.message).toContain('url');

    // Removing the active profile selects another one and says so.
    const settingsEvents: Settings[] = [];
    engine.on('settings.changed', (s) => settingsEvents.push(s));
    const afterCloud = await engine.handlers['profiles.remove']({ id: 'cloud' });
    expect(afterCloud.profiles.map((p) => p.id)).toEqual(['local', box.id]);
    expect(afterCloud.activeId).toBe('local');
    expect(settingsEvents.at(-1)?.activeProfileId).toBe('local');

    await engine.handlers['profiles.remove']({ id: box.id });
    const last = await dispatch(engine.handlers, 'profiles.remove', { id: 'local' }, engine.log, engine.redact);
    expect(last.ok).toBe(false);
    if (!last.ok) {
      expect(last.error.code).toBe('conflict');
      expect(last.error.message).toMatch(/only server profile/);
    }
    expect((await engine.handlers['profiles.list']()).profiles.map((p) => p.id)).toEqual(['local']);
    await engine.close();
  });

  it('switching the active profile emits profiles.changed and settings.changed; connection.get follows', async () => {
    const engine = await open();
    const names: string[] = [];
    engine.onAny((name) => names.push(name));
    await engine.handlers['settings.set']({ activeProfileId: 'local' });
    expect(names).toEqual(['settings.changed', 'profiles.changed', 'connection.changed']);
    expect((await engine.handlers['profiles.list']()).activeId).toBe('local');
    const state: ConnectionState = await engine.handlers['connection.get']();
    expect(state.profileId).toBe('local');
    expect(state.state).toBe('connecting'); // monitoring is off in this test: no probe ran
    await engine.close();
  });
});
