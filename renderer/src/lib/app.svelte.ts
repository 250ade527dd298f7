// App-wide state from the engine: connection, settings, profiles, key status, app info.
// Loaded once, then kept current by the contract's events; loaded again when the host bridge comes
// back, since the events sent while it was gone are lost.
import type { AppInfo, ConnectionState, KeyStatus, ProfileList, Settings } from '../../../shared/contract';
import { desk, onBridge, type BridgeLink } from './desk';
import { gallery } from './gallery.svelte';
import { jobs } from './jobs.svelte';
import { fileFromShell, menuTarget } from './shell-events';

export type View = 'gallery' | 'queue' | 'workflows' | 'settings';

class AppState {
  view = $state<View>('gallery');
  connection = $state<ConnectionState | null>(null);
  settings = $state<Settings | null>(null);
  profiles = $state<ProfileList>({ profiles: [], activeId: '' });
  keys = $state<Record<string, KeyStatus>>({});
  info = $state<AppInfo | null>(null);
  /** The link to Comfy Desk's own background service (the headless host); always open in Electron. */
  bridge = $state<BridgeLink>({ open: true, attempts: 0, retryAt: null });
  /** A job opened in the detail panel. */
  openJobId = $state<string | null>(null);
  /** A gallery output handed to the workflows view as an input image ("use as input"). */
  inputFromGallery = $state<{ id: number; filename: string } | null>(null);
  /** A file dropped anywhere on the window, for the workflows view to take. */
  droppedFile = $state<File | null>(null);
  /** An image for the open workflow's first image input (dropped on the window). */
  imageForInput = $state<File | null>(null);
  /** Bumped to open Settings on the active server's API key field ("Add your key"). */
  focusKey = $state(0);
  /** The last focusKey that Settings acted on. */
  focusKeyDone = 0;
  /** Bumped to move the focus to the gallery's search box (the Search menu command). */
  searchFocus = $state(0);
  /** A workflow handed to the workflows view to open (e.g. the one that made a gallery image). */
  /** An output's workflow to open: the prompt it ran, and the graph from ComfyUI's editor when it has one. */
  workflowToOpen = $state<{
    name: string;
    prompt: Record<string, unknown> | null;
    workflow: Record<string, unknown> | null;
  } | null>(null);

  activeProfile = $derived(this.profiles.profiles.find((p) => p.id === this.profiles.activeId) ?? null);
  offline = $derived(
    this.connection !== null && (this.connection.state === 'offline' || this.connection.state === 'unauthorized'),
  );

  /** A server as a person knows it: by its name, never its id (which may be a UUID). */
  serverName(profileId: string | null | undefined): string {
    return this.profiles.profiles.find((p) => p.id === profileId)?.name ?? 'A removed server';
  }

  /** Subscribes to the engine's events and the bridge, then reads everything once. */
  async load(): Promise<void> {
    desk.on('connection.changed', (c) => (this.connection = c));
    desk.on('settings.changed', (s) => {
      this.settings = s;
      applyTheme(s.theme);
    });
    desk.on('profiles.changed', (p) => (this.profiles = p));
    desk.on('key.changed', (k) => (this.keys = { ...this.keys, [k.profileId]: k }));
    // The desktop shell: its menu, files opened with the app, notification clicks.
    desk.on('menu.command', ({ command }) => {
      const target = menuTarget(command);
      this.view = target.view;
      if (target.focusSearch) this.searchFocus += 1;
    });
    desk.on('app.openFile', (opened) => {
      this.droppedFile = fileFromShell(opened);
      this.view = 'workflows';
    });
    desk.on('app.openJob', ({ jobId }) => (this.openJobId = jobId));
    onBridge((link) => {
      const back = link.open && !this.bridge.open;
      this.bridge = link;
      if (back) void this.reloadAll();
    });
    await this.read();
  }

  /** Back after the bridge was lost: what the window shows is read again (jobs, gallery, settings). */
  private async reloadAll(): Promise<void> {
    await Promise.all([this.read(), jobs.reload(), gallery.reload()]).catch(() => undefined);
  }

  private async read(): Promise<void> {
    const [connection, settings, profiles, info] = await Promise.all([
      desk.invoke('connection.get'),
      desk.invoke('settings.get'),
      desk.invoke('profiles.list'),
      desk.invoke('app.info'),
    ]);
    this.connection = connection;
    this.settings = settings;
    this.profiles = profiles;
    this.info = info;
    applyTheme(settings.theme);
    await Promise.all(profiles.profiles.map((p) => this.refreshKey(p.id)));
  }

  async refreshKey(profileId: string): Promise<void> {
    const status = await desk.invoke('key.status', { profileId });
    this.keys = { ...this.keys, [profileId]: status };
  }
}

function applyTheme(theme: Settings['theme']): void {
  const dark = theme === 'dark' || (theme === 'system' && matchMedia('(prefers-color-scheme: dark)').matches);
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
}

export const app = new AppState();

matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
  if (app.settings) applyTheme(app.settings.theme);
});
