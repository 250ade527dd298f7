// Settings (one JSON value per key, merged over defaults) and server profiles.
import { randomUUID } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';
import type { ProfileInput, ProfileList, ServerProfile, Settings, SettingsPatch } from '../../../shared/contract';
import { DeskError } from '../../../shared/errors';

export const CLOUD_PROFILE: ServerProfile = {
  id: 'cloud',
  name: 'Comfy Cloud',
  kind: 'cloud',
  url: 'https://cloud.comfy.org',
};
export const LOCAL_PROFILE: ServerProfile = {
  id: 'local',
  name: 'Local ComfyUI',
  kind: 'local',
  url: 'http://127.0.0.1:8188',
};

export const DEFAULT_SETTINGS: Settings = {
  activeProfileId: CLOUD_PROFILE.id,
  theme: 'system',
  downloadConcurrency: 4,
  notifications: true,
  syncDownloads: true,
};

const SETTING_KEYS = Object.keys(DEFAULT_SETTINGS) as (keyof Settings)[];

interface ProfileRow {
  id: string;
  name: string;
  kind: 'cloud' | 'local';
  url: string;
}

export class SettingsStore {
  private readonly q: {
    getAll: Statement<[], { key: string; value_json: string }>;
    put: Statement<[string, string, number]>;
    profiles: Statement<[], ProfileRow>;
    profile: Statement<[string], ProfileRow>;
    count: Statement<[], { n: number }>;
    insert: Statement<[string, string, string, string, number, number, number]>;
    update: Statement<[string, string, string, number, string]>;
    remove: Statement<[string]>;
    maxPosition: Statement<[], { p: number | null }>;
  };

  /** `cloudUrl` replaces Comfy Cloud's address in the seeded profile (a staging or fake server). */
  constructor(
    private readonly db: Database,
    private readonly seedOptions: { cloudUrl?: string } = {},
  ) {
    this.q = {
      getAll: db.prepare('SELECT key, value_json FROM settings'),
      put: db.prepare(
        'INSERT INTO settings (key, value_json, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value_json = excluded.value_json, updated_at = excluded.updated_at',
      ),
      profiles: db.prepare('SELECT id, name, kind, url FROM profiles ORDER BY position, created_at, id'),
      profile: db.prepare('SELECT id, name, kind, url FROM profiles WHERE id = ?'),
      count: db.prepare('SELECT count(*) AS n FROM profiles'),
      insert: db.prepare(
        'INSERT INTO profiles (id, name, kind, url, position, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      update: db.prepare('UPDATE profiles SET name = ?, kind = ?, url = ?, updated_at = ? WHERE id = ?'),
      remove: db.prepare('DELETE FROM profiles WHERE id = ?'),
      maxPosition: db.prepare('SELECT max(position) AS p FROM profiles'),
    };
    this.seed();
  }

  /** The first open (no profile at all; the last one can never be removed) gets the two default profiles. */
  private seed(): void {
    this.db.transaction(() => {
      if ((this.q.count.get()?.n ?? 0) > 0) return;
      const now = Date.now();
      const cloud = { ...CLOUD_PROFILE, url: this.seedOptions.cloudUrl ?? CLOUD_PROFILE.url };
      [cloud, LOCAL_PROFILE].forEach((p, i) => this.q.insert.run(p.id, p.name, p.kind, p.url, i, now, now));
    })();
  }

  getSettings(): Settings {
    const out: Settings = { ...DEFAULT_SETTINGS };
    for (const row of this.q.getAll.all()) {
      if (!(SETTING_KEYS as string[]).includes(row.key)) continue;
      try {
        (out as unknown as Record<string, unknown>)[row.key] = JSON.parse(row.value_json);
      } catch {
        // A damaged value falls back to its default.
      }
    }
    // The active profile must exist; otherwise the first one is active.
    if (!this.q.profile.get(out.activeProfileId)) out.activeProfileId = this.firstProfileId();
    return out;
  }

  /** Apply a (validated) patch; returns the full settings after it. */
  setSettings(patch: SettingsPatch): Settings {
    return this.db.transaction(() => {
      if (patch.activeProfileId !== undefined && !this.q.profile.get(patch.activeProfileId)) {
        throw new DeskError('not_found', `There is no server profile "${patch.activeProfileId}".`);
      }
      const now = Date.now();
      for (const key of SETTING_KEYS) {
        const value = patch[key];
        if (value !== undefined) this.q.put.run(key, JSON.stringify(value), now);
      }
      return this.getSettings();
    })();
  }

  listProfiles(): ProfileList {
    return { profiles: this.q.profiles.all().map(toProfile), activeId: this.getSettings().activeProfileId };
  }

  getProfile(id: string): ServerProfile | null {
    const row = this.q.profile.get(id);
    return row ? toProfile(row) : null;
  }

  /** Create (no id: a new id is generated) or update (an existing id). */
  saveProfile(input: ProfileInput): ServerProfile {
    return this.db.transaction(() => {
      const now = Date.now();
      const url = input.url.replace(/\/+$/, '');
      if (input.id !== undefined) {
        if (!this.q.profile.get(input.id))
          throw new DeskError('not_found', `There is no server profile "${input.id}".`);
        this.q.update.run(input.name, input.kind, url, now, input.id);
        return { id: input.id, name: input.name, kind: input.kind, url };
      }
      const id = randomUUID();
      const position = (this.q.maxPosition.get()?.p ?? -1) + 1;
      this.q.insert.run(id, input.name, input.kind, url, position, now, now);
      return { id, name: input.name, kind: input.kind, url };
    })();
  }

  /** Remove a profile; never the last one. Removing the active one makes the first remaining one active. */
  removeProfile(id: string): ProfileList {
    return this.db.transaction(() => {
      if (!this.q.profile.get(id)) throw new DeskError('not_found', `There is no server profile "${id}".`);
      if ((this.q.count.get()?.n ?? 0) <= 1) {
        throw new DeskError('conflict', 'This is the only server profile; add another one before removing it.');
      }
      const wasActive = this.getSettings().activeProfileId === id;
      this.q.remove.run(id);
      if (wasActive) this.q.put.run('activeProfileId', JSON.stringify(this.firstProfileId()), Date.now());
      return this.listProfiles();
    })();
  }

  private firstProfileId(): string {
    return this.q.profiles.get()?.id ?? CLOUD_PROFILE.id;
  }
}

function toProfile(row: ProfileRow): ServerProfile {
  return { id: row.id, name: row.name, kind: row.kind, url: row.url };
}
