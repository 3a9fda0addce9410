// The desktop window's security settings (Electron's security checklist), kept apart so tests need no Electron binary.
import type { BrowserWindowConstructorOptions } from 'electron';

export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

export function windowOptions(preload: string): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 860,
    title: 'AlexNet Workbench',
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

/** Only the app's own pages may call the API. */
export function isTrustedSender(url: string, appUrl: string): boolean {
  try {
    const sender = new URL(url);
    const app = new URL(appUrl);
    return sender.origin === app.origin && (app.protocol !== 'file:' || sender.pathname === app.pathname);
  } catch {
    return false;
  }
}
