// The desktop shell's requests, as the window takes them: each menu command leads somewhere, and
// a file the OS opened arrives as the same File a drop would give.
import { describe, expect, it } from 'vitest';
import type { MenuCommand } from '../../../shared/contract';
import { fileFromShell, menuTarget } from '../../../renderer/src/lib/shell-events';

describe('shell events', () => {
  it('every menu command takes the window to its view', () => {
    const all: Record<MenuCommand, string> = {
      'run.new': 'workflows',
      'workflow.import': 'workflows',
      'import.folder': 'settings',
      search: 'gallery',
      'view.gallery': 'gallery',
      'view.queue': 'queue',
      'view.workflows': 'workflows',
      'view.settings': 'settings',
    };
    for (const [command, view] of Object.entries(all)) expect(menuTarget(command as MenuCommand).view).toBe(view);
    expect(menuTarget('search').focusSearch).toBe(true);
    expect(menuTarget('view.gallery').focusSearch).toBeUndefined();
  });

  it('a file opened with the app becomes a File with its bytes, name and type', async () => {
    const json = '{"3":{"class_type":"KSampler","inputs":{}}}';
    const file = fileFromShell({ name: 'wf.json', kind: 'json', data: Buffer.from(json).toString('base64') });
    expect(file.name).toBe('wf.json');
    expect(file.type).toBe('application/json');
    expect(await file.text()).toBe(json);
    const png = fileFromShell({
      name: 'a.png',
      kind: 'png',
      data: Buffer.from([0x89, 0x50, 0x4e, 0x47]).toString('base64'),
    });
    expect(png.type).toBe('image/png');
    expect(new Uint8Array(await png.arrayBuffer())).toEqual(new Uint8Array([0x89, 0x50, 0x4e, 0x47]));
  });
});
