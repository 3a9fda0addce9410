// The GPU machine's benchmark as it travels (bench/gpu/prepare.sh): the engine bundled into one file with only
// Dawn's addon beside it, run from a folder outside the repository, on this machine's software WebGPU. It refuses a
// software adapter unless told, and measures and profiles the quick model when told.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONV_BIAS_RELU_KERNEL } from '../core/gpu/conv';
import { webGpuUnderTest } from '../core/gpu/webgpu-under-test';

const ROOT = path.resolve(import.meta.dirname, '..');
const webGpuMissing = webGpuUnderTest();
let folder: string;

beforeAll(() => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'alexnet-gpu-bench-'));
  const bundled = spawnSync(process.execPath, [path.join(ROOT, 'bench', 'gpu', 'bundle.mjs'), folder], { encoding: 'utf8', timeout: 120_000 });
  expect(bundled.status, bundled.stderr).toBe(0);
}, 150_000);

afterAll(() => {
  fs.rmSync(folder, { recursive: true, force: true });
});

const engine = (...args: string[]) => spawnSync(process.execPath, [path.join(folder, 'engine.mjs'), ...args], { cwd: folder, encoding: 'utf8', timeout: 300_000 });

describe('the bundled GPU benchmark', () => {
  it('holds nothing of the repository but the bundle and the webgpu addon', () => {
    expect(fs.readdirSync(folder).sort()).toEqual(['engine.mjs', 'node_modules']);
    expect(fs.readdirSync(path.join(folder, 'node_modules'))).toEqual(['webgpu']);
    expect(fs.readdirSync(path.join(folder, 'node_modules', 'webgpu', 'dist'))).toEqual(['linux-x64']);
  });

  it('refuses a software adapter unless told, and then measures and profiles the quick model', (context) => {
    const missing = webGpuMissing();
    if (missing) return context.skip(`no WebGPU here: ${missing}`);
    const refused = engine('--preset', 'quick', '--batch', '2', '--steps', '1', '--warmup', '0');
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/WebGPU is on a software renderer \(.*\), not a GPU: its speed means nothing \(--allow-software runs anyway\)\./);

    const r = engine('--preset', 'quick', '--batch', '2', '--steps', '1', '--warmup', '0', '--allow-software');
    expect(r.status, r.stderr).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    const result = JSON.parse(line!.slice('RESULT '.length)) as { preset: string; batch: number; train_img_s: number; fwd_img_s: number; gpu_allocated_mb: number; kernels: { name: string; calls: number; ms: number }[] };
    expect([result.preset, result.batch]).toEqual(['quick', 2]);
    expect(result.train_img_s).toBeGreaterThan(0);
    expect(result.fwd_img_s).toBeGreaterThan(0);
    expect(result.gpu_allocated_mb).toBeGreaterThan(0);
    expect(result.kernels.find((k) => k.name === CONV_BIAS_RELU_KERNEL)?.calls).toBe(9);
    expect(r.stderr).toMatch(/^profile: total /m);
  });
});
