// Electron glue only: lifecycle, the locked-down window, IPC wired from the contract, the media protocol.
// Everything that matters lives in the engine, which runs the same here and in the headless host.
import { app, BrowserWindow, ipcMain, Notification, protocol, session, shell } from 'electron';
import { createReadStream, existsSync } from 'node:fs';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { IPC_EVENT, IPC_INVOKE, MEDIA_SCHEME, mediaVariantOf, type MediaVariant } from '../../shared/contract';
import { dispatch } from '../engine/dispatch';
import { Engine } from '../engine/engine';
import { answerMedia } from '../engine/media-range';
import { CONTENT_SECURITY_POLICY } from '../engine/security';

const here = import.meta.dirname;
const rendererIndex = join(here, '../renderer/index.html');
const preloadPath = join(here, '../preload/index.cjs');

app.setName('Comfy Desk');
protocol.registerSchemesAsPrivileged([
  { scheme: MEDIA_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } },
]);

let engine: Engine | undefined;
let mainWindow: BrowserWindow | undefined;

function isOurPage(url: string): boolean {
  const devUrl = process.env.ELECTRON_RENDERER_URL;
  if (devUrl) return url.startsWith(devUrl);
  return url === pathToFileURL(rendererIndex).href || url.startsWith(pathToFileURL(rendererIndex).href + '#');
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    title: 'Comfy Desk',
    show: false,
    backgroundColor: '#111318',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  // Links to the web open in the user's browser; the app window itself never navigates away.
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (event, url) => {
    if (!isOurPage(url)) event.preventDefault();
  });
  win.webContents.on('will-redirect', (event, url) => {
    if (!isOurPage(url)) event.preventDefault();
  });
  const devUrl = process.env.ELECTRON_RENDERER_URL;
  if (devUrl) void win.loadURL(devUrl);
  else void win.loadFile(rendererIndex);
  return win;
}

function lockDownSession(): void {
  const ses = session.defaultSession;
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
  });
  // The renderer needs no camera, location or the like; copying an image uses the sanitized clipboard.
  ses.setPermissionRequestHandler((_wc, permission, callback) => callback(permission === 'clipboard-sanitized-write'));
  ses.setPermissionCheckHandler((_wc, permission) => permission === 'clipboard-sanitized-write');
}

function serveMedia(opened: Engine): void {
  protocol.handle(MEDIA_SCHEME, async (request) => {
    const url = new URL(request.url);
    const hash = url.pathname.replace(/^\//, '');
    const variant: MediaVariant = mediaVariantOf(url.searchParams.get('v'));
    const media = url.host === 'media' && /^[a-f0-9]{64}$/.test(hash) ? await opened.media(hash, variant) : null;
    if (!media) return new Response('No such media', { status: 404 });
    // Ranges, as the host serves them: a video in the viewer seeks.
    const answer = answerMedia(media, request.headers.get('range'));
    if (answer.status === 416) return new Response(null, { status: 416, headers: answer.headers });
    const body = Readable.toWeb(createReadStream(media.path, { start: answer.start, end: answer.end }));
    return new Response(body as ReadableStream, { status: answer.status, headers: answer.headers });
  });
}

function wireContract(opened: Engine): void {
  ipcMain.handle(IPC_INVOKE, (event, name: unknown, input: unknown) => {
    // Only our own page may call in: not an iframe, not a page we navigated to by mistake.
    const frameUrl = event.senderFrame?.url ?? '';
    if (!isOurPage(frameUrl) || event.senderFrame !== event.sender.mainFrame) {
      return { ok: false, error: { code: 'unknown_command', message: 'Refused: not the app page' } };
    }
    return dispatch(opened.handlers, name, input, opened.log, opened.redact);
  });
  opened.onAny((name, payload) => {
    mainWindow?.webContents.send(IPC_EVENT, name, payload);
  });
  // A job that ends while the window is in the background gets an OS notification (a setting).
  opened.on('job.finished', (job) => {
    if (!mainWindow || mainWindow.isFocused() || !Notification.isSupported()) return;
    if (!opened.settings.getSettings().notifications) return;
    const note = new Notification({ title: job.title, body: job.body });
    note.on('click', () => mainWindow?.show());
    note.show();
  });
}

/** Where Electron-ABI builds of the native modules live when made beside the Node ones (see scripts/start.mjs). */
function electronNativeDir(): string | undefined {
  const dir = join(here, '../electron-native');
  return existsSync(dir) ? dir : undefined;
}

async function start(): Promise<void> {
  await app.whenReady();
  lockDownSession();
  engine = await Engine.open({
    shell: 'electron',
    dataDir: process.env.COMFY_DESK_DATA ?? app.getPath('userData'),
    version: app.getVersion(),
    nativeDir: electronNativeDir(),
    desktop: { reveal: (path) => shell.showItemInFolder(path) },
    ...(process.env.COMFY_DESK_CLOUD_URL ? { cloudUrl: process.env.COMFY_DESK_CLOUD_URL } : {}),
  });
  serveMedia(engine);
  wireContract(engine);
  mainWindow = createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow();
  });
}

app.on('web-contents-created', (_event, contents) => {
  contents.on('will-attach-webview', (event) => event.preventDefault());
});
app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
app.on('will-quit', () => {
  void engine?.close();
});

start().catch((err: unknown) => {
  console.error('Comfy Desk failed to start:', err);
  app.exit(1);
});
