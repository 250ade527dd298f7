// What the desktop app's shell asks of the window (Electron only: the headless host sends none of
// these): menu commands and their shortcuts, files the OS opened with the app, notification clicks.
import type { EventPayload, MenuCommand } from '../../../shared/contract';
import type { View } from './app.svelte';

/** Where a menu command takes the window, and whether the gallery's search box takes the focus. */
export function menuTarget(command: MenuCommand): { view: View; focusSearch?: boolean } {
  switch (command) {
    case 'view.gallery':
      return { view: 'gallery' };
    case 'search':
      return { view: 'gallery', focusSearch: true };
    case 'view.queue':
      return { view: 'queue' };
    case 'view.settings':
    case 'import.folder': // folder import lives in Settings
      return { view: 'settings' };
    case 'view.workflows':
    case 'workflow.import':
    case 'run.new':
      return { view: 'workflows' };
  }
}

/** A file the OS opened with the app, as the workflows view takes any dropped file. */
export function fileFromShell(opened: EventPayload<'app.openFile'>): File {
  const bytes = Uint8Array.from(atob(opened.data), (c) => c.charCodeAt(0));
  return new File([bytes], opened.name, { type: opened.kind === 'png' ? 'image/png' : 'application/json' });
}
