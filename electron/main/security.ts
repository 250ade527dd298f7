// The window's locks: which pages are ours, where links may go, what the session permits.
import { shell, type Session, type WebContents } from 'electron';
import { CONTENT_SECURITY_POLICY } from '../engine/security';

/**
 * The only places a link may open in the person's browser: the sites the app itself links to. A page
 * that talks a person into clicking anything else (a phishing page, a `file:` or custom-scheme URL that
 * launches a program) gets nothing. An entry without a path is a whole origin; with one, a prefix of it.
 */
export const EXTERNAL_LINKS: readonly { origin: string; path?: string }[] = [
  { origin: 'https://comfy.org' },
  { origin: 'https://www.comfy.org' },
  { origin: 'https://docs.comfy.org' },
  { origin: 'https://platform.comfy.org' },
  { origin: 'https://github.com', path: '/Comfy-Org/' },
];

const locked = new WeakSet<WebContents>();

/** Permissions the renderer may have: copying an image goes through Chromium's sanitized clipboard. */
export const GRANTED_PERMISSIONS: ReadonlySet<string> = new Set(['clipboard-sanitized-write']);

export function isAllowedExternal(raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  // Credentials in a URL are a classic way to disguise where it really goes.
  if (url.protocol !== 'https:' || url.username || url.password) return false;
  return EXTERNAL_LINKS.some((link) => url.origin === link.origin && url.pathname.startsWith(link.path ?? '/'));
}

/** Opens a link in the browser if it is on the allowlist; says whether it did. */
export function openExternalIfAllowed(url: string): boolean {
  if (!isAllowedExternal(url)) return false;
  // electronegativity OPEN_EXTERNAL_JS_CHECK: only https URLs on EXTERNAL_LINKS get here (tested).
  void shell.openExternal(url); // eng-disable OPEN_EXTERNAL_JS_CHECK
  return true;
}

/** Whether `url` is the app page itself (any in-page #route), in development or packaged. */
export function isAppPage(url: string, pageUrl: string): boolean {
  if (!url) return false;
  // In development the page is served by Vite: any path under its origin is ours.
  if (/^https?:/.test(pageUrl)) {
    try {
      return new URL(url).origin === new URL(pageUrl).origin;
    } catch {
      return false;
    }
  }
  return url === pageUrl || url.startsWith(pageUrl + '#');
}

/**
 * The window never leaves the app page: navigations and redirects elsewhere are refused (a link
 * on the allowlist opens in the browser instead), and no new window is ever made. A middle-click
 * or a ctrl/shift-click (auxclick) arrives as a window.open with a tab or window disposition: it is
 * treated exactly as a click, never as a way to a second window.
 */
export function lockNavigation(contents: WebContents, pageUrl: string): void {
  // Our window is locked when made and again by web-contents-created: once is enough.
  if (locked.has(contents)) return;
  locked.add(contents);
  const guard = (event: { preventDefault(): void }, url: string): void => {
    if (isAppPage(url, pageUrl)) return;
    event.preventDefault();
    openExternalIfAllowed(url);
  };
  contents.on('will-navigate', (event) => guard(event, event.url));
  // A subframe (there should be none: frame-src is 'none') may not navigate anywhere either.
  contents.on('will-frame-navigate', (event) => {
    if (!event.isMainFrame && !event.isSameDocument) event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    if (!isAppPage(event.url, pageUrl)) event.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    if (!isAppPage(url, pageUrl)) openExternalIfAllowed(url);
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/** The session's headers and permissions: the CSP on every response, no device or sensor access. */
export function lockDownSession(ses: Session): void {
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({
      // electronegativity CSP_GLOBAL_CHECK cannot read a CSP held in a constant: it is the literal in
      // electron/engine/security.ts, the same as renderer/index.html's meta tag, which it does check.
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] }, // eng-disable CSP_GLOBAL_CHECK
    });
  });
  ses.setPermissionRequestHandler((_contents, permission, callback) => callback(GRANTED_PERMISSIONS.has(permission)));
  ses.setPermissionCheckHandler((_contents, permission) => GRANTED_PERMISSIONS.has(permission));
}
