// `alexnet reproduce` end to end on real photos (the quick preset, one epoch: a smoke test of the machinery, not a
// reproduction): every variant trained with its switch, both crop modes evaluated, and Figures 3 and 4 checked
// against independent computations from the runs' own files (float64 brute force, the checkpoints' weights).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'vite';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../core/backend/backend';
import { CACHE_IMAGE_SIZE } from '../core/dataset/types';
import { readFeatureStore } from '../core/inspect/feature-store';
import { kernelScores, type KernelShape } from '../core/inspect/kernels';
import { AlexNet } from '../core/model/alexnet';
import { quickConfig } from '../core/model/config';
import { nearestNeighbours } from '../core/inspect/neighbours';
import type { ReferenceResult } from '../core/reproduce/cross-check';
import { PIXEL_SIDE, type Reproduction } from '../core/reproduce/reproduce';
import { RunLog } from '../core/runlog/run-log';
import { downscale } from '../core/model/input';
import { readCheckpoint } from '../core/train/checkpoint';
import { datasetPixels, features, featuresFile } from '../core/compute/lookup';
import { loadRun } from '../core/workbench/run-files';
import { newestReadableCheckpoint } from '../core/workbench/training';
import { openWorkspace, runDirectory } from '../core/workspace';
import { rendererConfig } from '../renderer.vite.config';
import { startBrowserHost } from '../server/browser-host';
import { chromiumMissing, launchChromium } from './chromium';
import { serviceWithoutCompute, smallDataset, tempHome } from './fixtures';

const BIN = path.resolve(import.meta.dirname, '..', 'bin', 'alexnet.js');
let home: string;
let folder: string;
let result: Reproduction;
let files: { markdown: string; html: string };
let starts: Record<string, unknown>[];

beforeAll(async () => {
  await selectBackend('cpu');
  home = tempHome();
  folder = smallDataset(3, 4, 2);
  const run = spawnSync(process.execPath, [BIN, '--home', home, '--backend', 'wasm', '--json', 'reproduce', folder, '--preset', 'quick', '--epochs', '1', '--batch-size', '4', '--seeds', '2'], { encoding: 'utf8', timeout: 600_000 });
  expect(run.status, run.stderr).toBe(0);
  const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  starts = lines.filter((l) => l.type === 'reproduce-run');
  const out = lines.at(-1) as unknown as { markdown: string; html: string; result: Reproduction };
  ({ result } = out);
  files = { markdown: out.markdown, html: out.html };
});

describe('alexnet reproduce', () => {
  it('says each run as it starts, as JSON lines with --json', () => {
    expect(starts.map((s) => [s.run, s.of, s.variant, s.seed, s.how])).toEqual(result.variants.flatMap((v) => v.runs.map((r) => [0, 7, v.variant.id, r.seed, 'new'])).map((row, i) => [i + 1, ...row.slice(1)]));
    expect(starts.map((s) => s.runId)).toEqual(result.variants.flatMap((v) => v.runs.map((r) => r.runId)));
  });

  it('trains the full model under each seed and every ablation under the first, with its switch on', () => {
    expect(result.variants.map((v) => [v.variant.id, v.runs.map((r) => r.seed)])).toEqual([
      ['full', [0, 1]],
      ['one-tower', [0]],
      ['no-lrn', [0]],
      ['non-overlapping-pooling', [0]],
      ['no-dropout', [0]],
      ['no-pca-noise', [0]],
    ]);
    const log = RunLog.open(path.join(home, 'runlog.sqlite'), { readonly: true });
    try {
      const config = (id: string) => log.getRun(result.variants.find((v) => v.variant.id === id)!.runs[0]!.runId)!.config as { model: { towers: number; lrn: boolean; overlappingPooling: boolean; dropout: boolean }; recipe: { pcaNoise: boolean; epochs: number } };
      expect(config('full').model).toMatchObject({ towers: 2, lrn: true, overlappingPooling: true, dropout: true });
      expect(config('one-tower').model.towers).toBe(1);
      expect(config('no-lrn').model.lrn).toBe(false);
      expect(config('non-overlapping-pooling').model.overlappingPooling).toBe(false);
      expect(config('no-dropout').model.dropout).toBe(false);
      expect(config('no-pca-noise').recipe.pcaNoise).toBe(false);
      // Each run's figures are its evaluations in the run log, whose confusion matrices give the same top-1.
      for (const { runs } of result.variants) {
        for (const r of runs) {
          const evaluations = log.evaluations(r.runId);
          for (const crops of ['centre', 'ten'] as const) {
            const row = evaluations.find((e) => e.crops === crops)!;
            const correct = row.confusion.reduce((s, line, i) => s + line[i]!, 0);
            const count = row.confusion.flat().reduce((a, b) => a + b, 0);
            expect(r.crops[crops].top1).toBeCloseTo(1 - correct / count, 12);
            expect(r.crops[crops].top5).toBe(0); // 3 classes: the true class is always among the top five
          }
        }
      }
    } finally {
      log.close();
    }
  });

  it("measures Figure 3 from each full run's conv1, as its checkpoint holds it", () => {
    const log = RunLog.open(path.join(home, 'runlog.sqlite'), { readonly: true });
    try {
      for (const t of result.towers) {
        expect(t.history.epochs).toEqual([1]);
        const weights = readCheckpoint(newestReadableCheckpoint(log, t.runId)!).weights;
        ['a', 'b'].forEach((tower, i) => {
          const w = weights.get(`conv1/${tower}/kernel`)!;
          const scores = kernelScores(w, [11, 11, 3, w.length / 363] as KernelShape);
          expect(t.history.towers[i]![0]).toBeCloseTo(scores.reduce((a, b) => a + b) / scores.length, 12);
          expect(t.colour!.towers[i]!.score).toBeCloseTo(t.history.towers[i]![0]!, 12);
        });
        // The baseline is where the trainer started: the quick model under small-data's He-normal, this run's seed.
        const start = AlexNet.create(quickConfig(3), 'he-normal', t.seed);
        try {
          ['a', 'b'].forEach((tower, i) => {
            const scores = kernelScores(start.parameter(`conv1/${tower}/kernel`).dataSync(), [11, 11, 3, 12]);
            expect(t.colour!.towers[i]!.initialScore).toBeCloseTo(scores.reduce((a, b) => a + b) / scores.length, 12);
          });
        } finally {
          start.dispose();
        }
        expect(t.colour!.split).toMatchObject({ permutations: 10_000, significant: t.colour!.specialised });
      }
    } finally {
      log.close();
    }
  });

  it('measures Figure 4 as a float64 brute force over the same images finds it', async () => {
    const workspace = openWorkspace(home);
    const log = RunLog.open(workspace.database, { readonly: true });
    const r = result.retrieval[0]!;
    const loaded = loadRun(log, r.runId);
    try {
      const train = loaded.dataset.entries('train');
      const test = loaded.dataset.entries('test');
      const store = readFeatureStore(featuresFile(runDirectory(workspace, r.runId)));
      const trainLabels = store.records.map((i) => train[i]!.label);
      const queries = new Float32Array(test.length * store.dimension);
      for (let i = 0; i < test.length; i++) queries.set(await features(loaded, datasetPixels(loaded, 'test', i)), i * store.dimension);
      const side = PIXEL_SIDE * PIXEL_SIDE * 3;
      const shrink = (pixels: Uint8Array) => downscale(pixels, CACHE_IMAGE_SIZE, CACHE_IMAGE_SIZE / PIXEL_SIDE);
      const trainPixels = new Float32Array(store.records.length * side);
      store.records.forEach((i, j) => trainPixels.set(shrink(datasetPixels(loaded, 'train', i)), j * side));
      const testPixels = new Float32Array(test.length * side);
      test.forEach((_, i) => testPixels.set(shrink(datasetPixels(loaded, 'test', i)), i * side));
      const precision = (found: { index: number }[][], k: number) => found.reduce((s, list, q) => s + list.slice(0, k).filter((n) => trainLabels[n.index] === test[q]!.label).length / k, 0) / found.length;
      const byFeatures = nearestNeighbours(queries, store.features, store.dimension, 5);
      const byPixels = nearestNeighbours(testPixels, trainPixels, side, 5);
      expect(r.ks).toEqual([1, 5]);
      r.ks.forEach((k, i) => {
        expect(r.fc7[i]).toBeCloseTo(precision(byFeatures, k), 10);
        expect(r.pixels[i]).toBeCloseTo(precision(byPixels, k), 10);
      });
      // The pixel distance to each way's 5 nearest, in float64 over the same 64x64 pixels.
      const distance = (q: number, t: number) => Math.sqrt(Array.from({ length: side }, (_, j) => (testPixels[q * side + j]! - trainPixels[t * side + j]!) ** 2).reduce((a, b) => a + b, 0));
      const mean = (found: { index: number }[][]) => found.reduce((s, list, q) => s + list.reduce((t, n) => t + distance(q, n.index), 0) / list.length, 0) / found.length;
      expect(r.pixelDistance!.k).toBe(5);
      expect(r.pixelDistance!.fc7 / mean(byFeatures)).toBeCloseTo(1, 9);
      expect(r.pixelDistance!.pixels / mean(byPixels)).toBeCloseTo(1, 9);
      // No 5 images are nearer in pixels than the 5 nearest by pixels.
      expect(r.pixelDistance!.pixels).toBeLessThanOrEqual(r.pixelDistance!.fc7);
      expect(fs.readFileSync(files.markdown, 'utf8')).toContain(`| ${r.seed} | ${r.pixelDistance!.fc7.toFixed(0)} | ${r.pixelDistance!.pixels.toFixed(0)} |`);
    } finally {
      loaded.dispose();
      log.close();
    }
  });

  it('lists the report for the app, which shows its page in a frame that runs nothing', async (context) => {
    const service = serviceWithoutCompute([], { home });
    try {
      const [summary] = await service.handlers['reports:list'](undefined);
      expect(summary).toMatchObject({ dataset: result.dataset.name, preset: 'quick', recipe: 'small-data', epochs: 1, seeds: [0, 1] });
      expect(summary!.runs).toHaveLength(7);
      expect(summary!.crossCheck).toBeNull();
      const report = await service.handlers['reports:get']({ reportId: summary!.id });
      expect(report.html).toBe(fs.readFileSync(files.html, 'utf8'));
      await expect(service.handlers['reports:get']({ reportId: 'no-such-report' })).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
      if (chromiumMissing()) return context.skip(chromiumMissing()!);
      // The page, built here, in Debian's Chromium against the browser host.
      const pageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'alexnet-page-'));
      await build({ ...rendererConfig, logLevel: 'error', build: { ...rendererConfig.build, outDir: pageDir } });
      const host = await startBrowserHost({ service, pageDir, port: 0 });
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        await page.goto(host.url.replace('/#token', '/#/runs&token'));
        await page.getByTestId('report-open').first().click();
        const frame = page.frameLocator('[data-testid="report-frame"]');
        await frame.getByText('Error by variant (test split, percent)').waitFor({ timeout: 30_000 });
        expect(await frame.locator('img[alt^="conv1 kernels of tower"]').count()).toBe(2);
        expect(await page.getByTestId('report-frame').getAttribute('sandbox')).toBe('');
        fs.mkdirSync(path.join(import.meta.dirname, '..', 'test-results', 'ui'), { recursive: true });
        await page.screenshot({ path: path.join(import.meta.dirname, '..', 'test-results', 'ui', 'reproduction-report.png'), fullPage: true });
      } finally {
        await browser.close();
        await host.close();
      }
    } finally {
      await service.close();
    }
  });

  it('writes a Markdown summary and a self-contained HTML report', () => {
    const markdown = fs.readFileSync(files.markdown, 'utf8');
    for (const v of result.variants) expect(markdown).toContain(`| ${v.variant.label} | ${v.variant.section} |`);
    expect(markdown).toContain("NOT the paper's model");
    expect(markdown).toContain('LRN lowers top-1 by 1.4 and top-5 by 1.2 points');
    expect(markdown).toMatch(/Random neighbours would score 0\.333/);
    expect(markdown).toContain('about 2/3 for random kernels');
    for (const t of result.towers) {
      const row = markdown.split('\n').find((l) => l.startsWith(`| ${t.seed} | ${t.colour!.towers[0]!.score.toFixed(3)} (`) && l.endsWith(` | ${t.colour!.verdict} |`));
      expect(row, `Figure 3's row for seed ${t.seed}`).toMatch(/ \| 0\.669 ± 0\.020 \| [+-]0\.\d{3} \| /);
    }
    const html = fs.readFileSync(files.html, 'utf8');
    expect(html).toContain("default-src 'none'");
    expect(html.match(/alt="conv1 kernels of tower [ab]"/g)).toHaveLength(2);
    expect(html.match(/class="example"/g)?.length).toBe(3); // one query per class
    expect(html).not.toMatch(/<script|src="http/);
  });
});

describe('alexnet reproduce after a crash', () => {
  it('reuses the runs an earlier reproduction completed, resumes the one it left, and trains the rest', () => {
    const crashHome = tempHome();
    const args = ['--home', crashHome, '--backend', 'wasm', 'reproduce', folder, '--preset', 'quick', '--epochs', '1', '--batch-size', '4', '--seeds', '2'];
    // Killed for real right after the second run wrote its (only) checkpoint, before that run was marked completed.
    const crashed = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 600_000, env: { ...process.env, ALEXNET_FAULT: 'checkpoint:renamed:2' } });
    expect(crashed.signal).toBe('SIGKILL');
    const before = RunLog.open(path.join(crashHome, 'runlog.sqlite'), { readonly: true });
    const left = before.listRuns().sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    before.close();
    expect(left.map((r) => r.status)).toEqual(['completed', 'running']); // 'running' in a dead process: interrupted
    const again = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 600_000 });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain(`run 1 of 7: The paper's network, seed 0: run ${left[0]!.id} (completed by an earlier reproduction with the same settings: reused)`);
    expect(again.stdout).toContain(`run 2 of 7: The paper's network, seed 1: run ${left[1]!.id} (left by an earlier reproduction: resumed from its last checkpoint)`);
    const reportFile = /report: (\S+report\.md) and/.exec(again.stdout)![1]!;
    const second = JSON.parse(fs.readFileSync(path.join(path.dirname(reportFile), 'result.json'), 'utf8')) as Reproduction;
    expect(second.variants[0]!.runs.map((r) => r.runId)).toEqual([left[0]!.id, left[1]!.id]);
    const log = RunLog.open(path.join(crashHome, 'runlog.sqlite'), { readonly: true });
    try {
      const runs = log.listRuns();
      expect(runs).toHaveLength(7); // nothing trained twice
      expect(runs.every((r) => r.status === 'completed')).toBe(true);
    } finally {
      log.close();
    }
    // --fresh trains anew even so; --ablations picks which ablations train besides the full model.
    const fresh = spawnSync(process.execPath, [BIN, ...args.slice(0, -1), '1', '--ablations', 'no-lrn', '--fresh'], { encoding: 'utf8', timeout: 600_000 });
    expect(fresh.status, fresh.stderr).toBe(0);
    expect(fresh.stdout).not.toContain('reused');
    expect(fresh.stdout).toContain('run 2 of 2: No local response normalisation, seed 0');
    const freshResult = JSON.parse(fs.readFileSync(path.join(path.dirname(/report: (\S+report\.md) and/.exec(fresh.stdout)![1]!), 'result.json'), 'utf8')) as Reproduction;
    expect(freshResult.variants.map((v) => v.variant.id)).toEqual(['full', 'no-lrn']);
    const after = RunLog.open(path.join(crashHome, 'runlog.sqlite'), { readonly: true });
    expect(after.listRuns()).toHaveLength(9);
    after.close();
  });
});

/** A Python that has PyTorch, torchvision and Pillow (Debian: apt-get install python3-torch python3-torchvision). */
function pythonWithTorch(): string | undefined {
  const candidates = [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => Boolean(c));
  return candidates.find((python) => spawnSync(python, ['-c', 'import torch, torchvision, PIL'], { encoding: 'utf8' }).status === 0);
}

const PYTHON = pythonWithTorch();
const REFERENCE_SCRIPT = path.resolve(import.meta.dirname, '..', 'bench', 'reference_train.py');
if (!PYTHON) console.warn('cross-check against PyTorch skipped: no python3 with torch and torchvision (apt-get install python3-torch python3-torchvision)');

describe.skipIf(!PYTHON)('alexnet cross-check against the PyTorch reference (bench/reference_train.py)', () => {
  let referenceFile: string;
  let reference: ReferenceResult;

  beforeAll(() => {
    referenceFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'alexnet-reference-')), 'reference.json');
    // The reference reads the pixels the workbench imported: <home>/datasets/<id>.
    const run = spawnSync(PYTHON!, [REFERENCE_SCRIPT, path.join(home, 'datasets', result.dataset.id), '--preset', 'quick', '--epochs', '1', '--batch-size', '4', '--seeds', '2', '--variants', 'all', '--threads', '1', '--out', referenceFile], { encoding: 'utf8', timeout: 300_000 });
    expect(run.status, run.stderr).toBe(0);
    reference = JSON.parse(fs.readFileSync(referenceFile, 'utf8')) as ReferenceResult;
  });

  it("trains the same variants and seeds on the workbench's own pixels", () => {
    expect(reference.dataset).toMatchObject({ pixels: 'workbench cache' });
    expect(reference.dataset.labels).toEqual(result.dataset.labels);
    expect(reference.dataset.train).toBe(result.dataset.train);
    expect(reference.dataset.test).toBe(result.dataset.test);
    expect([...reference.dataset.labels].sort()).toEqual([...result.dataset.labels].sort());
    expect(reference.runs.map((r) => [r.variant, r.seed])).toEqual(result.variants.flatMap((v) => v.runs.map((r) => [v.variant.id, r.seed])));
    for (const run of reference.runs) {
      for (const crops of [run.crops.centre, run.crops.ten]) {
        expect(crops.top5).toBeLessThanOrEqual(crops.top1);
        // 6 test images: errors come in sixths.
        expect(crops.top1 * result.dataset.test).toBeCloseTo(Math.round(crops.top1 * result.dataset.test), 6);
      }
    }
  });

  it('adds the comparison to the report, with figures that follow from both result files', () => {
    const reportDir = path.dirname(files.markdown);
    const run = spawnSync(process.execPath, [BIN, '--home', home, 'cross-check', reportDir, referenceFile], { encoding: 'utf8', timeout: 120_000 });
    // Seed i against seed i: both sides trained seeds 0 and 1, too few pairs for a verdict (exit 8).
    const theirs = new Map(reference.runs.filter((r) => r.variant === 'full').map((r) => [r.seed, r.crops.centre.top1]));
    const differences = result.variants[0]!.runs.map((r) => 100 * (r.crops.centre.top1 - theirs.get(r.seed)!));
    const difference = differences.reduce((a, b) => a + b, 0) / differences.length;
    expect(run.status, run.stderr).toBe(8);
    expect(run.stdout).toContain(`2 paired (seed i on both sides). Cannot tell: 2 paired seeds (seed i on both sides), a verdict needs at least 5; the mean difference is ${difference >= 0 ? '+' : ''}${difference.toFixed(1)} points`);
    const written = JSON.parse(fs.readFileSync(path.join(reportDir, 'result.json'), 'utf8')) as Reproduction;
    expect(written.crossCheck!.differencePoints).toBeCloseTo(difference, 9);
    expect(written.crossCheck!.variants.map((v) => v.id)).toEqual(['full', 'one-tower', 'no-lrn', 'non-overlapping-pooling', 'no-dropout', 'no-pca-noise']);
    const markdown = fs.readFileSync(files.markdown, 'utf8');
    expect(markdown).toContain('## Cross-check against an independent reference');
    expect(markdown).toContain(`Mean paired difference ${difference >= 0 ? '+' : ''}${difference.toFixed(1)} points`);
    expect(markdown).toContain('**Cannot tell: 2 paired seeds');
    for (const [i, r] of result.variants[0]!.runs.entries()) {
      expect(markdown).toContain(`| ${r.seed} | ${(100 * r.crops.centre.top1).toFixed(1)} | ${(100 * theirs.get(r.seed)!).toFixed(1)} | ${differences[i]! >= 0 ? '+' : ''}${differences[i]!.toFixed(1)} |`);
    }
    // The earlier sections are kept as they were.
    expect(markdown).toContain('## Figure 4: neighbours by fc7 against raw pixels');
    expect(fs.readFileSync(files.html, 'utf8')).toContain('<h2>Cross-check against an independent reference</h2>');
  });

  it("shows the verdict in the app's list of reports", async () => {
    const service = serviceWithoutCompute([], { home });
    try {
      const [summary] = await service.handlers['reports:list'](undefined);
      const written = JSON.parse(fs.readFileSync(path.join(path.dirname(files.markdown), 'result.json'), 'utf8')) as Reproduction;
      expect(summary!.crossCheck).toEqual({ reference: 'pytorch', differencePoints: written.crossCheck!.differencePoints, tolerancePoints: 2, verdict: 'cannot tell', pairs: 2 });
    } finally {
      await service.close();
    }
  });

  it('exits 0 within the tolerance, 7 outside it and 8 when five paired seeds cannot tell, saying which', () => {
    // A copy of the report whose full model has five seeds (the real runs' ids reused), against references whose
    // seed i sits a known distance from our seed i.
    const ours = [0.3, 0.34, 0.32, 0.36, 0.33];
    const source = JSON.parse(fs.readFileSync(path.join(path.dirname(files.markdown), 'result.json'), 'utf8')) as Reproduction;
    const realRuns = source.variants[0]!.runs;
    source.variants[0]!.runs = ours.map((top1, seed) => ({ ...realRuns[seed % realRuns.length]!, seed, crops: { centre: { top1, top5: 0 }, ten: { top1, top5: 0 } } }));
    delete source.crossCheck;
    const cases = [
      { name: 'within', shifts: [1, 1.2, 0.8, 1.1, 0.9], code: 0, says: 'Within the tolerance of 2 points: the mean paired difference over 5 seeds is +1.0 points' },
      { name: 'outside', shifts: [5, 5.2, 4.8, 5.1, 4.9], code: 7, says: 'Outside the tolerance of 2 points: the mean paired difference over 5 seeds is +5.0 points' },
      { name: 'unsure', shifts: [1, 4, -2, 3, -1], code: 8, says: 'Cannot tell: the mean paired difference over 5 seeds is +1.0 points' },
    ];
    for (const { name, shifts, code, says } of cases) {
      const reportDir = fs.mkdtempSync(path.join(os.tmpdir(), `alexnet-report-${name}-`));
      fs.writeFileSync(path.join(reportDir, 'result.json'), JSON.stringify(source));
      const shifted = { ...reference, runs: [...reference.runs.filter((r) => r.variant !== 'full'), ...ours.map((top1, seed) => ({ variant: 'full', seed, crops: { centre: { top1: top1 - shifts[seed]! / 100, top5: 0 }, ten: { top1, top5: 0 } } }))] };
      const file = path.join(reportDir, 'reference.json');
      fs.writeFileSync(file, JSON.stringify(shifted));
      const run = spawnSync(process.execPath, [BIN, '--home', home, 'cross-check', reportDir, file], { encoding: 'utf8', timeout: 120_000 });
      expect(run.status, `${name}: ${run.stderr}`).toBe(code);
      expect(run.stdout).toContain(says);
    }
  });

  it('refuses, before training anything, a reference trained for other epochs', () => {
    const other = path.join(path.dirname(referenceFile), 'other-epochs.json');
    fs.writeFileSync(other, JSON.stringify({ ...reference, epochs: 3 }));
    const runsBefore = fs.readdirSync(path.join(home, 'runs')).length;
    const run = spawnSync(process.execPath, [BIN, '--home', home, '--backend', 'wasm', 'reproduce', folder, '--preset', 'quick', '--epochs', '1', '--batch-size', '4', '--reference', other], { encoding: 'utf8', timeout: 120_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`The reference '${other}' was trained with epochs 3, this reproduction with 1`);
    expect(fs.readdirSync(path.join(home, 'runs'))).toHaveLength(runsBefore);
  });
});
