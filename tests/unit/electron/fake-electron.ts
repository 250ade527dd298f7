// A small stand-in for Electron's main-process modules, used with `vi.mock('electron', …)`. Each
// piece keeps Electron's signatures (node_modules/electron/electron.d.ts) and records what main did
// with it, so tests can assert calls and fire the events Electron would fire.
import { EventEmitter } from 'node:events';

/** Electron's `Event`: listeners call preventDefault to refuse. */
export class FakeEvent {
  defaultPrevented = false;
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

/** A navigation event as Electron 45 passes it: the details object is the event itself. */
export class NavigationEvent extends FakeEvent {
  constructor(
    readonly url: string,
    readonly isMainFrame = true,
    readonly frame: FakeFrame | null = null,
    readonly isSameDocument = false,
  ) {
    super();
  }
}

export class FakeFrame {
  constructor(
    public url: string,
    readonly parent: FakeFrame | null = null,
  ) {}
}

type WindowOpenHandler = (details: {
  url: string;
  frameName: string;
  features: string;
  disposition: 'default' | 'foreground-tab' | 'background-tab' | 'new-window' | 'other';
}) => { action: 'deny' } | { action: 'allow' };

export class FakeWebContents extends EventEmitter {
  readonly mainFrame: FakeFrame;
  readonly sent: { channel: string; args: unknown[] }[] = [];
  readonly drags: unknown[] = [];
  windowOpenHandler: WindowOpenHandler | undefined;
  loaded: { file?: string; url?: string } = {};

  constructor(url = '') {
    super();
    this.mainFrame = new FakeFrame(url);
  }
  setWindowOpenHandler(handler: WindowOpenHandler): void {
    this.windowOpenHandler = handler;
  }
  send(channel: string, ...args: unknown[]): void {
    this.sent.push({ channel, args });
  }
  startDrag(item: unknown): void {
    this.drags.push(item);
  }
  loadFile(file: string): Promise<void> {
    this.loaded = { file };
    return Promise.resolve();
  }
  loadURL(url: string): Promise<void> {
    this.loaded = { url };
    return Promise.resolve();
  }
  /** Fires a navigation event the way Chromium would; returns whether it was refused. */
  navigate(name: 'will-navigate' | 'will-redirect' | 'will-frame-navigate', url: string, isMainFrame = true): boolean {
    const event = new NavigationEvent(url, isMainFrame);
    this.emit(name, event, url);
    return event.defaultPrevented;
  }
  /** Events sent over one channel, as [name, payload] pairs. */
  sentOn(channel: string): unknown[][] {
    return this.sent.filter((s) => s.channel === channel).map((s) => s.args);
  }
}

export interface Rectangle {
  x: number;
  y: number;
  width: number;
  height: number;
}

export class BrowserWindow extends EventEmitter {
  static all: BrowserWindow[] = [];
  static getAllWindows(): BrowserWindow[] {
    return BrowserWindow.all.filter((w) => !w.destroyed);
  }
  readonly webContents = new FakeWebContents();
  bounds: Rectangle;
  maximized = false;
  minimized = false;
  visible = false;
  focused = false;
  destroyed = false;
  readonly calls: string[] = [];

  constructor(readonly options: Record<string, unknown> & { webPreferences?: Record<string, unknown> } = {}) {
    super();
    this.bounds = {
      x: typeof options.x === 'number' ? options.x : 100,
      y: typeof options.y === 'number' ? options.y : 100,
      width: typeof options.width === 'number' ? options.width : 800,
      height: typeof options.height === 'number' ? options.height : 600,
    };
    BrowserWindow.all.push(this);
  }
  getBounds(): Rectangle {
    return { ...this.bounds };
  }
  getNormalBounds(): Rectangle {
    return { ...this.bounds };
  }
  setBounds(bounds: Partial<Rectangle>): void {
    this.bounds = { ...this.bounds, ...bounds };
  }
  isMaximized(): boolean {
    return this.maximized;
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  isFocused(): boolean {
    return this.focused;
  }
  isVisible(): boolean {
    return this.visible;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  maximize(): void {
    this.calls.push('maximize');
    this.maximized = true;
  }
  restore(): void {
    this.calls.push('restore');
    this.minimized = false;
  }
  show(): void {
    this.calls.push('show');
    this.visible = true;
  }
  focus(): void {
    this.calls.push('focus');
    this.focused = true;
  }
  close(): void {
    this.emit('close', new FakeEvent());
    this.destroyed = true;
    this.emit('closed');
  }
  setProgressBar(progress: number): void {
    this.calls.push(`progress:${progress}`);
  }
  loadFile(file: string): Promise<void> {
    return this.webContents.loadFile(file);
  }
  loadURL(url: string): Promise<void> {
    return this.webContents.loadURL(url);
  }
}

class FakeApp extends EventEmitter {
  name = 'Electron';
  version = '45.4.1';
  ready = false;
  hasLock = true;
  quitCalls = 0;
  exitCode: number | undefined;
  badgeCount = 0;
  paths: Record<string, string> = { userData: '/tmp/comfy-desk-fake-user-data' };
  private readyWaiters: (() => void)[] = [];

  whenReady(): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }
  isReady(): boolean {
    return this.ready;
  }
  /** Test helper: Electron became ready. */
  becomeReady(): void {
    this.ready = true;
    for (const resolve of this.readyWaiters.splice(0)) resolve();
    this.emit('ready');
  }
  setName(name: string): void {
    this.name = name;
  }
  getName(): string {
    return this.name;
  }
  getVersion(): string {
    return this.version;
  }
  getPath(name: string): string {
    const path = this.paths[name];
    if (!path) throw new Error(`Failed to get '${name}' path`);
    return path;
  }
  requestSingleInstanceLock(_additionalData?: Record<string, unknown>): boolean {
    return this.hasLock;
  }
  /** Electron emits before-quit, then will-quit; a listener's preventDefault stops the quit. */
  quit(): void {
    this.quitCalls += 1;
    const before = new FakeEvent();
    this.emit('before-quit', before);
    if (before.defaultPrevented) return;
    const will = new FakeEvent();
    this.emit('will-quit', will);
    if (!will.defaultPrevented) this.emit('quit', new FakeEvent(), 0);
  }
  exit(code = 0): void {
    this.exitCode = code;
  }
  setBadgeCount(count?: number): boolean {
    this.badgeCount = count ?? 0;
    return true;
  }
}

class FakeIpcMain extends EventEmitter {
  readonly handlers = new Map<string, (event: unknown, ...args: unknown[]) => unknown>();
  handle(channel: string, listener: (event: unknown, ...args: unknown[]) => unknown): void {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  /** Test helper: what ipcRenderer.invoke would get back, from a given sender and frame. */
  async invoke(
    channel: string,
    sender: { sender: FakeWebContents; senderFrame: FakeFrame | null },
    ...args: unknown[]
  ): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    return handler({ ...sender, processId: 1, frameId: 1 }, ...args);
  }
}

type ProtocolHandler = (request: Request) => Response | Promise<Response>;

class FakeProtocol {
  privileged: { scheme: string; privileges?: Record<string, boolean> }[] = [];
  readonly handlers = new Map<string, ProtocolHandler>();
  registeredBeforeReady = true;
  registerSchemesAsPrivileged(schemes: { scheme: string; privileges?: Record<string, boolean> }[]): void {
    // Electron only accepts this before the app is ready.
    if (app.ready) this.registeredBeforeReady = false;
    this.privileged.push(...schemes);
  }
  handle(scheme: string, handler: ProtocolHandler): void {
    if (!app.ready) throw new Error('protocol.handle must be called after the app is ready');
    this.handlers.set(scheme, handler);
  }
  /** Test helper: a request as the renderer would make it. */
  fetch(url: string, init?: RequestInit): Promise<Response> {
    const scheme = url.slice(0, url.indexOf(':'));
    const handler = this.handlers.get(scheme);
    if (!handler) throw new Error(`No handler for ${scheme}`);
    return Promise.resolve(handler(new Request(url, init)));
  }
}

type HeadersListener = (
  details: { url: string; responseHeaders?: Record<string, string[]> },
  callback: (response: { responseHeaders?: Record<string, string[] | string> }) => void,
) => void;
type PermissionRequestHandler = (
  webContents: FakeWebContents,
  permission: string,
  callback: (granted: boolean) => void,
  details: { requestingUrl: string },
) => void;
type PermissionCheckHandler = (
  webContents: FakeWebContents | null,
  permission: string,
  requestingOrigin: string,
  details: Record<string, unknown>,
) => boolean;

class FakeSession {
  headersListener: HeadersListener | undefined;
  permissionRequest: PermissionRequestHandler | null = null;
  permissionCheck: PermissionCheckHandler | null = null;
  readonly webRequest = {
    onHeadersReceived: (listener: HeadersListener): void => {
      this.headersListener = listener;
    },
  };
  setPermissionRequestHandler(handler: PermissionRequestHandler | null): void {
    this.permissionRequest = handler;
  }
  setPermissionCheckHandler(handler: PermissionCheckHandler | null): void {
    this.permissionCheck = handler;
  }
}

export const shell = {
  opened: [] as string[],
  shown: [] as string[],
  openedPaths: [] as string[],
  openExternal(url: string): Promise<void> {
    shell.opened.push(url);
    return Promise.resolve();
  },
  showItemInFolder(fullPath: string): void {
    shell.shown.push(fullPath);
  },
  openPath(path: string): Promise<string> {
    shell.openedPaths.push(path);
    return Promise.resolve('');
  },
};

export class Notification extends EventEmitter {
  static supported = true;
  static shown: Notification[] = [];
  static isSupported(): boolean {
    return Notification.supported;
  }
  constructor(readonly options: { title?: string; body?: string; icon?: unknown; silent?: boolean } = {}) {
    super();
  }
  show(): void {
    Notification.shown.push(this);
  }
  close(): void {}
}

export const dialog = {
  calls: [] as { method: string; options: unknown }[],
  answer: { canceled: true, filePaths: [] as string[], filePath: '' },
  showOpenDialog(_window: unknown, options: unknown): Promise<{ canceled: boolean; filePaths: string[] }> {
    dialog.calls.push({ method: 'showOpenDialog', options });
    return Promise.resolve({ canceled: dialog.answer.canceled, filePaths: dialog.answer.filePaths });
  },
  showSaveDialog(_window: unknown, options: unknown): Promise<{ canceled: boolean; filePath: string }> {
    dialog.calls.push({ method: 'showSaveDialog', options });
    return Promise.resolve({ canceled: dialog.answer.canceled, filePath: dialog.answer.filePath });
  },
  showErrorBox(title: string, content: string): void {
    dialog.calls.push({ method: 'showErrorBox', options: { title, content } });
  },
};

export const clipboard = {
  images: [] as unknown[],
  text: '',
  writeImage(image: unknown): void {
    clipboard.images.push(image);
  },
  writeText(text: string): void {
    clipboard.text = text;
  },
};

export class NativeImage {
  constructor(readonly source: string) {}
  isEmpty(): boolean {
    return this.source === '';
  }
  resize(_options: { width?: number; height?: number }): NativeImage {
    return this;
  }
}

export const nativeImage = {
  createFromPath(path: string): NativeImage {
    return new NativeImage(path);
  },
  createEmpty(): NativeImage {
    return new NativeImage('');
  },
};

export interface MenuItemOptions {
  label?: string;
  role?: string;
  type?: string;
  accelerator?: string;
  submenu?: MenuItemOptions[];
  click?: (menuItem: unknown, window: BrowserWindow | undefined, event: unknown) => void;
  id?: string;
}

export class MenuItem {
  constructor(readonly options: MenuItemOptions) {}
}

export class Menu {
  static application: Menu | null = null;
  constructor(readonly template: MenuItemOptions[]) {}
  static buildFromTemplate(template: MenuItemOptions[]): Menu {
    return new Menu(template);
  }
  static setApplicationMenu(menu: Menu | null): void {
    Menu.application = menu;
  }
  static getApplicationMenu(): Menu | null {
    return Menu.application;
  }
}

export const screen = {
  displays: [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] as { workArea: Rectangle }[],
  getAllDisplays(): { workArea: Rectangle }[] {
    if (!app.ready) throw new Error("The 'screen' module can't be used before the app 'ready' event");
    return screen.displays;
  },
};

export const contextBridge = {
  exposed: {} as Record<string, unknown>,
  exposeInMainWorld(key: string, api: unknown): void {
    contextBridge.exposed[key] = api;
  },
};

export let app = new FakeApp();
export let ipcMain = new FakeIpcMain();
export let protocol = new FakeProtocol();
export const session = { defaultSession: new FakeSession() };

/** A fresh Electron for each test: the fake keeps state in module singletons, as Electron does. */
export function resetElectron(): void {
  app = new FakeApp();
  ipcMain = new FakeIpcMain();
  protocol = new FakeProtocol();
  session.defaultSession = new FakeSession();
  BrowserWindow.all = [];
  Notification.shown = [];
  Notification.supported = true;
  shell.opened = [];
  shell.shown = [];
  shell.openedPaths = [];
  dialog.calls = [];
  clipboard.images = [];
  Menu.application = null;
  screen.displays = [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }];
}

export type { FakeApp, FakeIpcMain, FakeProtocol, FakeSession };
