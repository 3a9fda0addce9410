// The desktop window's security settings (Electron's security checklist), apart from index.ts so tests need no Electron binary.
import type { BrowserWindowConstructorOptions } from 'electron';

/**
 * The page may load only the app's own scripts and reach only its own origin. Sent as a header by the dev server's
 * responses (index.ts) and as a meta tag in renderer/index.html, which is what applies to the packaged file:// page.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'";

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
