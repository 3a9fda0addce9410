// The desktop window's security settings (Electron's security checklist), apart from index.ts so tests need no Electron binary.
import type { BrowserWindowConstructorOptions, Session, WebContents } from 'electron';

export { CONTENT_SECURITY_POLICY } from '../../core/api/contract';

export function windowOptions(preload: string): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 860,
    title: 'AlexNet Workbench',
    // Shown on 'ready-to-show', so the window never flashes empty.
    show: false,
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
    },
  };
}

/** True when `url` is the app's own page: same origin, and for file:// the same file. Everything else is refused. */
export function isAppUrl(url: string, appUrl: string): boolean {
  try {
    const page = new URL(url);
    const app = new URL(appUrl);
    return page.origin === app.origin && (app.protocol !== 'file:' || page.pathname === app.pathname);
  } catch {
    return false;
  }
}

/**
 * The hidden compute window: it runs the engine (core/compute) on Chromium's own WebGPU, which only a window has.
 * Its preload needs Node (the engine reads datasets and writes checkpoints), so it is not sandboxed; it loads no
 * content but an empty page of the app's own scheme, shows nothing, and takes no navigation or new window. Timers and
 * rendering must not be throttled while it is hidden, or training would crawl.
 */
export function computeWindowOptions(preload: string): BrowserWindowConstructorOptions {
  return {
    show: false,
    width: 320,
    height: 240,
    title: 'AlexNet Workbench compute',
    webPreferences: {
      preload,
      sandbox: false,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      backgroundThrottling: false,
      spellcheck: false,
    },
  };
}

/** What guardContents needs of a WebContents (a test hands it a stand-in). */
export type GuardedContents = Pick<WebContents, 'on' | 'setWindowOpenHandler'>;

/**
 * Electron's checklist for every web contents the app creates: navigation and redirects only to its own pages
 * (`allowed`), no new windows, no <webview>.
 */
export function guardContents(contents: GuardedContents, allowed: (url: string) => boolean): void {
  const stayHome = (event: { preventDefault(): void }, url: string) => {
    if (!allowed(url)) event.preventDefault();
  };
  contents.on('will-navigate', stayHome);
  contents.on('will-redirect', stayHome);
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/** No page gets a permission (camera, notifications, ...): the app needs none. */
export function denyPermissions(session: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler'>): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}
