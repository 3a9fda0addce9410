// Checks the window's security options, the content security policy and the app-page check, without starting Electron.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { computeWindowOptions, CONTENT_SECURITY_POLICY, denyPermissions, guardContents, isAppUrl, windowOptions, type GuardedContents } from './window-options';
import { tally } from '../../e2e/faults/report';

// Each check here is a case of the fault suite's 'safe by default' part (npm run test:faults).
afterEach(() => tally('safe-by-default', { cases: 1 }));

/** Splits a policy into its directives: { 'script-src': ["'self'"], ... }. */
function directives(policy: string): Record<string, string[]> {
  return Object.fromEntries(
    policy
      .split(';')
      .map((directive) => directive.trim().split(/\s+/))
      .filter((words) => words[0])
      .map(([name, ...sources]) => [name!, sources]),
  );
}

describe('desktop window security', () => {
  it('isolates the page: context isolation, sandbox, no Node, no webview, the given preload', () => {
    const options = windowOptions('/app/out/preload/index.cjs');
    expect(options.webPreferences).toEqual({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
    });
    expect(options.show).toBe(false);
  });

  it('has a strict content security policy: own scripts only, no eval, no inline scripts', () => {
    expect(directives(CONTENT_SECURITY_POLICY)).toEqual({
      'default-src': ["'self'"],
      'script-src': ["'self'"],
      'style-src': ["'self'", "'unsafe-inline'"],
      'img-src': ["'self'", 'data:', 'blob:'],
      'connect-src': ["'self'"],
    });
  });

  it('puts the same policy in the page, where it applies to the packaged file:// app', () => {
    const html = fs.readFileSync(path.join(import.meta.dirname, '../../renderer/index.html'), 'utf8');
    const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/.exec(html);
    expect(meta?.[1]).toBe(CONTENT_SECURITY_POLICY);
  });

  it('takes only the app page for the app: same origin, and for file:// the same file', () => {
    const packaged = 'file:///opt/AlexNet%20Workbench/resources/app.asar/out/renderer/index.html';
    expect(isAppUrl(packaged, packaged)).toBe(true);
    expect(isAppUrl(`${packaged}#/runs`, packaged)).toBe(true);
    expect(isAppUrl('file:///home/me/Downloads/evil.html', packaged)).toBe(false);
    expect(isAppUrl('http://localhost:5173/settings', 'http://localhost:5173/')).toBe(true);
    expect(isAppUrl('http://localhost:5174/', 'http://localhost:5173/')).toBe(false);
    expect(isAppUrl('https://example.com/', 'http://localhost:5173/')).toBe(false);
    expect(isAppUrl('not a url', 'http://localhost:5173/')).toBe(false);
  });
});

describe('the hidden compute window', () => {
  it('shows nothing, is never throttled, and has Node only in its preload (no Node in the page, isolated context)', () => {
    const options = computeWindowOptions('/app/out/preload/compute.cjs');
    expect(options.show).toBe(false);
    expect(options.webPreferences).toMatchObject({
      preload: '/app/out/preload/compute.cjs',
      sandbox: false,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webviewTag: false,
      webSecurity: true,
      backgroundThrottling: false,
    });
  });
});

describe('every web contents', () => {
  /** A stand-in that records what guardContents registers (the real WebContents needs the Electron binary). */
  function recordingContents() {
    const listeners = new Map<string, (event: { preventDefault(): void }, url?: string) => void>();
    let openHandler: (() => { action: string }) | undefined;
    const contents = {
      on: (name: string, listener: (event: { preventDefault(): void }, url?: string) => void) => {
        listeners.set(name, listener);
        return contents;
      },
      setWindowOpenHandler: (handler: () => { action: string }) => {
        openHandler = handler;
      },
    };
    /** Fires an event; true when the listener prevented it. */
    const fire = (name: string, url?: string) => {
      let prevented = false;
      listeners.get(name)!({ preventDefault: () => (prevented = true) }, url);
      return prevented;
    };
    return { contents: contents as unknown as GuardedContents, fire, opened: () => openHandler?.() };
  }

  it('navigates and redirects only to the app, opens no window and attaches no webview', () => {
    const app = 'file:///opt/workbench/out/renderer/index.html';
    const { contents, fire, opened } = recordingContents();
    guardContents(contents, (url) => isAppUrl(url, app));
    expect(fire('will-navigate', `${app}#/runs`)).toBe(false);
    expect(fire('will-navigate', 'https://example.com/')).toBe(true);
    expect(fire('will-redirect', 'file:///etc/passwd')).toBe(true);
    expect(fire('will-attach-webview')).toBe(true);
    expect(opened()).toEqual({ action: 'deny' });
  });

  it('are refused every permission', () => {
    let request: ((contents: unknown, permission: string, callback: (granted: boolean) => void) => void) | undefined;
    let check: (() => boolean) | undefined;
    denyPermissions({
      setPermissionRequestHandler: (handler) => void (request = handler as typeof request),
      setPermissionCheckHandler: (handler) => void (check = handler as typeof check),
    });
    const answers: boolean[] = [];
    for (const permission of ['media', 'notifications', 'geolocation', 'clipboard-read']) request!(null, permission, (granted) => answers.push(granted));
    expect(answers).toEqual([false, false, false, false]);
    expect(check!()).toBe(false);
  });
});
