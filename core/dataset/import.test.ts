// Imports generated folders of awkward files and real photos, and checks exactly what is kept, converted and reported.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../random/rng';
import type { Dataset } from './dataset';
import { decodeForModel } from './decode';
import { datasetId, importDataset } from './import';
import { datasetWarnings } from './import-report';
import { blockColour, cropPattern, GREY_LEVEL, LONG_NAME, makeTestCorpus, ROTATED_STORED, SOLID_RED, type ExpectedOutcome } from './test-corpus';
import { CACHE_IMAGE_SIZE, CACHE_RECORD_BYTES, type ImportProgress } from './types';

const temp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));
const S = CACHE_IMAGE_SIZE;
const pixel = (data: Uint8Array, x: number, y: number) => Array.from(data.subarray((y * S + x) * 3, (y * S + x) * 3 + 3));
const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The largest channel difference between an image region and a colour (or a colour per pixel). */
function maxDifference(data: Uint8Array, colour: number[] | ((x: number, y: number) => number[]), x0 = 0, y0 = 0, x1 = S, y1 = S): number {
  let worst = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const want = typeof colour === 'function' ? colour(x, y) : colour;
      const at = (y * S + x) * 3;
      for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(data[at + c]! - want[c]!));
    }
  }
  return worst;
}

/** Writes a small solid PNG. */
async function solidPng(file: string, rgb: number[], size = 20): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const data = Buffer.alloc(size * size * 3);
  for (let i = 0; i < size * size; i++) data.set(rgb, i * 3);
  await sharp(data, { raw: { width: size, height: size, channels: 3 } }).png().toFile(file);
}


describe('import of a generated folder of class folders', () => {
  let source: string;
  let root: string;
  let expected: ExpectedOutcome[];
  let dataset: Dataset;
  const progress: { at: number; event: ImportProgress }[] = [];
  let importSeconds = 0;
  const image = (p: string) => dataset.readRecord(dataset.manifest.images.find((e) => e.path === p)!.record);

  beforeAll(async () => {
    source = temp('corpus-');
    expected = await makeTestCorpus(source);
    root = temp('datasets-');
    const started = performance.now();
    dataset = await importDataset(source, root, { testFraction: 0.25, seed: 3, onProgress: (event) => progress.push({ at: performance.now(), event }) });
    importSeconds = (performance.now() - started) / 1000;
  });

  it('keeps exactly the decodable images and reports every other file with its reason', () => {
    const report = dataset.manifest.report;
    const kept = expected.filter((e) => e.outcome === 'kept');
    expect(dataset.manifest.images.map((e) => e.path)).toEqual(kept.map((e) => e.path).sort(byCodeUnit));
    expect([report.imported, report.decoded, report.reused]).toEqual([kept.length, kept.length, 0]);
    const skipped = expected.filter((e) => e.outcome === 'skipped').map((e) => ({ path: e.path, reason: e.reason }));
    expect(report.skipped.map((s) => ({ path: s.path, reason: s.reason }))).toEqual(skipped.sort((a, b) => byCodeUnit(a.path, b.path)));
    expect(report.skipped.find((s) => s.path === 'dogs/loop')!.detail).toMatch(/loop/);
    expect(report.skipped.find((s) => s.path === 'dogs/truncated.jpg')!.detail).toMatch(/^cannot be decoded: ./);
    expect(report.skipped.find((s) => s.path === 'dogs/notes.txt')!.detail).toMatch(/extension '\.txt' is not an image type/);
    // Labels in code-unit order ('f' 0x66 < 't' 0x74), the empty class reported and left out.
    expect(dataset.labels).toEqual(['café', 'cats', 'dogs']);
    expect(report.emptyClasses).toEqual(['empty']);
    for (const e of dataset.manifest.images) expect(dataset.labels[e.label], e.path).toBe(kept.find((k) => k.path === e.path)!.className);
    // The corpus's same pictures, whatever their encoding: the solid red in fourteen files (identical bytes, the same
    // pixels through PNG, palette, 16-bit, alpha, BMP, TIFF, GIF, and near-identical through lossy JPEG, WebP and
    // AVIF), the solid blue as JPEG and PNG, the grey as an 8-bit and a 16-bit PNG and a JPEG (the same pixels), the
    // green as JPEG at two qualities. The cmyk red is not near the others (CMYK to sRGB shifts it by more than 3).
    const group = (kind: string, paths: string[]) => ({ kind, images: paths.map((p) => ({ path: p, className: p.split('/')[0] })) });
    expect(report.duplicates).toEqual([
      group('near', ['café/naïve 猫.jpg', 'dogs/png-named.jpg']),
      group('near', [
        'cats/UPPER.JPG', 'cats/nested/deeper/inside.webp', 'cats/opaque-alpha.png', 'cats/palette.png', 'cats/photo.avif', 'cats/red.jpg', 'cats/red.png',
        'cats/sixteen.png', 'dogs/anim.gif', 'dogs/copy-of-red.jpg', 'dogs/link-to-red.png', 'dogs/palette.BMP', 'dogs/scan.tiff', 'dogs/windows.bmp',
      ]),
      group('pixels', ['cats/grey.jpg', 'cats/grey.png', 'cats/grey16.png']),
      group('pixels', ['cats/jpeg-named.png', `dogs/${LONG_NAME}`]),
    ]);
    expect(report.leakage).toEqual([]);
    expect(fs.statSync(path.join(dataset.dir, 'images.u8')).size).toBe(kept.length * CACHE_RECORD_BYTES);
    expect(path.basename(dataset.dir)).toBe(datasetId(source));
  });

  it('lists each conversion of each kept file, and none for plain 8-bit sRGB files', () => {
    const report = dataset.manifest.report;
    for (const e of expected.filter((x) => x.outcome === 'kept')) {
      const details = report.conversions.filter((c) => c.path === e.path).map((c) => c.detail);
      expect(details, e.path).toHaveLength(e.conversions!.length);
      e.conversions!.forEach((want, i) => expect(details[i], e.path).toContain(want));
    }
    expect(report.conversions.length).toBe(expected.reduce((n, e) => n + (e.conversions?.length ?? 0), 0));
  });

  it('splits each class towards round(n x 0.25), each group of the same picture whole, label conflicts to train', () => {
    const report = dataset.manifest.report;
    expect(report.split).toEqual({ kind: 'seeded', testFraction: 0.25, seed: 3 });
    const splitOf = new Map(dataset.manifest.images.map((e) => [e.path, e.split]));
    for (const g of report.duplicates) {
      const splits = new Set(g.images.map((i) => splitOf.get(i.path)));
      expect(splits.size, g.images[0]!.path).toBe(1);
      if (new Set(g.images.map((i) => i.className)).size > 1) expect([...splits], g.images[0]!.path).toEqual(['train']);
    }
    expect(report.leakage).toEqual([]);
    // café's one image and every dog are in label conflicts: they train. cats: 9 of its 19 images are in conflicts;
    // the other 10 come in 8 units (the 3 greys are one), and round(19 x 0.25) = 5 of them fit whole in test.
    expect(report.counts).toEqual([
      { label: 'café', train: 1, test: 0 },
      { label: 'cats', train: 14, test: 5 },
      { label: 'dogs', train: 8, test: 0 },
    ]);
    for (const [split, n] of [['train', 23], ['test', 5]] as const) expect(dataset.entries(split)).toHaveLength(n);
  });

  it('converts each kind of image to the right 8-bit sRGB pixels', () => {
    // Lossless sources come out exact; lossy ones within their codec's error.
    const solid: [string, number][] = [
      ['cats/red.png', 0], ['cats/opaque-alpha.png', 0], ['cats/palette.png', 0], ['cats/sixteen.png', 1], ['dogs/scan.tiff', 2],
      ['dogs/windows.bmp', 0], ['dogs/palette.BMP', 0], ['dogs/link-to-red.png', 0], ['dogs/anim.gif', 2], ['cats/red.jpg', 2],
      ['cats/UPPER.JPG', 4], ['cats/nested/deeper/inside.webp', 6], ['cats/photo.avif', 8], ['cats/cmyk.jpg', 10],
    ];
    for (const [p, tolerance] of solid) expect(maxDifference(image(p), SOLID_RED), p).toBeLessThanOrEqual(tolerance);
    for (const p of ['cats/grey.png', 'cats/grey16.png', 'cats/grey.jpg']) {
      const data = image(p);
      for (let i = 0; i < data.length; i += 3) {
        if (data[i] !== data[i + 1] || data[i] !== data[i + 2]) throw new Error(`${p}: pixel ${i / 3} is not grey: ${Array.from(data.subarray(i, i + 3)).join(', ')}`);
      }
      expect(maxDifference(data, [GREY_LEVEL, GREY_LEVEL, GREY_LEVEL]), p).toBeLessThanOrEqual(1);
    }
    // Transparent over white: the left half is opaque (10, 20, 30), the right half invisible; the edge is left out.
    const alpha = image('cats/alpha.png');
    expect(maxDifference(alpha, [10, 20, 30], 0, 0, 100)).toBe(0);
    expect(maxDifference(alpha, [255, 255, 255], 156, 0)).toBe(0);
    expect(maxDifference(image('cats/grey-alpha.png'), [152, 152, 152])).toBeLessThanOrEqual(1);
    expect(maxDifference(image('cats/tiny.png'), [0, 255, 0])).toBe(0);
    expect(maxDifference(image('café/naïve 猫.jpg'), [20, 40, 220])).toBeLessThanOrEqual(3);
  });

  it('applies EXIF orientation 6: the stored bottom-left quadrant ends up top-left', () => {
    const entry = dataset.manifest.images.find((e) => e.path === 'cats/rotated.jpg')!;
    expect([entry.width, entry.height]).toEqual([32, 48]); // stored 48x32, turned upright
    const upright = image('cats/rotated.jpg');
    // Turned 90 degrees clockwise: top-left <- bottom-left, top-right <- top-left, bottom-right <- top-right.
    const q = ROTATED_STORED;
    // Shorter side 32 -> 256 (x8), 384 tall, centre 256 rows: the quadrants meet at (128, 128). Lanczos-3 reaches 3
    // source pixels (24 here) from an edge, so each quadrant is checked 32 pixels in from it.
    expect(maxDifference(upright, q.bottomLeft, 32, 32, 96, 96)).toBeLessThanOrEqual(8);
    expect(maxDifference(upright, q.topLeft, 160, 32, 224, 96)).toBeLessThanOrEqual(8);
    expect(maxDifference(upright, q.bottomRight, 32, 160, 96, 224)).toBeLessThanOrEqual(8);
    expect(maxDifference(upright, q.topRight, 160, 160, 224, 224)).toBeLessThanOrEqual(8);
  });

  it('rescales the shorter side to 256 and keeps the centre 256x256', () => {
    // 512x256 needs no rescaling: the record is columns 128..383 of the source, pixel for pixel.
    expect(maxDifference(image('cats/crop.png'), (x, y) => cropPattern(x + 128, y))).toBe(0);
    // 1024x512 of 32-pixel blocks halves to 512x256 (16-pixel blocks), then loses 128 columns each side: output block
    // (i, j) is source block (i + 8, j). Each block's centre is further from its edges than the filter reaches.
    const blocks = image('cats/blocks.png');
    for (let j = 0; j < 16; j++) {
      for (let i = 0; i < 16; i++) expect(maxDifference(blocks, blockColour(i + 8, j), i * 16 + 6, j * 16 + 6, i * 16 + 10, j * 16 + 10), `${i},${j}`).toBeLessThanOrEqual(1);
    }
    const entry = dataset.manifest.images.find((e) => e.path === 'cats/blocks.png')!;
    expect([entry.width, entry.height]).toEqual([1024, 512]);
  });

  it('decodes a file for the model exactly as at import', async () => {
    for (const p of ['cats/rotated.jpg', 'cats/alpha.png', 'cats/cmyk.jpg', 'dogs/palette.BMP', 'cats/blocks.png']) {
      const decoded = await decodeForModel(path.join(source, p));
      expect(Buffer.compare(Buffer.from(decoded.pixels), Buffer.from(image(p))), p).toBe(0);
    }
    await expect(decodeForModel(path.join(source, 'dogs/truncated.jpg'))).rejects.toMatchObject({ name: 'DecodeError', reason: 'undecodable' });
    await expect(decodeForModel(path.join(source, 'dogs/zero.jpg'))).rejects.toMatchObject({ reason: 'empty-file' });
    await expect(decodeForModel(path.join(source, 'missing.jpg'))).rejects.toMatchObject({ reason: 'unreadable', message: expect.stringMatching(/missing\.jpg' cannot be read: ENOENT/) });
  });

  it('reports progress phase by phase, done rising to total, at most about ten times a second', () => {
    const events = progress.map((p) => p.event);
    const phases = events.map((e) => e.phase).filter((p, i, all) => p !== all[i - 1]);
    expect(phases).toEqual(['scanning', 'decoding', 'statistics', 'done']);
    for (const phase of ['decoding', 'statistics'] as const) {
      const of = events.filter((e) => e.phase === phase);
      for (let i = 1; i < of.length; i++) expect(of[i]!.done).toBeGreaterThanOrEqual(of[i - 1]!.done);
      expect(of.at(-1)!.done).toBe(of.at(-1)!.total);
      for (const e of of) expect(e.rate).toBeGreaterThanOrEqual(0);
    }
    // Every candidate file is tried: the kept ones and the ones that failed to decode.
    const tried = expected.filter((e) => e.outcome === 'kept' || ['undecodable', 'empty-file'].includes(e.reason!)).length;
    expect(events.filter((e) => e.phase === 'decoding').at(-1)!.total).toBe(tried);
    expect(events.at(-1)).toMatchObject({ phase: 'done', done: dataset.manifest.images.length, total: dataset.manifest.images.length });
    // Throttled: besides one last event per phase, events are at least 100 ms apart.
    const times = progress.map((p) => p.at);
    let close = 0;
    for (let i = 1; i < times.length; i++) if (times[i]! - times[i - 1]! < 99) close++;
    expect(close).toBeLessThanOrEqual(4);
    expect(progress.length).toBeLessThanOrEqual(importSeconds * 10 + 6);
  });

  it('re-import decodes only new and changed files, drops removed ones and keeps labels and splits', async () => {
    const before = dataset.manifest;
    dataset.close();
    // One new file in a new class that sorts first, one file touched (same bytes, new modification time).
    await solidPng(path.join(source, 'aardvarks', 'new.png'), [77, 77, 77]);
    const touched = path.join(source, 'cats', 'red.jpg');
    fs.utimesSync(touched, new Date(), new Date(Date.now() + 10_000));
    const again = await importDataset(source, root, { testFraction: 0.25, seed: 3 });
    expect([again.manifest.report.decoded, again.manifest.report.reused]).toEqual([2, before.images.length - 1]);
    expect(again.labels).toEqual(['café', 'cats', 'dogs', 'aardvarks']);
    for (const e of before.images) {
      const now = again.manifest.images.find((x) => x.path === e.path)!;
      expect([now.label, now.split], e.path).toEqual([e.label, e.split]);
      if (e.path !== 'cats/red.jpg') expect(now.record, e.path).toBe(e.record);
    }
    expect(again.manifest.images.find((e) => e.path === 'aardvarks/new.png')).toMatchObject({ label: 3, split: 'train' });
    expect(again.manifest.createdAt).toBe(before.createdAt);
    expect(again.manifest.report.conversions).toEqual(before.report.conversions); // reported again, from the manifest
    again.close();

    // Changed bytes, and a removed file. The link to the changed file is decoded again too.
    await solidPng(path.join(source, 'cats', 'red.png'), [5, 6, 7]);
    fs.rmSync(path.join(source, 'dogs', 'scan.tiff'));
    const third = await importDataset(source, root, { testFraction: 0.25, seed: 3 });
    expect([third.manifest.report.decoded, third.manifest.report.imported]).toEqual([2, before.images.length]);
    expect(third.manifest.images.some((e) => e.path === 'dogs/scan.tiff')).toBe(false);
    const red = third.manifest.images.find((e) => e.path === 'cats/red.png')!;
    expect(maxDifference(third.readRecord(red.record), [5, 6, 7])).toBe(0);
    expect(third.manifest.images.find((e) => e.path === 'dogs/link-to-red.png')!.sha256).toBe(red.sha256);
    expect(third.manifest.report.counts.reduce((n, c) => n + c.train + c.test, 0)).toBe(before.images.length);
    dataset = third;
    third.close();
  });
});

describe('re-import of an unchanged folder', () => {
  it('decodes nothing and keeps the mean image and statistics', async () => {
    const source = temp('unchanged-');
    for (let i = 0; i < 4; i++) await solidPng(path.join(source, 'k', `${i}.png`), [i * 50, 100, 7]);
    const root = temp('datasets-');
    const first = await importDataset(source, root);
    const meanFile = path.join(first.dir, 'mean.f32');
    const meanBefore = fs.readFileSync(meanFile);
    fs.utimesSync(meanFile, new Date(0), new Date(0)); // so that a rewrite would show
    const again = await importDataset(source, root);
    expect([again.manifest.report.decoded, again.manifest.report.reused]).toEqual([0, 4]);
    expect(again.manifest.statistics).toEqual(first.manifest.statistics);
    expect(fs.statSync(meanFile).mtimeMs).toBe(0);
    expect(Buffer.compare(fs.readFileSync(meanFile), meanBefore)).toBe(0);
    // The kept file is still the mean of the training split (3 of the 4 solid images at the default fraction 0.2).
    const train = again.entries('train').map((e) => again.readRecord(e.record)[0]!);
    expect(again.meanImage()[0]).toBeCloseTo(train.reduce((a, b) => a + b, 0) / train.length, 5);
    first.close();
    again.close();
  });
});

describe('import of a folder with train/ and test/ folders', () => {
  it('takes the split from the folders and reports the same image in both as leakage', async () => {
    const source = temp('corpus-folders-');
    const expected = await makeTestCorpus(source, { layout: 'folders' });
    const dataset = await importDataset(source, temp('datasets-'), { testFraction: 0.5 });
    const report = dataset.manifest.report;
    expect(report.split).toEqual({ kind: 'folders' });
    const kept = expected.filter((e) => e.outcome === 'kept');
    expect(dataset.manifest.images.map((e) => [e.path, dataset.labels[e.label], e.split])).toEqual(
      kept.sort((a, b) => byCodeUnit(a.path, b.path)).map((e) => [e.path, e.className, e.split]),
    );
    const skipped = expected.filter((e) => e.outcome === 'skipped').map((e) => ({ path: e.path, reason: e.reason }));
    expect(report.skipped.map((s) => ({ path: s.path, reason: s.reason }))).toEqual(skipped.sort((a, b) => byCodeUnit(a.path, b.path)));
    // The folders fix the split: every training copy of a picture that is also in test is a leak.
    const groups = new Map(report.duplicates.map((g) => [g.images[0]!.path, g.images.map((i) => i.path)]));
    expect([...groups.keys()]).toEqual(['test/café/gris.png', 'test/cats/leak.png', 'test/dogs/blue.png', 'train/cats/jpeg-named.png']);
    expect(groups.get('test/café/gris.png')).toEqual(['test/café/gris.png', 'train/cats/grey.jpg', 'train/cats/grey.png', 'train/cats/grey16.png']);
    expect(groups.get('test/cats/leak.png')).toHaveLength(15);
    expect(groups.get('test/cats/leak.png')).toContain('train/dogs/link-to-red.png');
    const expectedLeaks = [...groups.values()].flatMap((paths) => paths.filter((p) => p.startsWith('train/')).map((p) => [p, paths.find((q) => q.startsWith('test/'))]).filter(([, t]) => t !== undefined));
    expect(report.leakage).toEqual(expectedLeaks);
    expect(report.leakage).toHaveLength(3 + 14 + 2);
    expect(report.counts.map((c) => c.test)).toEqual([1, 1, 1]);
    dataset.close();
  });

  it('recognises the split folders in any case, and val/ for test/', async () => {
    const source = temp('case-');
    await solidPng(path.join(source, 'Train', 'b', '1.png'), [1, 2, 3]);
    await solidPng(path.join(source, 'Train', 'a', '1.png'), [4, 5, 6]);
    await solidPng(path.join(source, 'VAL', 'a', '2.png'), [7, 8, 9]);
    await solidPng(path.join(source, 'extra', 'x', '1.png'), [7, 8, 9]);
    const dataset = await importDataset(source, temp('datasets-'));
    expect(dataset.manifest.report.split).toEqual({ kind: 'folders' });
    expect(dataset.labels).toEqual(['a', 'b']);
    expect(dataset.manifest.report.counts).toEqual([{ label: 'a', train: 1, test: 1 }, { label: 'b', train: 1, test: 0 }]);
    expect(dataset.manifest.report.skipped).toEqual([{ path: 'extra', reason: 'outside-class-folder', detail: 'folder beside Train/ and VAL/; not used' }]);
    dataset.close();
  });
});

describe('seeded split', () => {
  let source: string;
  beforeAll(async () => {
    source = temp('seeded-');
    for (const [c, n] of [['x', 10], ['y', 7], ['z', 1]] as const) {
      // Green tells the classes apart (x 0, y 80, z 160), so that no picture is in two classes.
      for (let i = 0; i < n; i++) await solidPng(path.join(source, c, `${i}.png`), [i * 20, (c.charCodeAt(0) - 120) * 80, 9], 8);
    }
  });
  const testSet = async (seed: number) => {
    const d = await importDataset(source, temp('datasets-'), { testFraction: 0.3, seed });
    const tests = d.entries('test').map((e) => e.path);
    d.close();
    return tests;
  };

  it('is stratified (round(n x 0.3) per class, at least one training image), reproducible, and changes with the seed', async () => {
    const a = await testSet(1);
    expect(a.filter((p) => p.startsWith('x/'))).toHaveLength(3);
    expect(a.filter((p) => p.startsWith('y/'))).toHaveLength(2);
    expect(a.filter((p) => p.startsWith('z/'))).toHaveLength(0);
    expect(await testSet(1)).toEqual(a);
    const others = [await testSet(2), await testSet(3)];
    expect(others.some((b) => JSON.stringify(b) !== JSON.stringify(a))).toBe(true);
  });

  it('keeps earlier images in their split on re-import and splits new ones towards the fraction', async () => {
    const root = temp('datasets-');
    const first = await importDataset(source, root, { testFraction: 0.3, seed: 5 });
    const before = new Map(first.manifest.images.map((e) => [e.path, e.split]));
    first.close();
    for (let i = 10; i < 20; i++) await solidPng(path.join(source, 'x', `${i}.png`), [i * 10, 1, 200], 8);
    // A different seed and fraction are ignored: the split of the first import stays in force.
    const second = await importDataset(source, root, { testFraction: 0.5, seed: 99 });
    for (const e of second.manifest.images) if (before.has(e.path)) expect(e.split, e.path).toBe(before.get(e.path));
    expect(second.manifest.report.split).toEqual({ kind: 'seeded', testFraction: 0.3, seed: 5 });
    expect(second.manifest.report.counts.find((c) => c.label === 'x')).toEqual({ label: 'x', train: 14, test: 6 });
    second.close();
    for (let i = 10; i < 20; i++) fs.rmSync(path.join(source, 'x', `${i}.png`));
  });
});

describe('mean image and colour statistics', () => {
  it("match a float64 brute force over the decoded training records", async () => {
    const source = temp('stats-');
    const rng = new Rng(11, 'statistics-test');
    for (let i = 0; i < 6; i++) {
      // Correlated channels, so that the covariance has real off-diagonal terms.
      const data = Buffer.alloc(48 * 40 * 3);
      for (let p = 0; p < 48 * 40; p++) {
        const base = rng.uniform() * 200;
        data.set([base + rng.uniform() * 55, base * 0.5 + rng.uniform() * 100, 255 - base], p * 3);
      }
      const folder = path.join(source, `c${i % 2}`);
      fs.mkdirSync(folder, { recursive: true });
      await sharp(data, { raw: { width: 48, height: 40, channels: 3 } }).png().toFile(path.join(folder, `${i}.png`));
    }
    const dataset = await importDataset(source, temp('datasets-'), { testFraction: 0.34, seed: 1 });
    const train = dataset.entries('train').map((e) => dataset.readRecord(e.record));
    expect(train.length).toBe(4);
    const mean = dataset.meanImage();
    let worst = 0;
    for (let p = 0; p < CACHE_RECORD_BYTES; p++) worst = Math.max(worst, Math.abs(mean[p]! - train.reduce((s, img) => s + img[p]!, 0) / train.length));
    expect(worst).toBeLessThan(1e-4); // float32 storage of values up to 255
    const fromFile = new Float32Array(new Uint8Array(fs.readFileSync(path.join(dataset.dir, 'mean.f32'))).buffer);
    expect(fromFile).toEqual(mean);
    // Two-pass float64: means first, then centred products.
    const n = train.length * S * S;
    const mu = [0, 1, 2].map((c) => train.reduce((s, img) => { let t = 0; for (let p = c; p < img.length; p += 3) t += img[p]!; return s + t; }, 0) / n);
    const cov = (a: number, b: number) => train.reduce((s, img) => { let t = 0; for (let p = 0; p < img.length; p += 3) t += (img[p + a]! - mu[a]!) * (img[p + b]! - mu[b]!); return s + t; }, 0) / n;
    const stats = dataset.manifest.statistics;
    for (let c = 0; c < 3; c++) expect(Math.abs(stats.channelMean[c]! - mu[c]!)).toBeLessThan(1e-9);
    for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) expect(Math.abs(stats.covariance[a * 3 + b]! - cov(a, b)), `${a},${b}`).toBeLessThan(1e-7);
    expect(Math.abs(stats.covariance[1]!)).toBeGreaterThan(10);
    // Eigenpairs: C v = lambda v, descending.
    expect(stats.eigenvalues[0]).toBeGreaterThanOrEqual(stats.eigenvalues[1]);
    expect(stats.eigenvalues[1]).toBeGreaterThanOrEqual(stats.eigenvalues[2]);
    for (let j = 0; j < 3; j++) {
      for (let r = 0; r < 3; r++) {
        let cv = 0;
        for (let k = 0; k < 3; k++) cv += cov(r, k) * stats.eigenvectors[k * 3 + j]!;
        expect(Math.abs(cv - stats.eigenvalues[j]! * stats.eigenvectors[r * 3 + j]!)).toBeLessThan(1e-6);
      }
    }
    dataset.close();
  });
});

describe('datasetId', () => {
  it('is a slug of the folder name and the first 8 hex digits of SHA-256 of the absolute path', () => {
    const hash = (p: string) => createHash('sha256').update(p).digest('hex').slice(0, 8);
    expect(datasetId('/data/Café Photos!')).toBe(`cafe-photos-${hash('/data/Café Photos!')}`);
    expect(datasetId('/data/猫')).toBe(`dataset-${hash('/data/猫')}`);
    expect(datasetId('relative/dir')).toBe(`dir-${hash(path.resolve('relative/dir'))}`);
    expect(datasetId('/a/ABC_def.2012/')).toBe(`abc-def-2012-${hash('/a/ABC_def.2012')}`);
  });
});

describe('refusals and failures', () => {
  it('names a missing source, a file given as source and a folder without class folders of images', async () => {
    const root = temp('datasets-');
    const empty = temp('no-classes-');
    fs.writeFileSync(path.join(empty, 'loose.jpg'), 'x');
    await expect(importDataset(path.join(empty, 'missing'), root)).rejects.toThrow(/^Dataset folder '.*missing' does not exist; expected a folder whose subfolders are classes\.$/);
    await expect(importDataset(path.join(empty, 'loose.jpg'), root)).rejects.toThrow(/'.*loose\.jpg' is a file, not a folder/);
    await expect(importDataset(empty, root)).rejects.toThrow(/^No images were found in '.*no-classes-[^']*': expected one subfolder per class.* Skipped: 1 outside-class-folder\.$/);
    // Class folders whose files all fail: refused, and no half-made dataset folder is left behind.
    const bad = temp('bad-');
    fs.mkdirSync(path.join(bad, 'k'));
    fs.writeFileSync(path.join(bad, 'k', 'a.png'), 'not a png');
    await expect(importDataset(bad, root)).rejects.toThrow(/No images were found in .* Skipped: 1 undecodable\./);
    expect(fs.readdirSync(root)).toEqual([]);
  });

  it('refuses a test fraction outside (0, 1) and a fractional seed', async () => {
    for (const f of [0, 1, -0.1, Number.NaN]) await expect(importDataset('.', temp('datasets-'), { testFraction: f })).rejects.toThrow(`Test fraction ${f} is not allowed`);
    await expect(importDataset('.', temp('datasets-'), { seed: 1.5 })).rejects.toThrow('Seed 1.5 is not allowed; use a whole number.');
  });

  it('stops with an AbortError when the signal fires', async () => {
    const source = temp('abort-');
    for (let i = 0; i < 4; i++) await solidPng(path.join(source, 'k', `${i}.png`), [i, i, i]);
    const controller = new AbortController();
    const root = temp('datasets-');
    const run = importDataset(source, root, { onProgress: (p) => p.phase === 'decoding' && controller.abort(), signal: controller.signal });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(fs.readdirSync(root)).toEqual([]);
  });
});

describe('cache compaction', () => {
  it('rewrites the cache once more than half of its records belong to removed or changed files', async () => {
    const source = temp('compact-');
    const root = temp('datasets-');
    await solidPng(path.join(source, 'k', 'a.png'), [10, 0, 0]);
    await solidPng(path.join(source, 'k', 'b.png'), [20, 0, 0]);
    await solidPng(path.join(source, 'k', 'c.png'), [30, 0, 0]);
    const cacheRecords = (d: Dataset) => fs.statSync(path.join(d.dir, 'images.u8')).size / CACHE_RECORD_BYTES;
    const first = await importDataset(source, root);
    expect(cacheRecords(first)).toBe(3);
    await solidPng(path.join(source, 'k', 'a.png'), [11, 0, 0]);
    const second = await importDataset(source, root);
    expect(cacheRecords(second)).toBe(4); // one orphan of four: kept
    fs.rmSync(path.join(source, 'k', 'b.png'));
    await solidPng(path.join(source, 'k', 'c.png'), [31, 0, 0]);
    const third = await importDataset(source, root);
    // Records: a (old), b, c (old) orphaned, a, c live: three of five orphaned, so the cache is rewritten.
    expect(cacheRecords(third)).toBe(2);
    expect(third.manifest.images.map((e) => [e.path, e.record])).toEqual([['k/a.png', 0], ['k/c.png', 1]]);
    expect(pixel(third.readRecord(0), 0, 0)).toEqual([11, 0, 0]);
    expect(pixel(third.readRecord(1), 255, 255)).toEqual([31, 0, 0]);
    for (const d of [first, second, third]) d.close();
  });
});

describe('class labels', () => {
  it('are numbered in code-unit order of the folder names (upper case before lower case), the order every run keeps', async () => {
    const source = temp('labels-');
    const names = ['car_side', 'Faces_easy', 'airplanes', 'Zebra', 'apple'];
    for (const [i, name] of names.entries()) {
      for (const split of ['train', 'test']) await solidPng(path.join(source, split, name, `${split}-${i}.png`), [40 * i, 100, 200 - 30 * i]);
    }
    const dataset = await importDataset(source, temp('datasets-'));
    expect(dataset.labels).toEqual(['Faces_easy', 'Zebra', 'airplanes', 'apple', 'car_side']);
    // Each image carries the label of its own folder.
    for (const e of dataset.manifest.images) expect(dataset.labels[e.label], e.path).toBe(e.path.split('/')[1]);
    dataset.close();
  });
});

// Real photographs, when a copy of the Caltech 101 ten-class set sits beside the checkout (not needed to pass).
const REAL = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'data', 'caltech101-10class');
describe('import of real photographs', () => {
  it.skipIf(!fs.existsSync(REAL))('turns the greyscale car_side JPEGs into R = G = B and counts every class', async () => {
    const source = temp('real-');
    for (const split of ['train', 'test']) {
      for (const c of ['car_side', 'airplanes', 'Faces_easy']) {
        fs.mkdirSync(path.join(source, split, c), { recursive: true });
        const files = fs.readdirSync(path.join(REAL, split, c)).sort().slice(0, split === 'train' ? 5 : 2);
        for (const f of files) fs.copyFileSync(path.join(REAL, split, c, f), path.join(source, split, c, f));
      }
    }
    const dataset = await importDataset(source, temp('datasets-'));
    expect(dataset.labels).toEqual(['Faces_easy', 'airplanes', 'car_side']); // code-unit order: upper case first
    expect(dataset.manifest.report.counts.map((c) => [c.train, c.test])).toEqual([[5, 2], [5, 2], [5, 2]]);
    expect(dataset.manifest.report.skipped).toEqual([]);
    for (const e of dataset.manifest.images.filter((x) => x.path.includes('car_side'))) {
      const img = dataset.readRecord(e.record);
      let colourful = 0;
      for (let p = 0; p < img.length; p += 3) if (img[p] !== img[p + 1] || img[p] !== img[p + 2]) colourful++;
      expect(colourful, e.path).toBe(0);
      expect(e.conversions.join('; '), e.path).toContain('greyscale');
    }
    dataset.close();
  });
});

// Demo photos (shipped in resources/), copied into a seeded folder with planted duplicates.
const DEMO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'resources', 'demo-dataset');
describe('duplicates, label conflicts and files left out', () => {
  let source: string;
  const photo = (className: string, i: number) => {
    const dir = path.join(DEMO, 'train', className);
    return path.join(dir, fs.readdirSync(dir).sort()[i]!);
  };
  beforeAll(async () => {
    source = temp('planted-');
    for (const c of ['Leopards', 'watch', 'airplanes']) {
      fs.mkdirSync(path.join(source, c));
      for (let i = 0; i < 6; i++) fs.copyFileSync(photo(c, i), path.join(source, c, `${i}.jpg`));
    }
    // A leopard re-saved at quality 60 and filed as a watch: a label conflict.
    await sharp(photo('Leopards', 0)).jpeg({ quality: 60 }).toFile(path.join(source, 'watch', 'leopard-copy.jpg'));
    // A watch as a 16-bit PNG of the same pixels: a duplicate within its class.
    await sharp(photo('watch', 1)).toColourspace('rgb16').png().toFile(path.join(source, 'watch', '1-16-bit.png'));
    // An airplane shrunk to 90 px wide: small, and near its original.
    await sharp(photo('airplanes', 2)).resize({ width: 90 }).toFile(path.join(source, 'airplanes', 'tiny.png'));
  });

  it('flags the conflict and keeps each group in one split, conflicts in train; warns of small images', async () => {
    const dataset = await importDataset(source, temp('datasets-'), { testFraction: 0.3, seed: 1 });
    const { report, images } = dataset.manifest;
    const splitOf = new Map(images.map((e) => [e.path, e.split]));
    expect(report.duplicates.map((g) => [g.kind, g.images.map((i) => `${i.className}:${i.path}`)])).toEqual([
      ['near', ['Leopards:Leopards/0.jpg', 'watch:watch/leopard-copy.jpg']],
      ['near', ['airplanes:airplanes/2.jpg', 'airplanes:airplanes/tiny.png']],
      ['pixels', ['watch:watch/1-16-bit.png', 'watch:watch/1.jpg']],
    ]);
    expect([splitOf.get('Leopards/0.jpg'), splitOf.get('watch/leopard-copy.jpg')]).toEqual(['train', 'train']);
    expect(splitOf.get('airplanes/2.jpg')).toBe(splitOf.get('airplanes/tiny.png'));
    expect(splitOf.get('watch/1.jpg')).toBe(splitOf.get('watch/1-16-bit.png'));
    expect(report.leakage).toEqual([]);
    // round(7 x 0.3) = 2 test images per class, whole groups only.
    expect(report.counts.map((c) => [c.label, c.test])).toEqual([['Leopards', 2], ['airplanes', 2], ['watch', 2]]);
    expect(report.smallImages).toEqual([{ path: 'airplanes/tiny.png', width: 90, height: expect.any(Number) }]);
    const warnings = datasetWarnings(report);
    expect(warnings[0]).toBe("1 picture is in more than one class (label conflicts), e.g. 'Leopards/0.jpg' (Leopards), 'watch/leopard-copy.jpg' (watch): leave them out or move each to its right class.");
    expect(warnings[1]).toMatch(/^1 image is under 128 px on the shorter side \(e\.g\. 'airplanes\/tiny\.png', 90x\d+\)/);
    dataset.close();
  });

  it('leaves out the files asked for, keeps leaving them out on a re-import, and takes them back when asked', async () => {
    const root = temp('datasets-');
    const conflict = ['Leopards/0.jpg', 'watch/leopard-copy.jpg'];
    const first = await importDataset(source, root, { exclude: [...conflict, 'no/such-file.jpg'] });
    expect(first.manifest.images.map((e) => e.path)).not.toContain('Leopards/0.jpg');
    expect(first.manifest.images).toHaveLength(18 + 3 - 2);
    expect(first.manifest.report.excluded).toEqual(conflict); // a path not in the folder drops off
    expect(first.manifest.report.duplicates.some((g) => g.images.some((i) => conflict.includes(i.path)))).toBe(false);
    first.close();
    const again = await importDataset(source, root);
    expect(again.manifest.report.excluded).toEqual(conflict);
    expect([again.manifest.report.decoded, again.manifest.images.length]).toEqual([0, 19]);
    again.close();
    const back = await importDataset(source, root, { exclude: [] });
    expect(back.manifest.report.excluded).toEqual([]);
    expect(back.manifest.images).toHaveLength(21);
    expect(back.manifest.report.decoded).toBe(2);
    back.close();
    await expect(importDataset(source, root, { exclude: ['/etc/passwd'] })).rejects.toThrow(/File to leave out "\/etc\/passwd" is not allowed; use a path relative/);
  });

  it("puts a new copy of an earlier image in that image's split on a re-import", async () => {
    const root = temp('datasets-');
    const first = await importDataset(source, root, { testFraction: 0.3, seed: 2 });
    const tested = first.entries('test').map((e) => e.path);
    first.close();
    // A re-saved copy of every test image (6): drawn at random, about 30 % of them would land in test.
    const copies = tested.map((p) => path.join(source, `${p.replace(/\.\w+$/, '')}-resaved.jpg`));
    for (const [i, p] of tested.entries()) await sharp(path.join(source, p)).jpeg({ quality: 70 }).toFile(copies[i]!);
    try {
      const second = await importDataset(source, root);
      const splitOf = new Map(second.manifest.images.map((e) => [e.path, e.split]));
      expect(tested.map((p) => splitOf.get(`${p.replace(/\.\w+$/, '')}-resaved.jpg`))).toEqual(tested.map(() => 'test'));
      expect(second.manifest.report.leakage).toEqual([]);
      second.close();
    } finally {
      for (const copy of copies) fs.rmSync(copy);
    }
  });
});
