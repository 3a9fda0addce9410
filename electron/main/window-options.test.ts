// Checks the window's security options and the sender check without starting Electron.
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, isTrustedSender, windowOptions } from './window-options';

describe('desktop window security', () => {
  it('isolates the renderer: context isolation, sandbox, no Node, no webview', () => {
    const prefs = windowOptions('/app/preload.js').webPreferences!;
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, nodeIntegrationInWorker: false, webviewTag: false, webSecurity: true });
  });

  it('has a strict content security policy', () => {
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'self'");
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-eval');
  });

  it('trusts only the app page as a sender', () => {
    expect(isTrustedSender('file:///app/out/renderer/index.html', 'file:///app/out/renderer/index.html')).toBe(true);
    expect(isTrustedSender('file:///etc/evil.html', 'file:///app/out/renderer/index.html')).toBe(false);
    expect(isTrustedSender('https://example.com/', 'http://localhost:5173/')).toBe(false);
    expect(isTrustedSender('not a url', 'http://localhost:5173/')).toBe(false);
  });
});
