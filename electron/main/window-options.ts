// The desktop window's security settings (Electron's security checklist), apart from index.ts so tests need no Electron binary.
import type { BrowserWindowConstructorOptions } from 'electron';

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
