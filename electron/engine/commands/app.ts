// The contract's app, settings, profiles, key and connection commands: the app itself, its
// servers and their keys.
import type { AppInfo, ServerProfile, Settings } from '../../../shared/contract';
import { DeskError } from '../../../shared/errors';
import type { ConnectionMonitor } from '../connection';
import type { JobsModule } from '../jobs/module';
import type { SettingsStore } from '../journal/settings';
import type { Logger, Redactor } from '../log';
import { APP_NAME, type DataPaths } from '../paths';
import type { KeyVault } from '../secrets';
import { checkServerDetailed, connectionStateFor, type DetailedCheck } from '../server-check';
import type { Emit, HandlersOf } from './types';

export interface AppContext {
  version: string;
  shell: 'electron' | 'host';
  paths: DataPaths;
  settings: SettingsStore;
  keys: KeyVault;
  monitor: ConnectionMonitor;
  log: Logger;
  redactor: Redactor;
  jobs: JobsModule;
  emit: Emit;
  activeProfileId(): string;
}

export function appCommands(ctx: AppContext): HandlersOf<'app' | 'settings' | 'profiles' | 'key' | 'connection'> {
  const requireProfile = (id: string): ServerProfile => {
    const profile = ctx.settings.getProfile(id);
    if (!profile) throw new DeskError('not_found', `There is no server profile "${id}".`);
    return profile;
  };
  return {
    'app.info': async (): Promise<AppInfo> => ({
      name: APP_NAME,
      version: ctx.version,
      shell: ctx.shell,
      platform: process.platform,
      dataDir: ctx.paths.dataDir,
      journalPath: ctx.paths.journalPath,
      storeDir: ctx.paths.storeDir,
      logDir: ctx.paths.logDir,
      keychain: await ctx.keys.keychain(),
    }),

    'settings.get': () => ctx.settings.getSettings(),

    'settings.set': (patch) => {
      const before = ctx.settings.getSettings();
      const after = ctx.settings.setSettings(patch);
      if (!sameSettings(before, after)) {
        ctx.log.info('settings changed', { ...patch });
        ctx.emit('settings.changed', after);
      }
      if (before.activeProfileId !== after.activeProfileId) {
        ctx.emit('profiles.changed', ctx.settings.listProfiles());
        void ctx.monitor.restart();
        ctx.jobs.refreshSessions();
      }
      if (before.downloadConcurrency !== after.downloadConcurrency) {
        ctx.jobs.setDownloadConcurrency(after.downloadConcurrency);
      }
      return after;
    },

    'profiles.list': () => ctx.settings.listProfiles(),

    'profiles.save': async (input) => {
      const before = input.id !== undefined ? ctx.settings.getProfile(input.id) : null;
      // A key belongs to the server it was entered for: pointing the profile elsewhere forgets
      // it first, so not one request to the new address can carry it.
      const moved = before !== null && (originOf(before.url) !== originOf(input.url) || before.kind !== input.kind);
      if (moved) {
        const status = await ctx.keys.clear(before.id);
        if (status.hasKey || (await ctx.keys.get(before.id))) {
          throw new DeskError(
            'keychain_unavailable',
            'The key of this server could not be removed from the keychain, so its address was not changed. Remove the key in Settings first.',
          );
        }
        ctx.log.info('key forgotten: the profile now points at another server', { id: before.id });
        ctx.emit('key.changed', status);
      }
      const saved = ctx.settings.saveProfile(input);
      ctx.log.info(before ? 'profile updated' : 'profile created', {
        id: saved.id,
        kind: saved.kind,
        url: saved.url,
      });
      ctx.emit('profiles.changed', ctx.settings.listProfiles());
      if (saved.id === ctx.activeProfileId() && (!before || before.url !== saved.url || before.kind !== saved.kind)) {
        void ctx.monitor.restart();
      }
      ctx.jobs.refreshSessions(saved.id);
      return saved;
    },

    'profiles.remove': async ({ id }) => {
      const before = ctx.settings.getSettings();
      const list = ctx.settings.removeProfile(id);
      // The removed profile's key goes with it.
      await ctx.keys
        .clear(id)
        .catch((err: unknown) => ctx.log.warn('could not delete the key of a removed profile', { id, error: err }));
      ctx.log.info('profile removed', { id });
      ctx.emit('profiles.changed', list);
      if (before.activeProfileId !== list.activeId) {
        ctx.emit('settings.changed', ctx.settings.getSettings());
        void ctx.monitor.restart();
      }
      return list;
    },

    'key.status': ({ profileId }) => {
      requireProfile(profileId);
      return ctx.keys.status(profileId);
    },

    'key.set': async ({ profileId, key }) => {
      requireProfile(profileId);
      ctx.redactor.add(key);
      const status = await ctx.keys.set(profileId, key);
      ctx.log.info('key set', { profileId, storage: status.storage, last4: status.last4 });
      ctx.emit('key.changed', status);
      if (profileId === ctx.activeProfileId()) void ctx.monitor.restart();
      ctx.jobs.refreshSessions(profileId);
      return status;
    },

    'key.clear': async ({ profileId }) => {
      requireProfile(profileId);
      const status = await ctx.keys.clear(profileId);
      ctx.log.info('key cleared', { profileId });
      ctx.emit('key.changed', status);
      if (profileId === ctx.activeProfileId()) void ctx.monitor.restart();
      ctx.jobs.refreshSessions(profileId);
      return status;
    },

    'key.test': async ({ profileId }) => {
      const profile = requireProfile(profileId);
      const result = await checkProfile(profile, ctx.keys, ctx.redactor);
      ctx.log.info('key tested', { profileId, outcome: result.outcome, status: result.check.status });
      if (profileId === ctx.activeProfileId()) {
        ctx.monitor.report({ profileId, state: connectionStateFor(result.outcome), message: result.check.message });
      }
      return result.check;
    },

    'connection.get': () => ctx.monitor.state,
  };
}

export async function checkProfile(profile: ServerProfile, keys: KeyVault, redactor: Redactor): Promise<DetailedCheck> {
  const key = profile.kind === 'cloud' ? await keys.get(profile.id) : null;
  return checkServerDetailed(profile, key, { redact: redactor.redact });
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

function sameSettings(a: Settings, b: Settings): boolean {
  return (Object.keys(a) as (keyof Settings)[]).every((key) => a[key] === b[key]);
}
