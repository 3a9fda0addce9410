// Checks the window's security options, the content security policy and the app-page check, without starting Electron.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, isAppUrl, windowOptions } from './window-options';

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
