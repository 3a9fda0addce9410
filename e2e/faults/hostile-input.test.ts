// Hostile dataset folders through the real `alexnet` command, one child process per import: the generated corpus plus
// unreadable files and folders (without root's capabilities), a name that is not UTF-8, 8000x6000 photos with their
// peak memory, folders with no classes and a dataset of a single class; each outcome and count checked exactly.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDataset } from '../../core/dataset/dataset';
import { LONG_NAME, makeTestCorpus, SOLID_GREEN, type ExpectedOutcome } from '../../core/dataset/test-corpus';
import { CACHE_IMAGE_SIZE, type ImportReport, type SkipReason } from '../../core/dataset/types';
import { RunLog } from '../../core/runlog/run-log';
import { createRun } from '../../core/workbench/training';
import { openWorkspace } from '../../core/workspace';
import { DEMO, tempHome } from '../fixtures';
import { tally } from './report';

const BIN = path.resolve(import.meta.dirname, '..', '..', 'bin', 'alexnet.js');
const MiB = 1024 * 1024;
const S = CACHE_IMAGE_SIZE;
const temp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));
const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Preloaded into each child: writes its peak resident set (getrusage's ru_maxrss, the kernel's VmHWM) to a file as
 * it exits, so the figure is the true peak rather than a sample taken while it ran.
 */
const PEAK_HOOK = `data:text/javascript,${encodeURIComponent(
  "import fs from 'node:fs'; process.on('exit', () => { const f = process.env.ALEXNET_TEST_PEAK_FILE; if (f) fs.writeFileSync(f, String(process.resourceUsage().maxRSS * 1024)); });",
)}`;

/**
 * Root reads every file whatever its mode bits. Without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (dropped from the
 * bounding set, which for root becomes the permitted set at exec) it is held to them like any user.
 */
const ROOT = process.getuid?.() === 0;
const SETPRIV = '/usr/bin/setpriv';
const DROP_READ_CAPABILITIES = ['--bounding-set', '-dac_override,-dac_read_search', '--inh-caps', '-dac_override,-dac_read_search', '--'];
const CAN_DENY_READING = !ROOT || fs.existsSync(SETPRIV);

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
  peakBytes: number;
}

let cases = 0;
afterAll(() => tally('hostile-input', { cases }));

/** Runs `alexnet --home <home> ...args` in a child process; kills it (and fails) after `timeoutMs`. */
function alexnet(home: string, args: string[], options: { denyReading?: boolean; timeoutMs?: number } = {}): Promise<Outcome> {
  const peakFile = path.join(temp('alexnet-peak-'), 'peak');
  const nodeArgs = ['--import', PEAK_HOOK, BIN, '--home', home, ...args];
  const [command, argv] = options.denyReading && ROOT ? [SETPRIV, [...DROP_READ_CAPABILITIES, process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
  const env: NodeJS.ProcessEnv = { ...process.env, ALEXNET_TEST_PEAK_FILE: peakFile };
  delete env.ALEXNET_DEBUG;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal) reject(new Error(`alexnet ${args.join(' ')} was killed by ${signal} (a hang?); stderr: ${stderr.slice(-2000)}`));
      const peakBytes = fs.existsSync(peakFile) ? Number(fs.readFileSync(peakFile, 'utf8')) : Number.NaN;
      resolve({ code, stdout, stderr, seconds: (performance.now() - started) / 1000, peakBytes });
    });
  });
}

/** The error line of a failed command: one line, 'error: ...', and no stack trace anywhere. */
function errorLine(outcome: Outcome): string {
  expect(outcome.stderr, outcome.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  const line = outcome.stderr.split('\n').find((l) => l.startsWith('error: '));
  expect(line, outcome.stderr).toBeDefined();
  return line!;
}

/** The largest channel difference between a region of a cached record and a colour. */
function maxDifference(data: Uint8Array, colour: readonly number[], x0: number, y0: number, x1: number, y1: number): number {
  let worst = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(data[(y * S + x) * 3 + c]! - colour[c]!));
  return worst;
}

interface ImportJson {
  id: string;
  dir: string;
  labels: string[];
  report: ImportReport;
}

describe('the generated corpus, imported by `alexnet import` in a child process', () => {
  let source: string;
  let home: string;
  let expected: ExpectedOutcome[];
  let out: ImportJson;
  /** Folders whose mode is changed below, to give back at the end (so that the temporary folders can be removed). */
  const locked: string[] = [];
  /** Skipped entries added here (beyond the corpus), with what their detail must say. */
  const extras: { path: string; reason: SkipReason; detail: RegExp }[] = [];

  beforeAll(async () => {
    source = temp('hostile-corpus-');
    expected = await makeTestCorpus(source);
    const jpeg = await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 1, g: 2, b: 3 } } }).jpeg().toBuffer();
    const put = (rel: string, bytes: Buffer | string = jpeg) => {
      fs.mkdirSync(path.dirname(path.join(source, rel)), { recursive: true });
      fs.writeFileSync(path.join(source, rel), bytes);
    };
    // A name whose bytes are not UTF-8 (Linux allows any bytes but '/' and NUL): readdir gives it back with U+FFFD.
    put('dogs/placeholder');
    fs.renameSync(path.join(source, 'dogs/placeholder'), Buffer.concat([Buffer.from(path.join(source, 'dogs', 'bad-')), Buffer.from([0xff, 0xfe]), Buffer.from('.jpg')]));
    const garbled = fs.readdirSync(path.join(source, 'dogs')).find((n) => n.startsWith('bad-'))!;
    extras.push({ path: `dogs/${garbled}`, reason: 'unreadable', detail: /^its name is not valid UTF-8, so it cannot be opened by name; rename it$/ });
    if (CAN_DENY_READING) {
      // A file nobody may read; a folder that may be entered but not listed; one that may be listed but whose entries
      // may not be looked at; a class folder nobody may open (reported, and left out as an empty class).
      put('cats/locked.jpg');
      fs.chmodSync(path.join(source, 'cats/locked.jpg'), 0o000);
      extras.push({ path: 'cats/locked.jpg', reason: 'unreadable', detail: /^cannot be read: EACCES: permission denied, open '.*locked\.jpg'$/ });
      put('cats/no-listing/inside.jpg');
      put('cats/no-lookup/inside.jpg');
      put('locked-class/inside.jpg');
      for (const [rel, mode] of [['cats/no-listing', 0o311], ['cats/no-lookup', 0o644], ['locked-class', 0o000]] as const) {
        fs.chmodSync(path.join(source, rel), mode);
        locked.push(path.join(source, rel));
      }
      extras.push({ path: 'cats/no-listing', reason: 'unreadable', detail: /^folder cannot be read: EACCES: permission denied, scandir/ });
      extras.push({ path: 'cats/no-lookup/inside.jpg', reason: 'unreadable', detail: /^cannot be read: EACCES: permission denied, stat/ });
      extras.push({ path: 'locked-class', reason: 'unreadable', detail: /^folder cannot be read: EACCES: permission denied, scandir/ });
    }
    home = tempHome();
    const run = await alexnet(home, ['--json', 'import', source, '--test-fraction', '0.25', '--seed', '3'], { denyReading: true });
    expect(run.code, run.stderr).toBe(0);
    out = JSON.parse(run.stdout) as ImportJson;
    cases += expected.length + extras.length;
  });

  afterAll(() => {
    for (const folder of locked) fs.chmodSync(folder, 0o755);
    if (CAN_DENY_READING) fs.chmodSync(path.join(source, 'cats/locked.jpg'), 0o644);
  });

  it('keeps exactly the decodable images, each in its class folder, JPEG bytes under a .png name and a 255-byte name included', () => {
    const dataset = openDataset(out.dir);
    try {
      const kept = expected.filter((e) => e.outcome === 'kept');
      expect(dataset.manifest.images.map((e) => e.path)).toEqual(kept.map((e) => e.path).sort(byCodeUnit));
      expect(out.labels).toEqual(['café', 'cats', 'dogs']);
      for (const e of dataset.manifest.images) expect(out.labels[e.label], e.path).toBe(kept.find((k) => k.path === e.path)!.className);
      expect([out.report.imported, out.report.decoded, out.report.reused]).toEqual([kept.length, kept.length, 0]);
      // Content decides the format: JPEG bytes named .png come out as the solid colour they hold.
      const record = (p: string) => dataset.readRecord(dataset.manifest.images.find((e) => e.path === p)!.record);
      expect(maxDifference(record('cats/jpeg-named.png'), SOLID_GREEN, 0, 0, S, S)).toBeLessThanOrEqual(2);
      expect(Buffer.byteLength(LONG_NAME, 'utf8')).toBe(255);
      expect(maxDifference(record(`dogs/${LONG_NAME}`), SOLID_GREEN, 0, 0, S, S)).toBeLessThanOrEqual(4);
    } finally {
      dataset.close();
    }
  });

  it('lists every other file with its reason, the unreadable ones with the system error', () => {
    const want = [...expected.filter((e) => e.outcome === 'skipped').map((e) => ({ path: e.path, reason: e.reason })), ...extras.map(({ path: p, reason }) => ({ path: p, reason }))];
    expect(out.report.skipped.map((s) => ({ path: s.path, reason: s.reason }))).toEqual(want.sort((a, b) => byCodeUnit(a.path, b.path)));
    for (const extra of extras) expect(out.report.skipped.find((s) => s.path === extra.path)!.detail, extra.path).toMatch(extra.detail);
    // The decoder's reason, or (when libvips loses it between threads) what the bytes are: never a bare 'Unknown error'.
    const undecodable = { 'dogs/truncated.jpg': /JPEG|jpeg/, 'dogs/truncated.png': /PNG|png/, 'dogs/text.png': /unsupported image format|not data of any image format/ };
    for (const [p, reason] of Object.entries(undecodable)) expect(out.report.skipped.find((s) => s.path === p)!.detail, p).toMatch(new RegExp(`^cannot be decoded: .*(${reason.source})`));
    if (!CAN_DENY_READING) console.warn('hostile-input: running as root without setpriv, so the unreadable-file cases were left out');
  });

  it('lists each conversion of each kept file, and none for plain 8-bit sRGB files', () => {
    for (const e of expected.filter((x) => x.outcome === 'kept')) {
      const details = out.report.conversions.filter((c) => c.path === e.path).map((c) => c.detail);
      expect(details, e.path).toHaveLength(e.conversions!.length);
      e.conversions!.forEach((want, i) => expect(details[i], e.path).toContain(want));
    }
    expect(out.report.conversions).toHaveLength(expected.reduce((n, e) => n + (e.conversions?.length ?? 0), 0));
  });

  it('counts exactly: a class of one image trains only, empty and unreadable class folders are left out, the same pictures are grouped', () => {
    // The corpus's same pictures (core/dataset/import.test.ts names them): one group each, whole in one split, and in
    // train when it spans classes. café's one image and every dog are in such groups; cats' other 10 images come in
    // 8 units, of which round(19 x 0.25) = 5 images fit in test.
    expect(out.report.counts).toEqual([
      { label: 'café', train: 1, test: 0 },
      { label: 'cats', train: 14, test: 5 },
      { label: 'dogs', train: 8, test: 0 },
    ]);
    // 'empty' holds only the empty folder 'also-empty'; nested folders with images belong to their top class.
    expect(out.report.emptyClasses).toEqual(CAN_DENY_READING ? ['empty', 'locked-class'] : ['empty']);
    expect(expected.some((e) => e.outcome === 'kept' && e.path === 'cats/nested/deeper/inside.webp' && e.className === 'cats')).toBe(true);
    expect(out.report.duplicates.map((g) => [g.kind, g.images.length, g.images[0]!.path])).toEqual([
      ['near', 2, 'café/naïve 猫.jpg'],
      ['near', 14, 'cats/UPPER.JPG'],
      ['pixels', 3, 'cats/grey.jpg'],
      ['pixels', 2, 'cats/jpeg-named.png'],
    ]);
    expect(out.report.leakage).toEqual([]);
  });

  it('prints every skipped file with its reason in the text report too (a re-import, decoding nothing)', async () => {
    const run = await alexnet(home, ['import', source], { denyReading: true });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`skipped ${out.report.skipped.length} files:`);
    // Undecodable files are tried again on every import, so their details are compared by kind, not word for word.
    for (const s of out.report.skipped) expect(run.stdout).toContain(`  ${s.path}: ${s.reason} (${s.reason === 'undecodable' ? 'cannot be decoded: ' : `${s.detail})`}`);
    expect(run.stderr).toMatch(new RegExp(`import: ${out.report.imported} images \\(0 decoded, ${out.report.imported} unchanged\\)`));
  });
});

/**
 * A photo-sized image: four quadrants of known colour under a texture of +-30 per channel (a 500x300 tile of seeded
 * noise, repeated), so that the file is as large as a real photo's and the centre crop can still be checked.
 */
const QUADRANTS = [[200, 30, 60], [20, 40, 220], [30, 200, 60], [240, 240, 20]] as const;
function texturedQuadrants(width: number, height: number): Buffer {
  const tileWidth = 500;
  const tileHeight = 300;
  let state = 1;
  const noise = Int8Array.from({ length: tileWidth * tileHeight * 3 }, () => (((state = (Math.imul(state, 1103515245) + 12345) >>> 0) >>> 16) % 61) - 30);
  const data = Buffer.alloc(width * height * 3);
  const rows = new Map<string, Buffer>();
  for (let y = 0; y < height; y++) {
    const half = y < height / 2 ? 0 : 2;
    const key = `${half}:${y % tileHeight}`;
    let row = rows.get(key);
    if (!row) {
      row = Buffer.alloc(width * 3);
      for (let x = 0; x < width; x++) {
        const colour = QUADRANTS[half + (x < width / 2 ? 0 : 1)]!;
        for (let c = 0; c < 3; c++) row[x * 3 + c] = Math.max(0, Math.min(255, colour[c]! + noise[((y % tileHeight) * tileWidth + (x % tileWidth)) * 3 + c]!));
      }
      rows.set(key, row);
    }
    row.copy(data, y * width * 3);
  }
  return data;
}

describe('8000x6000 photos, imported in a child process whose peak memory is measured', () => {
  const WIDTH = 8000;
  const HEIGHT = 6000;
  /** The image decoded whole as 8-bit RGB: an import that held it would grow by at least this much. */
  const DECODED_BYTES = WIDTH * HEIGHT * 3;
  /** The bound this test states: the whole process (Node, tsx, sharp, the run log) stays under it. */
  const PEAK_BOUND = 600 * MiB;
  let baseline: Outcome;
  const folders: Record<'jpeg' | 'png', { folder: string; bytes: number }> = {} as never;

  beforeAll(async () => {
    const pixels = texturedQuadrants(WIDTH, HEIGHT);
    const raw = { raw: { width: WIDTH, height: HEIGHT, channels: 3 as const } };
    for (const format of ['jpeg', 'png'] as const) {
      const folder = temp(`hostile-huge-${format}-`);
      fs.mkdirSync(path.join(folder, 'photos'));
      const file = path.join(folder, 'photos', `huge.${format === 'jpeg' ? 'jpg' : 'png'}`);
      const image = sharp(pixels, raw);
      await (format === 'jpeg' ? image.jpeg({ quality: 90 }) : image.png({ compressionLevel: 1 })).toFile(file);
      folders[format] = { folder, bytes: fs.statSync(file).size };
    }
    // The same command on one small image: what Node, tsx, sharp and the run log take before any photo.
    const small = temp('hostile-small-');
    fs.mkdirSync(path.join(small, 'photos'));
    await sharp(pixels.subarray(0, 64 * 48 * 3), { raw: { width: 64, height: 48, channels: 3 } }).jpeg().toFile(path.join(small, 'photos', 'small.jpg'));
    baseline = await alexnet(tempHome(), ['--json', 'import', small]);
    expect(baseline.code, baseline.stderr).toBe(0);
  });

  afterAll(() => {
    // 40 MB of photos a run: not left in the temporary folder.
    for (const { folder } of Object.values(folders)) fs.rmSync(folder, { recursive: true, force: true });
  });

  it.each(['jpeg', 'png'] as const)('imports the %s without holding it decoded whole, in bounded time, as its centre crop', async (format) => {
    const { folder, bytes } = folders[format];
    const run = await alexnet(tempHome(), ['--json', 'import', folder], { timeoutMs: 120_000 });
    cases++;
    expect(run.code, run.stderr).toBe(0);
    console.log(
      `hostile-input: 8000x6000 ${format} (${(bytes / MiB).toFixed(1)} MiB): peak RSS ${(run.peakBytes / MiB).toFixed(0)} MiB ` +
        `(${((run.peakBytes - baseline.peakBytes) / MiB).toFixed(0)} MiB above the same import of one 64x48 image, ${(baseline.peakBytes / MiB).toFixed(0)} MiB), ${run.seconds.toFixed(1)} s`,
    );
    expect(run.peakBytes).toBeLessThan(PEAK_BOUND);
    expect(run.peakBytes - baseline.peakBytes).toBeLessThan(DECODED_BYTES);
    expect(run.seconds).toBeLessThan(60);
    const out = JSON.parse(run.stdout) as ImportJson;
    expect(out.report.skipped).toEqual([]);
    expect(out.report.conversions).toEqual([]);
    const dataset = openDataset(out.dir);
    try {
      const [entry] = dataset.manifest.images;
      expect([dataset.manifest.images.length, entry!.width, entry!.height]).toEqual([1, WIDTH, HEIGHT]);
      // Shorter side 6000 -> 256 (8000 -> 341), centre 256 columns: the quadrants meet near (128, 128).
      const record = dataset.readRecord(entry!.record);
      expect(maxDifference(record, QUADRANTS[0], 8, 8, 120, 120)).toBeLessThanOrEqual(8);
      expect(maxDifference(record, QUADRANTS[1], 136, 8, 248, 120)).toBeLessThanOrEqual(8);
      expect(maxDifference(record, QUADRANTS[2], 8, 136, 120, 248)).toBeLessThanOrEqual(8);
      expect(maxDifference(record, QUADRANTS[3], 136, 136, 248, 248)).toBeLessThanOrEqual(8);
    } finally {
      dataset.close();
    }
  });
});

describe('a folder that holds no class folders of images', () => {
  it('is refused with exit code 2, the reason, and every file found instead; nothing is recorded', async () => {
    const loose = temp('hostile-no-classes-');
    await sharp({ create: { width: 20, height: 20, channels: 3, background: '#808080' } }).jpeg().toFile(path.join(loose, 'loose.jpg'));
    fs.writeFileSync(path.join(loose, 'notes.txt'), 'not an image');
    fs.writeFileSync(path.join(loose, '.DS_Store'), Buffer.from([0, 0, 0, 1]));
    const empty = temp('hostile-empty-');
    const emptyClasses = temp('hostile-empty-classes-');
    fs.mkdirSync(path.join(emptyClasses, 'a'));
    fs.mkdirSync(path.join(emptyClasses, 'b', 'c'), { recursive: true });
    const home = tempHome();
    const refusal = (folder: string) => new RegExp(`^error: No images were found in '${folder.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}': expected one subfolder per class`);

    const run = await alexnet(home, ['import', loose]);
    expect(run.code, run.stderr).toBe(2);
    expect(errorLine(run)).toMatch(refusal(loose));
    expect(errorLine(run)).toMatch(/ Skipped: 2 not-an-image, 1 outside-class-folder\.$/);
    expect(run.stderr).toContain('  loose.jpg: outside-class-folder (files must be inside a class folder)');
    expect(run.stderr).toContain("  notes.txt: not-an-image (extension '.txt' is not an image type");
    expect(run.stderr).toContain('  .DS_Store: not-an-image (operating-system metadata file)');
    for (const folder of [empty, emptyClasses]) {
      const other = await alexnet(home, ['import', folder]);
      expect(other.code, other.stderr).toBe(2);
      expect(errorLine(other)).toMatch(refusal(folder));
    }
    // `train` on such a folder imports it first, and is refused the same way.
    const train = await alexnet(home, ['--backend', 'wasm', 'train', loose, '--preset', 'quick']);
    expect(train.code, train.stderr).toBe(2);
    expect(errorLine(train)).toMatch(refusal(loose));
    const listed = await alexnet(home, ['--json', 'datasets']);
    expect(JSON.parse(listed.stdout)).toEqual([]);
    cases += 4;
  });
});

describe('a dataset of a single class', () => {
  it('is imported with a notice, and training is refused before a run is created, naming the classes needed', async () => {
    const source = temp('hostile-single-');
    const photos = path.join(DEMO, 'train', fs.readdirSync(path.join(DEMO, 'train')).sort()[0]!);
    fs.mkdirSync(path.join(source, 'only'));
    for (const f of fs.readdirSync(photos).sort().slice(0, 5)) fs.copyFileSync(path.join(photos, f), path.join(source, 'only', f));
    const home = tempHome();

    const imported = await alexnet(home, ['--json', 'import', source]);
    expect(imported.code, imported.stderr).toBe(0);
    const out = JSON.parse(imported.stdout) as ImportJson;
    expect(out.labels).toEqual(['only']);
    expect(out.report.counts).toEqual([{ label: 'only', train: 4, test: 1 }]);
    expect(imported.stderr).toContain("notice: dataset 'hostile-single-");
    expect(imported.stderr).toMatch(/has 1 class \('only'\); it is imported, but training needs at least 2 \(one subfolder per class\)\./);

    const train = await alexnet(home, ['--backend', 'wasm', 'train', out.id, '--preset', 'quick', '--epochs', '1']);
    expect(train.code, train.stderr).toBe(2);
    expect(errorLine(train)).toBe(`error: Dataset '${out.id}' has 1 class ('only'); training needs 2 to 100,000 classes. Add a subfolder per class and import the folder again.`);
    const runs = await alexnet(home, ['--json', 'runs']);
    expect(JSON.parse(runs.stdout)).toEqual([]);

    // The hosts' path (the UI's train:start) makes the run with createRun: refused there too, and nothing is logged.
    const workspace = openWorkspace(home);
    const log = RunLog.open(workspace.database);
    const dataset = openDataset(out.dir);
    try {
      expect(() => createRun(workspace, log, { name: 'cpu', device: 'test' }, { dataset, preset: 'quick', recipe: 'small-data', seed: 0 })).toThrow(
        'A model of 1 class is not allowed; it needs 2 to 100,000 classes (fc8 has one output per class, and a softmax over one class learns nothing).',
      );
      expect(log.listRuns()).toEqual([]);
    } finally {
      dataset.close();
      log.close();
    }
    cases += 3;
  });
});
