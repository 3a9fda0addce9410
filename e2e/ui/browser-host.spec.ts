// The workbench UI in Debian's Chromium against `alexnet serve` (the browser host), on real photos.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { CHROMIUM, chromiumMissing, launchChromium } from '../chromium';
import { journeyFolders } from './folders';
import { userJourney } from './journey';

const root = path.resolve(import.meta.dirname, '..', '..');
const shots = path.join(root, 'test-results', 'ui', 'browser');

/** Starts `alexnet serve` on a free port; resolves with its URL (token included) once it listens. */
function serve(home: string, allow: string): Promise<{ url: string; host: ChildProcess }> {
  const host = spawn(process.execPath, ['bin/alexnet.js', '--home', home, '--backend', 'wasm', '--json', 'serve', '--port', '0', '--no-demo', '--allow', allow], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    host.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ url: (JSON.parse(line) as { url: string }).url, host });
    });
    host.on('exit', (code) => reject(new Error(`alexnet serve ended with code ${code} before it listened: ${out}`)));
  });
}

test.skip(chromiumMissing() !== null, chromiumMissing() ?? '');

test('the whole journey in the browser UI, on the browser host', async () => {
  expect(fs.existsSync(CHROMIUM)).toBe(true);
  const folders = journeyFolders();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'alexnet-ui-home-'));
  const { url, host } = await serve(home, folders.root);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(url);
    await userJourney(page, folders, shots);
    // A page with a token of an earlier start is told so, and does not keep knocking.
    await page.goto(url.replace(/token=[0-9a-f]+/, `token=${'f'.repeat(64)}`));
    await page.reload();
    await expect(page.getByTestId('token-refused')).toContainText('refused this page', { timeout: 30_000 });
  } finally {
    await browser.close();
    host.kill('SIGTERM');
  }
});
