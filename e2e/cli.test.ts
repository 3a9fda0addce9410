// The `alexnet` command as a user runs it: a real process, real files, exit codes and error messages.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { smallDataset, tempHome } from './fixtures';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'alexnet.js');

function alexnet(home: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, '--home', home, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('alexnet CLI', () => {
  let home: string;
  let folder: string;

  beforeAll(() => {
    home = tempHome();
    folder = smallDataset(2, 4, 2);
  });

  it('imports a folder and reports it as JSON', () => {
    const r = alexnet(home, '--json', 'import', folder);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { labels: string[]; report: { imported: number; counts: { train: number; test: number }[] } };
    expect(out.labels).toHaveLength(2);
    expect(out.report.imported).toBe(12);
    expect(out.report.counts.map((c) => [c.train, c.test])).toEqual([
      [4, 2],
      [4, 2],
    ]);
    const list = alexnet(home, '--json', 'datasets');
    expect(JSON.parse(list.stdout)).toHaveLength(1);
  });

  it('trains one epoch of the quick preset on the CPU and shows it in the history', () => {
    const r = alexnet(home, '--backend', 'wasm', 'train', folder, '--preset', 'quick', '--epochs', '1', '--batch-size', '4');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/NOT the paper's model/);
    // Each figure says what it is and on which split; one epoch is "1 epoch".
    // (With 5 classes or fewer every label is among the top 5: no top-5 error is printed.)
    expect(r.stdout).toMatch(/epoch 1\/1 {2}train loss [\d.]+ {2}train top-1 error [\d.]+ % {2}test top-1 error [\d.]+ % {2}lr /);
    expect(r.stdout).not.toMatch(/top-5/);
    expect(alexnet(home, '--backend', 'wasm', 'evaluate', 'last').stdout).toMatch(/centre crop: top-1 error [\d.]+ %, no top-5 error \(\d classes: every label is among the top 5\), loss/);
    expect(r.stdout).toMatch(/completed: Trained 1 epoch\. /);
    const runs = JSON.parse(alexnet(home, '--json', 'runs').stdout) as { status: string; preset: string }[];
    expect(runs).toHaveLength(1);
    expect(runs[0]!.status).toBe('completed');
    const metrics = alexnet(home, 'metrics', 'last', '--per', 'step');
    expect(metrics.stdout.trim().split('\n')).toHaveLength(1 + 2); // header + 2 steps (8 images / batch 4)
    const exported = alexnet(home, '--json', 'export', 'last', '--out', path.join(home, 'exported'));
    expect(exported.code, exported.stderr).toBe(0);
    const files = JSON.parse(exported.stdout) as { onnx: string; tfjsModel: string; tfjsWeights: string };
    for (const file of [files.onnx, files.tfjsModel, files.tfjsWeights]) expect(fs.statSync(file).size).toBeGreaterThan(0);
    const kernels = alexnet(home, '--backend', 'wasm', 'kernels', 'last', '--out', path.join(home, 'k'));
    expect(kernels.code, kernels.stderr).toBe(0);
    expect(fs.readdirSync(path.join(home, 'k')).sort()).toEqual(['conv1-tower-a.png', 'conv1-tower-b.png']);
    // Figure 3 against its baselines: each tower beside its start and random kernels (12 a tower: 0.669 ± 2 x 0.010),
    // then the verdict on the split and the definition.
    expect(kernels.stdout).toMatch(/^tower a: 12 kernels, colour specificity 0\.\d{3} \(at initialisation 0\.\d{3}; random kernels 0\.669 ± 0\.020: (below|within|above)\) -> /m);
    expect(kernels.stdout).toMatch(/^Figure 3: (no specialisation detectable|tower [ab] is more colour-specific than tower [ab]): the towers differ by \d\.\d{3} \(p [<=] [\d.]+, permutation test\); /m);
    expect(kernels.stdout).toMatch(/^Colour specificity is the share of a kernel's energy/m);
    const json = alexnet(home, '--json', '--backend', 'wasm', 'kernels', 'last', '--out', path.join(home, 'k'));
    const summary = JSON.parse(json.stdout) as { towers: { tower: string; colourSpecificity: number; initialColourSpecificity: number; random: { mean: number; sd: number }; kernels: number[] }[]; split: { difference: number; p: number; significant: boolean }; specialised: boolean; verdict: string; definition: string };
    expect(summary.towers.map((t) => t.tower)).toEqual(['a', 'b']);
    for (const t of summary.towers) {
      expect(t.colourSpecificity).toBeCloseTo(t.kernels.reduce((x, y) => x + y) / t.kernels.length, 12);
      expect(t.initialColourSpecificity).toBeGreaterThan(0.5);
      expect(t.random.mean).toBeCloseTo(242 / 362, 12); // 2n / (3n - 1) for n = 121 pixels
    }
    expect(summary.split.difference).toBeCloseTo(summary.towers[1]!.colourSpecificity - summary.towers[0]!.colourSpecificity, 12);
    expect(summary.specialised).toBe(summary.split.p < 0.05);
    expect(summary.definition).toMatch(/about 2\/3 for random kernels/);
  });

  it('names the bad value and what was expected, with exit code 2', () => {
    const r = alexnet(home, 'train', folder, '--batch-size', '0');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Batch size '0' is not allowed; use a whole number from 1 to 4096/);
    const preset = alexnet(home, 'train', folder, '--preset', 'huge');
    expect(preset.code).toBe(2);
    expect(preset.stderr).toMatch(/Preset 'huge' is not known; use one of paper, quick/);
    const rate = alexnet(home, 'train', folder, '--learning-rate', 'fast');
    expect(rate.code).toBe(2);
    expect(rate.stderr).toMatch(/Learning rate 'fast' is not allowed/);
    expect(alexnet(home, 'frobnicate').code).toBe(2);
  });

  it('says what is missing, with exit code 3', () => {
    const run = alexnet(home, 'evaluate', 'run-does-not-exist');
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/Run 'run-does-not-exist' is not in the run log/);
    const data = alexnet(home, 'train', path.join(home, 'no-such-folder'));
    expect(data.code).toBe(3);
    expect(data.stderr).toMatch(/neither an imported dataset id/);
    const image = alexnet(home, '--backend', 'wasm', 'predict', 'last', path.join(home, 'missing.jpg'));
    expect(image.code).toBe(3);
    expect(image.stderr).toMatch(/missing\.jpg' does not exist/);
  });

  it('refuses a run log written by a newer version, without touching it', () => {
    const other = tempHome();
    expect(alexnet(other, 'runs').code).toBe(0);
    const database = path.join(other, 'runlog.sqlite');
    // Raise the schema version as a future release would, with the sqlite3 file format's own header field
    // (user_version is the 4-byte big-endian integer at offset 60).
    const bytes = fs.readFileSync(database);
    bytes.writeUInt32BE(999, 60);
    fs.writeFileSync(database, bytes);
    const r = alexnet(other, 'runs');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/newer version of AlexNet Workbench/);
    expect(fs.readFileSync(database).readUInt32BE(60)).toBe(999);
  });

  it('benchmarks the model and profiles a step kernel by kernel (bench --profile)', () => {
    const r = alexnet(home, '--backend', 'cpu', '--json', 'bench', '--preset', 'quick', '--model-only', '--profile', '--batch-size', '2', '--steps', '1', '--warmup', '0', '--classes', '10');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { train_img_s: number; profile_ms: number; kernels: { name: string; calls: number; ms: number }[] };
    expect(out.train_img_s).toBeGreaterThan(0);
    const calls = new Map(out.kernels.map((k) => [k.name, k.calls]));
    expect(calls.get('Conv2D'), 'conv1 once for both towers, conv2 to conv5 once per tower').toBe(9);
    expect(calls.get('optimizer update')).toBe(1);
    expect(out.profile_ms).toBeCloseTo(out.kernels.reduce((sum, k) => sum + k.ms, 0), 2); // rounded to microseconds
    expect(r.stderr).toMatch(/^profile: Conv2D +9 /m);
    expect(r.stderr).toMatch(/^profile: total /m);
  });
});

describe('a training process killed at random (SIGKILL)', () => {
  it('shows as interrupted at the next start and resumes from its last checkpoint to completion', async () => {
    const home = tempHome();
    const folder = smallDataset(2, 4, 1);
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [BIN, '--home', home, '--backend', 'wasm', 'train', folder, '--preset', 'quick', '--epochs', '4', '--batch-size', '4'], { stdio: 'ignore' });
    // Wait for the first checkpoint, then kill without warning.
    const runs = path.join(home, 'runs');
    const started = Date.now();
    const checkpoints = () => (fs.existsSync(runs) ? fs.readdirSync(runs).flatMap((r) => (fs.existsSync(path.join(runs, r, 'checkpoints')) ? fs.readdirSync(path.join(runs, r, 'checkpoints')).filter((f) => f.endsWith('.ckpt')) : [])) : []);
    while (checkpoints().length === 0 && Date.now() - started < 240_000) await new Promise((r) => setTimeout(r, 200));
    expect(checkpoints().length).toBeGreaterThan(0);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const listed = alexnet(home, '--json', 'runs');
    expect(listed.stderr).toMatch(/was interrupted/);
    const [run] = JSON.parse(listed.stdout) as { id: string; status: string }[];
    expect(run!.status).toBe('interrupted');
    const resumed = alexnet(home, '--backend', 'wasm', 'resume', run!.id);
    expect(resumed.code, resumed.stderr).toBe(0);
    const shown = JSON.parse(alexnet(home, '--json', 'runs', 'show', run!.id).stdout) as { run: { status: string }; epochs: { epoch: number }[] };
    expect(shown.run.status).toBe('completed');
    expect(shown.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
  });
});
