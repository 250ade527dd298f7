// Single instance: a second launch focuses the first and hands over its workflow file; files the OS
// opens with us wait until the page can take them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('electron', () => import('./fake-electron'));
import * as electron from './fake-electron';
import { claimSingleInstance, readOpenedFile, workflowFilesIn } from '../../../electron/main/instance';
import { useTempDirs } from '../engine/tmp';

const tempDir = useTempDirs();
beforeEach(() => electron.resetElectron());

function files() {
  const dir = tempDir();
  writeFileSync(join(dir, 'flow.json'), '{"1":{"class_type":"X","inputs":{}}}');
  writeFileSync(join(dir, 'image.PNG'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  writeFileSync(join(dir, 'notes.txt'), 'x');
  mkdirSync(join(dir, 'folder.json'));
  return dir;
}

describe('the files on a command line', () => {
  it('are existing .json and .png files, relative to the launch folder; never flags or the executable', () => {
    const dir = files();
    const argv = [
      '/opt/comfy-desk',
      '--flag=x.json',
      'flow.json',
      join(dir, 'image.PNG'),
      'notes.txt',
      'folder.json',
      'gone.json',
    ];
    expect(workflowFilesIn(argv, dir)).toEqual([join(dir, 'flow.json'), join(dir, 'image.PNG')]);
  });

  it('are read as bytes for the page, not passed as paths', () => {
    const dir = files();
    expect(readOpenedFile(join(dir, 'flow.json'))).toEqual({
      name: 'flow.json',
      kind: 'json',
      data: Buffer.from('{"1":{"class_type":"X","inputs":{}}}').toString('base64'),
    });
    expect(readOpenedFile(join(dir, 'image.PNG'))?.kind).toBe('png');
    expect(readOpenedFile(join(dir, 'gone.json'))).toBeNull();
    expect(readOpenedFile(join(dir, 'folder.json'))).toBeNull();
  });
});

describe('the lock', () => {
  it('a second instance is told to quit', () => {
    electron.app.hasLock = false;
    const focus = vi.fn();
    expect(claimSingleInstance({ focus, openFile: () => true }).ok).toBe(false);
    expect(electron.app.listenerCount('second-instance')).toBe(0);
  });

  it('a second launch focuses the first window and hands its workflow file on', () => {
    const dir = files();
    const focus = vi.fn();
    const openFile = vi.fn(() => true);
    expect(claimSingleInstance({ focus, openFile }).ok).toBe(true);
    electron.app.emit('second-instance', new electron.FakeEvent(), ['/opt/comfy-desk', 'flow.json'], dir, {});
    expect(focus).toHaveBeenCalledOnce();
    expect(openFile).toHaveBeenCalledWith(join(dir, 'flow.json'));
  });

  it('a file that arrives before the page is ready waits for it', () => {
    const dir = files();
    let ready = false;
    const opened: string[] = [];
    const instance = claimSingleInstance({ focus: vi.fn(), openFile: (path) => ready && opened.push(path) > 0 });
    electron.app.emit('second-instance', new electron.FakeEvent(), ['/x', join(dir, 'flow.json')], dir, {});
    expect(opened).toEqual([]);
    ready = true;
    instance.flush();
    instance.flush();
    expect(opened).toEqual([join(dir, 'flow.json')]);
  });

  it('macOS open-file (Open with, a drop on the dock) is taken for our kinds only', () => {
    const openFile = vi.fn(() => true);
    claimSingleInstance({ focus: vi.fn(), openFile });
    const event = new electron.FakeEvent();
    electron.app.emit('open-file', event, '/Users/me/flow.json');
    electron.app.emit('open-file', new electron.FakeEvent(), '/Users/me/evil.app');
    expect(event.defaultPrevented).toBe(true);
    expect(openFile.mock.calls).toEqual([['/Users/me/flow.json']]);
  });
});
