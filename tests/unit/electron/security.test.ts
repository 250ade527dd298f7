// The window's locks: navigation, redirects, window.open and middle-click, external links, permissions, CSP.
import { beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('electron', () => import('./fake-electron'));
import * as electron from './fake-electron';
import type { WebContents, Session } from 'electron';
import {
  EXTERNAL_LINKS,
  isAllowedExternal,
  isAppPage,
  lockDownSession,
  lockNavigation,
} from '../../../electron/main/security';
import { CONTENT_SECURITY_POLICY } from '../../../electron/engine/security';

const PAGE = 'file:///opt/Comfy%20Desk/resources/app.asar/out/renderer/index.html';

beforeEach(() => electron.resetElectron());

function locked(page = PAGE): electron.FakeWebContents {
  const contents = new electron.FakeWebContents(page);
  lockNavigation(contents as unknown as WebContents, page);
  return contents;
}

describe('external links', () => {
  it.each([
    'https://comfy.org/',
    'https://docs.comfy.org/get_started',
    'https://platform.comfy.org/profile/api-keys',
    'https://github.com/Comfy-Org/ComfyUI/issues',
  ])('%s opens in the browser', (url) => expect(isAllowedExternal(url)).toBe(true));

  it.each([
    'http://comfy.org/', // not https
    'https://comfy.org.evil.example/',
    'https://evil.example/?https://comfy.org',
    'https://user:pass@docs.comfy.org/',
    'https://github.com/someone-else/repo',
    'https://github.com/Comfy-Orgish/x',
    'file:///etc/passwd',
    'smb://share/x',
    'javascript:alert(1)',
    'not a url',
  ])('%s does not', (url) => expect(isAllowedExternal(url)).toBe(false));

  it('the allowlist is https origins only', () => {
    for (const link of EXTERNAL_LINKS) expect(new URL(link.origin).protocol).toBe('https:');
  });
});

describe('the app page', () => {
  it('is the page itself and its #routes, nothing beside it', () => {
    expect(isAppPage(PAGE, PAGE)).toBe(true);
    expect(isAppPage(`${PAGE}#/gallery`, PAGE)).toBe(true);
    expect(isAppPage(`${PAGE}.evil.html`, PAGE)).toBe(false);
    expect(isAppPage('file:///tmp/evil.html', PAGE)).toBe(false);
    expect(isAppPage('', PAGE)).toBe(false);
  });
  it('in development is any path on Vite’s origin', () => {
    expect(isAppPage('http://localhost:5173/src/x', 'http://localhost:5173/')).toBe(true);
    expect(isAppPage('http://localhost:5174/', 'http://localhost:5173/')).toBe(false);
  });
});

describe('navigation', () => {
  it('stays on the app page; in-page routes are allowed', () => {
    const contents = locked();
    expect(contents.navigate('will-navigate', `${PAGE}#/queue`)).toBe(false);
    expect(contents.navigate('will-navigate', 'file:///tmp/evil.html')).toBe(true);
    expect(contents.navigate('will-redirect', 'https://evil.example/')).toBe(true);
    expect(electron.shell.opened).toEqual([]);
  });

  it('a link on the allowlist opens in the browser instead of in the window', () => {
    const contents = locked();
    expect(contents.navigate('will-navigate', 'https://docs.comfy.org/')).toBe(true);
    expect(electron.shell.opened).toEqual(['https://docs.comfy.org/']);
  });

  it('a subframe may not navigate', () => {
    const contents = locked();
    expect(contents.navigate('will-frame-navigate', 'https://evil.example/', false)).toBe(true);
    expect(contents.navigate('will-frame-navigate', PAGE, true)).toBe(false);
  });

  it('webviews are never attached', () => {
    const contents = locked();
    const event = new electron.FakeEvent();
    contents.emit('will-attach-webview', event, {}, {});
    expect(event.defaultPrevented).toBe(true);
  });

  it('is locked once even when web-contents-created locks the window again', () => {
    const contents = locked();
    lockNavigation(contents as unknown as WebContents, PAGE);
    contents.navigate('will-navigate', 'https://docs.comfy.org/');
    expect(electron.shell.opened).toHaveLength(1);
  });
});

describe('window.open and middle-click (auxclick)', () => {
  const dispositions = ['default', 'foreground-tab', 'background-tab', 'new-window', 'other'] as const;

  it.each(dispositions)('%s: never a new window; an allowlisted link goes to the browser', (disposition) => {
    const contents = locked();
    const open = (url: string) =>
      contents.windowOpenHandler?.({ url, frameName: '', features: '', disposition }) ?? { action: 'allow' };
    expect(open('https://docs.comfy.org/x')).toEqual({ action: 'deny' });
    expect(open('https://evil.example/')).toEqual({ action: 'deny' });
    expect(open(`${PAGE}#/gallery`)).toEqual({ action: 'deny' });
    expect(open('file:///etc/passwd')).toEqual({ action: 'deny' });
    expect(electron.shell.opened).toEqual(['https://docs.comfy.org/x']);
  });
});

describe('the session', () => {
  function lockedSession(): electron.FakeSession {
    const ses = electron.session.defaultSession;
    lockDownSession(ses as unknown as Session);
    return ses;
  }

  it('adds the CSP to every response, keeping the other headers', () => {
    const ses = lockedSession();
    let headers: Record<string, unknown> = {};
    ses.headersListener?.({ url: PAGE, responseHeaders: { 'X-Other': ['1'] } }, (r) => {
      headers = r.responseHeaders ?? {};
    });
    expect(headers).toEqual({ 'X-Other': ['1'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
  });

  it.each(['media', 'geolocation', 'notifications', 'openExternal', 'clipboard-read', 'fullscreen', 'hid', 'usb'])(
    'refuses %s',
    (permission) => {
      const ses = lockedSession();
      const contents = new electron.FakeWebContents(PAGE);
      const granted = vi.fn();
      ses.permissionRequest?.(contents, permission, granted, { requestingUrl: PAGE });
      expect(granted).toHaveBeenCalledWith(false);
      expect(ses.permissionCheck?.(contents, permission, 'file://', {})).toBe(false);
    },
  );

  it('grants the sanitized clipboard write (copy image)', () => {
    const ses = lockedSession();
    const granted = vi.fn();
    ses.permissionRequest?.(new electron.FakeWebContents(PAGE), 'clipboard-sanitized-write', granted, {
      requestingUrl: PAGE,
    });
    expect(granted).toHaveBeenCalledWith(true);
    expect(ses.permissionCheck?.(null, 'clipboard-sanitized-write', 'file://', {})).toBe(true);
  });
});
