// Servers named on the command line, found among the journal's profiles: an address (made into a
// profile by commands that send, found only by the others) or a profile's name or id. Names are
// looked up first, so a mistake in one of several is said before any profile is made.
import type { ServerProfile } from '../../shared/contract';
import type { JobSummary } from '../../shared/jobs';
import type { Engine } from '../engine/engine';
import { UsageError, type ServerRef } from './args';

export interface ResolveOptions {
  /** Make a profile for an address none has (run, sync, check); otherwise it is a usage error. */
  create: boolean;
  kind?: 'cloud' | 'local';
  /** COMFY_API_KEY: an address is taken for Comfy Cloud when it is set (as --server always did). */
  envKey?: string;
}

/** The profile ids of these servers, in the order given, without repeats. */
export async function resolveServers(engine: Engine, refs: ServerRef[], options: ResolveOptions): Promise<string[]> {
  const profiles = engine.settings.listProfiles().profiles;
  const byName = new Map<ServerRef, ServerProfile>();
  for (const ref of refs.filter((r) => r.name !== undefined)) byName.set(ref, findByName(profiles, ref));
  const ids: string[] = [];
  for (const ref of refs) {
    const found = byName.get(ref);
    ids.push(found ? found.id : await findByUrl(engine, profiles, ref, options));
  }
  return [...new Set(ids)];
}

function findByName(profiles: ServerProfile[], ref: ServerRef): ServerProfile {
  const name = ref.name!;
  const exact = profiles.find((p) => p.id === name);
  if (exact) return exact;
  const named = profiles.filter((p) => p.name.toLowerCase() === name.toLowerCase());
  if (named.length === 1) return named[0]!;
  if (named.length > 1)
    throw new UsageError(
      `${ref.flag} ${ref.text}: ${named.length} server profiles have that name (${named.map((p) => p.url).join(', ')}); give the address instead.`,
    );
  throw new UsageError(
    `${ref.flag} ${ref.text}: not an address, and no server profile has that name. Profiles: ${listOf(profiles)}.`,
  );
}

async function findByUrl(
  engine: Engine,
  profiles: ServerProfile[],
  ref: ServerRef,
  options: ResolveOptions,
): Promise<string> {
  const url = ref.url!;
  const kind = options.kind ?? (/comfy\.org$/.test(new URL(url).hostname) || options.envKey ? 'cloud' : 'local');
  const same = profiles.find((p) => p.url === url && p.kind === kind);
  if (same) return same.id;
  if (options.create) return (await engine.invoke('profiles.save', { name: new URL(url).host, kind, url })).id;
  // Only finding: the kind was a guess unless --kind said it.
  const any = profiles.filter((p) => p.url === url && (!options.kind || p.kind === options.kind));
  if (any.length === 1) return any[0]!.id;
  if (any.length > 1)
    throw new UsageError(`${ref.flag} ${ref.text}: a cloud and a local profile have this address; add --kind.`);
  throw new UsageError(
    `${ref.flag} ${ref.text}: no server profile has this address (run a job there first, or add it in the app). Profiles: ${listOf(profiles)}.`,
  );
}

function listOf(profiles: ServerProfile[]): string {
  return profiles.length ? profiles.map((p) => `${p.name} (${p.url})`).join(', ') : 'none';
}

/** How a profile is named in the output: its name, or its id if it is gone. */
export function serverName(engine: Engine, profileId: string): string {
  return engine.settings.getProfile(profileId)?.name ?? profileId;
}

/** A server's name as a shell argument: quoted when it has spaces or quotes. */
export function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** "2 on Studio, 2 on Laptop": where these jobs are, by server. */
export function countByServer(engine: Engine, jobs: JobSummary[]): string {
  const counts = new Map<string, number>();
  for (const job of jobs) counts.set(job.profileId, (counts.get(job.profileId) ?? 0) + 1);
  return [...counts].map(([id, n]) => `${n} on ${serverName(engine, id)}`).join(', ');
}
