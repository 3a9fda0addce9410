// The engine's compute path in a browser page (as in the desktop app's compute window): a few training steps and a
// feature extraction of the quick model on Chromium's own WebGPU (SwiftShader here) and on the CPU engine
// (WebAssembly SIMD in the page), checked against the same steps with the same code in Node on the CPU backend.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { build } from 'vite';
import { beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, launchChromium } from './chromium';
import { runScenario, STEPS, type ScenarioResult } from './browser-engine/scenario';

const missing = chromiumMissing();
const require = createRequire(import.meta.url);
const pageSource = path.join(import.meta.dirname, 'browser-engine');

/** Serves a folder's files on loopback (a secure context, which WebGPU needs). */
async function serve(dir: string): Promise<{ url: string; close(): void }> {
  const server = http.createServer((request, response) => {
    const file = path.join(dir, request.url === '/' ? 'index.html' : path.normalize(request.url ?? '/'));
    if (!file.startsWith(dir) || !fs.existsSync(file)) return void response.writeHead(404).end();
    const type = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.wasm') ? 'application/wasm' : 'text/html';
    response.writeHead(200, { 'content-type': type }).end(fs.readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => server.close() };
}

/** The largest difference between two arrays, relative to the largest magnitude in `reference`. */
function relativeDifference(actual: readonly number[], reference: readonly number[]): number {
  expect(actual).toHaveLength(reference.length);
  const scale = Math.max(...reference.map(Math.abs), 1e-12);
  return Math.max(...actual.map((a, i) => Math.abs(a - reference[i]!))) / scale;
}

describe.skipIf(missing !== null)(`the engine on a browser page's WebGPU${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let page: ScenarioResult;
  let pageWasm: ScenarioResult;
  let node: ScenarioResult;

  beforeAll(async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'alexnet-engine-page-'));
    // The page bundles the engine's own modules; `webgpu` (Dawn for Node) is never loaded where navigator.gpu exists.
    await build({ root: pageSource, base: './', logLevel: 'error', build: { outDir: out, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 4096, rollupOptions: { external: ['webgpu'] } } });
    // TensorFlow.js' wasm backend fetches its binary beside the page.
    const wasmDist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
    for (const file of fs.readdirSync(wasmDist).filter((f) => f.endsWith('.wasm'))) fs.copyFileSync(path.join(wasmDist, file), path.join(out, file));
    const site = await serve(out);
    const browser = await launchChromium(['--enable-unsafe-webgpu']);
    try {
      const tab = await browser.newPage();
      const errors: string[] = [];
      tab.on('pageerror', (error) => errors.push(error.message));
      await tab.goto(site.url);
      ({ webgpu: page, wasm: pageWasm } = await tab.evaluate(() => (globalThis as unknown as { scenario: Promise<{ webgpu: ScenarioResult; wasm: ScenarioResult }> }).scenario));
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      site.close();
    }
    node = await runScenario('cpu');
  });

  it("runs on the page's own WebGPU adapter", () => {
    expect(page.backend).toBe('webgpu');
    expect(page.device).toMatch(/swiftshader|google|nvidia|amd|intel|apple/i);
    expect(node.backend).toBe('cpu');
  });

  it('gives the same losses as Node on the CPU, step by step', () => {
    expect(page.losses).toHaveLength(STEPS);
    // float32 on both sides, summed in different orders: agreement to 1e-4 of the loss after three updates.
    for (let i = 0; i < STEPS; i++) expect(Math.abs(page.losses[i]! - node.losses[i]!)).toBeLessThan(1e-4 * Math.max(1, node.losses[i]!));
    // The updates happened: the loss moved between steps.
    expect(new Set(node.losses.map((l) => l.toFixed(4))).size).toBe(STEPS);
  });

  it('updates the weights alike and extracts the same fc7 features', () => {
    expect(relativeDifference(page.conv1, node.conv1)).toBeLessThan(1e-4);
    expect(node.features.some((f) => f > 0)).toBe(true);
    expect(relativeDifference(page.features, node.features)).toBeLessThan(1e-3);
  });

  it('keeps the number of live tensors flat from step to step on both', () => {
    for (const result of [page, pageWasm, node]) expect(new Set(result.tensors).size).toBe(1);
  });

  it("runs the CPU engine in the page (on one thread: the page is not cross-origin isolated) with Node's results", () => {
    expect(pageWasm.backend).toBe('wasm');
    expect(pageWasm.device).toBe('CPU (WebAssembly SIMD, 1 thread)');
    for (let i = 0; i < STEPS; i++) expect(Math.abs(pageWasm.losses[i]! - node.losses[i]!)).toBeLessThan(1e-4 * Math.max(1, node.losses[i]!));
    expect(relativeDifference(pageWasm.conv1, node.conv1)).toBeLessThan(1e-4);
    expect(relativeDifference(pageWasm.features, node.features)).toBeLessThan(1e-3);
  });
});
