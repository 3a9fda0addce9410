// Imports generated folders of awkward files and real photos, and checks exactly what is kept, converted and reported.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDataset } from './dataset';
import { importDataset } from './import';
import { makeTestCorpus, type Expected } from './test-corpus';
import { CACHE_IMAGE_SIZE, CACHE_RECORD_BYTES, type ImportProgress } from './types';

const temp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));
const pixel = (data: Uint8Array, x: number, y: number) => Array.from(data.subarray((y * CACHE_IMAGE_SIZE + x) * 3, (y * CACHE_IMAGE_SIZE + x) * 3 + 3));
const near = (a: number[], b: number[], tolerance: number) => a.every((v, i) => Math.abs(v - b[i]!) <= tolerance);

describe('import of a folder of awkward files', () => {
  let source: string;
  let expected: Expected[];
  let root: string;
  const progress: ImportProgress[] = [];

  beforeAll(async () => {
    source = temp('corpus-');
    expected = await makeTestCorpus(source);
    root = temp('datasets-');
  });

  it('keeps every decodable image, skips every other file with its reason, and counts exactly', async () => {
    const dataset = await importDataset(source, root, { testFraction: 0.25, seed: 3, onProgress: (p) => progress.push(p) });
    const report = dataset.manifest.report;
    const kept = expected.filter((e) => e.outcome === 'kept').map((e) => e.path).sort();
    expect(dataset.manifest.images.map((e) => e.path).sort()).toEqual(kept);
    expect(report.imported).toBe(kept.length);
    for (const e of expected.filter((x) => x.outcome === 'skipped')) {
      const found = report.skipped.find((s) => s.path === e.path);
      expect(found, `${e.path} should be skipped`).toBeDefined();
      expect(found!.reason).toBe(e.reason);
    }
    expect(report.skipped.find((s) => s.path.startsWith('dogs/loop'))?.detail).toMatch(/loop/);
    for (const e of expected.filter((x) => x.conversion)) {
      const details = report.conversions.filter((c) => c.path === e.path).map((c) => c.detail).join('; ');
      expect(details, e.path).toContain(e.conversion);
    }
    expect(report.conversions.filter((c) => c.path === 'cats/red.png')).toEqual([]);
    // Labels: the three non-empty classes, in code-unit order; the empty class is reported and left out.
    expect(dataset.labels).toEqual(['café', 'cats', 'dogs']); // code-unit order: 'f' (0x66) < 't' (0x74)
    expect(report.emptyClasses).toEqual(['empty']);
    expect(report.duplicates).toContainEqual(['cats/red.jpg', 'dogs/copy-of-red.jpg']);
    expect(report.split).toEqual({ kind: 'seeded', testFraction: 0.25, seed: 3 });
    // Every image is in the cache as 256x256 RGB.
    expect(fs.statSync(path.join(dataset.dir, 'images.u8')).size).toBeGreaterThanOrEqual(kept.length * CACHE_RECORD_BYTES);
    expect(progress.at(-1)?.phase).toBe('done');
    const decoding = progress.filter((p) => p.phase === 'decoding');
    expect(decoding.at(-1)!.done).toBe(decoding.at(-1)!.total);
    dataset.close();
  });

  it('converts each kind of image to the right 8-bit sRGB pixels', async () => {
    const dataset = await importDataset(source, root, { testFraction: 0.25, seed: 3 });
    const image = (p: string) => dataset.readRecord(dataset.manifest.images.find((e) => e.path === p)!.record);
    expect(near(pixel(image('cats/red.png'), 128, 128), [200, 30, 60], 0)).toBe(true);
    expect(near(pixel(image('cats/sixteen.png'), 10, 200), [200, 30, 60], 1)).toBe(true);
    expect(near(pixel(image('cats/cmyk.jpg'), 128, 128), [200, 30, 60], 12)).toBe(true);
    for (const p of ['cats/grey.png', 'cats/grey16.png']) {
      const [r, g, b] = pixel(image(p), 100, 100);
      expect(r).toBe(g);
      expect(g).toBe(b);
      expect(Math.abs(r! - 90)).toBeLessThanOrEqual(1);
    }
    // Transparent pixels are flattened over white.
    expect(pixel(image('cats/alpha.png'), 50, 50)).toEqual([255, 255, 255]);
    // EXIF orientation 6 turns the stored 80x40 image (red left half) upright: 40x80 with red on top.
    const rotated = dataset.manifest.images.find((e) => e.path === 'cats/rotated.jpg')!;
    expect([rotated.width, rotated.height]).toEqual([40, 80]);
    const upright = image('cats/rotated.jpg');
    expect(near(pixel(upright, 128, 20), [255, 0, 0], 40)).toBe(true);
    expect(near(pixel(upright, 128, 235), [0, 0, 255], 40)).toBe(true);
    expect(pixel(image('cats/tiny.png'), 5, 5)).toEqual([0, 255, 0]);
    dataset.close();
  });

  it('decodes only new and changed files on re-import, and keeps the label order when a class that sorts first arrives', async () => {
    fs.mkdirSync(path.join(source, 'aardvarks'));
    await sharp(Buffer.alloc(30 * 30 * 3, 77), { raw: { width: 30, height: 30, channels: 3 } }).png().toFile(path.join(source, 'aardvarks', 'new.png'));
    const touched = path.join(source, 'cats', 'red.png');
    await sharp(Buffer.alloc(30 * 30 * 3, 5), { raw: { width: 30, height: 30, channels: 3 } }).png().toFile(touched);
    fs.utimesSync(touched, new Date(), new Date(Date.now() + 5000));
    const before = openDataset(fs.readdirSync(root).map((d) => path.join(root, d))[0]!).manifest;
    const dataset = await importDataset(source, root, { testFraction: 0.25, seed: 3 });
    expect(dataset.manifest.report.decoded).toBe(2);
    expect(dataset.labels).toEqual(['café', 'cats', 'dogs', 'aardvarks']);
    // Earlier images keep their split.
    for (const e of before.images) {
      const now = dataset.manifest.images.find((x) => x.path === e.path);
      if (now) expect(now.split).toBe(e.split);
    }
    expect(pixel(dataset.readRecord(dataset.manifest.images.find((e) => e.path === 'cats/red.png')!.record), 9, 9)).toEqual([5, 5, 5]);
    dataset.close();
  });

  it('refuses a folder with no class folders, naming it', async () => {
    const empty = temp('no-classes-');
    fs.writeFileSync(path.join(empty, 'loose.txt'), 'x');
    await expect(importDataset(empty, root)).rejects.toThrow(/No images were found in '.*no-classes-/);
    await expect(importDataset(path.join(empty, 'missing'), root)).rejects.toThrow(/does not exist/);
  });
});

describe('split, statistics and leakage', () => {
  it('uses train/ and test/ folders when present and reports the same image in both', async () => {
    const source = temp('split-');
    const make = async (rel: string, value: number) => {
      fs.mkdirSync(path.dirname(path.join(source, rel)), { recursive: true });
      await sharp(Buffer.alloc(20 * 20 * 3, value), { raw: { width: 20, height: 20, channels: 3 } }).png().toFile(path.join(source, rel));
    };
    await make('train/a/1.png', 10);
    await make('train/a/2.png', 20);
    await make('train/b/1.png', 30);
    await make('test/a/1.png', 40);
    await make('TEST/b/leak.png', 10); // 'TEST' is not 'test': only one test folder counts; see below
    fs.rmSync(path.join(source, 'TEST'), { recursive: true });
    await make('test/b/leak.png', 10);
    const dataset = await importDataset(source, temp('datasets-'));
    expect(dataset.manifest.report.split).toEqual({ kind: 'folders' });
    expect(dataset.manifest.report.counts).toEqual([
      { label: 'a', train: 2, test: 1 },
      { label: 'b', train: 1, test: 1 },
    ]);
    expect(dataset.manifest.report.leakage).toEqual([['train/a/1.png', 'test/b/leak.png']]);
    dataset.close();
  });

  it('makes a stratified split that the seed reproduces', async () => {
    const source = temp('seeded-');
    for (const c of ['x', 'y']) {
      fs.mkdirSync(path.join(source, c));
      for (let i = 0; i < 10; i++) {
        await sharp(Buffer.alloc(8 * 8 * 3, i * 10 + (c === 'x' ? 0 : 5)), { raw: { width: 8, height: 8, channels: 3 } }).png().toFile(path.join(source, c, `${i}.png`));
      }
    }
    const split = async (seed: number) => {
      const d = await importDataset(source, temp('datasets-'), { testFraction: 0.3, seed });
      const tests = d.entries('test').map((e) => e.path).sort();
      d.close();
      return tests;
    };
    const a = await split(1);
    expect(a.filter((p) => p.startsWith('x/'))).toHaveLength(3);
    expect(a.filter((p) => p.startsWith('y/'))).toHaveLength(3);
    expect(await split(1)).toEqual(a);
    expect(await split(2)).not.toEqual(a);
  });

  it("stores the training split's mean image and RGB covariance, as a float64 brute force computes them", async () => {
    const source = temp('stats-');
    fs.mkdirSync(path.join(source, 'train', 'k'), { recursive: true });
    fs.mkdirSync(path.join(source, 'test', 'k'), { recursive: true });
    for (let i = 0; i < 4; i++) {
      const data = Buffer.alloc(16 * 16 * 3);
      for (let p = 0; p < data.length; p++) data[p] = (p * (i + 3) * 7) % 256;
      await sharp(data, { raw: { width: 16, height: 16, channels: 3 } }).png().toFile(path.join(source, 'train', 'k', `${i}.png`));
    }
    await sharp(Buffer.alloc(16 * 16 * 3, 250), { raw: { width: 16, height: 16, channels: 3 } }).png().toFile(path.join(source, 'test', 'k', 'bright.png'));
    const dataset = await importDataset(source, temp('datasets-'));
    const train = dataset.entries('train').map((e) => dataset.readRecord(e.record));
    const mean = dataset.meanImage();
    for (const p of [0, 1, 777, CACHE_RECORD_BYTES - 1]) expect(mean[p]).toBeCloseTo(train.reduce((s, img) => s + img[p]!, 0) / train.length, 4);
    const n = train.length * CACHE_IMAGE_SIZE * CACHE_IMAGE_SIZE;
    const mu = [0, 1, 2].map((c) => train.reduce((s, img) => { let t = 0; for (let p = c; p < img.length; p += 3) t += img[p]!; return s + t; }, 0) / n);
    const cov = (a: number, b: number) => train.reduce((s, img) => { let t = 0; for (let p = 0; p < img.length; p += 3) t += (img[p + a]! - mu[a]!) * (img[p + b]! - mu[b]!); return s + t; }, 0) / n;
    const stats = dataset.manifest.statistics;
    expect(stats.channelMean.map((m) => Number(m.toFixed(6)))).toEqual(mu.map((m) => Number(m.toFixed(6))));
    for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) expect(stats.covariance[a * 3 + b]).toBeCloseTo(cov(a, b), 6);
    // Eigenpairs: C v = lambda v.
    for (let j = 0; j < 3; j++) {
      for (let r = 0; r < 3; r++) {
        let cv = 0;
        for (let k = 0; k < 3; k++) cv += stats.covariance[r * 3 + k]! * stats.eigenvectors[k * 3 + j]!;
        expect(cv).toBeCloseTo(stats.eigenvalues[j]! * stats.eigenvectors[r * 3 + j]!, 6);
      }
    }
    dataset.close();
  });
});

// Real photographs, when a copy of the Caltech 101 ten-class set sits beside the checkout (not needed to pass).
const REAL = path.resolve(process.cwd(), '..', 'shared', 'data', 'caltech101-10class');
describe.skipIf(!fs.existsSync(REAL))('import of real photographs (skipped without the shared dataset)', () => {
  it('turns greyscale JPEGs into R = G = B and counts every class', async () => {
    const source = temp('real-');
    for (const split of ['train', 'test']) {
      for (const c of ['car_side', 'airplanes', 'Faces_easy']) {
        fs.mkdirSync(path.join(source, split, c), { recursive: true });
        for (const f of fs.readdirSync(path.join(REAL, split, c)).sort().slice(0, split === 'train' ? 5 : 2)) fs.copyFileSync(path.join(REAL, split, c, f), path.join(source, split, c, f));
      }
    }
    const dataset = await importDataset(source, temp('datasets-'));
    expect(dataset.labels).toEqual(['Faces_easy', 'airplanes', 'car_side']); // code-unit order: upper case first
    expect(dataset.manifest.report.counts.map((c) => [c.train, c.test])).toEqual([[5, 2], [5, 2], [5, 2]]);
    for (const e of dataset.manifest.images.filter((x) => x.path.includes('car_side'))) {
      const img = dataset.readRecord(e.record);
      for (let p = 0; p < img.length; p += 3 * 997) expect(img[p]).toBe(img[p + 1]);
    }
    dataset.close();
  });
});
