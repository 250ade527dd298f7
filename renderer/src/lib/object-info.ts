// The active server's node definitions (object_info), shared by the form and the error views: a few
// megabytes over the bridge, so fetched once per server unless a fresh copy is asked for.
import { app } from './app.svelte';
import { desk } from './desk';

type ObjectInfo = Record<string, unknown> | null;

let cached: { profileId: string; info: Promise<ObjectInfo> } | null = null;

/** The node definitions the engine has for the active server (null when never online). */
export function objectInfo(fresh = false): Promise<ObjectInfo> {
  const profileId = app.profiles.activeId;
  if (fresh || !cached || cached.profileId !== profileId) {
    // A refusal is remembered as "none" only until the next fresh ask.
    cached = { profileId, info: desk.invoke('objectInfo.get', {}).catch(() => null) };
  }
  return cached.info;
}
