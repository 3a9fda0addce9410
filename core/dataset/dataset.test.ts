// Opens imported datasets: reads records and the mean image back, and refuses damaged files with their names.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { listDatasets, openDataset } from './dataset';
import { importDataset } from './import';
import { CACHE_RECORD_BYTES, type DatasetManifest } from './types';

const temp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

/**
 * A class folder of solid images whose first byte (red) tells them apart: value 10 * (i + 1); green is 60 times the
 * class's index, so that no two classes hold the same picture (that would be a label conflict, kept out of test).
 */
async function makeSource(classes: string[], perClass: number): Promise<string> {
  const source = temp('source-');
  for (const [ci, c] of classes.entries()) {
    fs.mkdirSync(path.join(source, c));
    for (let i = 0; i < perClass; i++) {
      const pixels = Buffer.alloc(16 * 16 * 3);
      for (let p = 0; p < 16 * 16; p++) pixels.set([10 * (i + 1), 60 * ci, 10 * (i + 1)], p * 3);
      await sharp(pixels, { raw: { width: 16, height: 16, channels: 3 } }).png().toFile(path.join(source, c, `${i}.png`));
    }
  }
  return source;
}

/** Copies a dataset folder, so that each test can damage its own copy. */
function copyOf(dir: string): string {
  const copy = path.join(temp('copy-'), path.basename(dir));
  fs.cpSync(dir, copy, { recursive: true });
  return copy;
}

describe('Dataset', () => {
  let dir: string;
  let root: string;
  beforeAll(async () => {
    root = temp('datasets-');
    dir = (await importDataset(await makeSource(['a', 'b'], 4), root, { testFraction: 0.25, seed: 2 })).dir;
  });

  it('reads records singly and in any order, back to back, through one descriptor', () => {
    const dataset = openDataset(dir);
    const n = dataset.manifest.images.length;
    expect(n).toBe(8);
    const order = [3, 4, 5, 0, 7, 7, 1];
    const all = dataset.readRecords(order);
    expect(all.length).toBe(order.length * CACHE_RECORD_BYTES);
    const cache = fs.readFileSync(path.join(dir, 'images.u8'));
    order.forEach((r, i) => {
      const one = dataset.readRecord(r);
      expect(Buffer.compare(Buffer.from(one), cache.subarray(r * CACHE_RECORD_BYTES, (r + 1) * CACHE_RECORD_BYTES))).toBe(0);
      expect(Buffer.compare(Buffer.from(all.subarray(i * CACHE_RECORD_BYTES, (i + 1) * CACHE_RECORD_BYTES)), Buffer.from(one))).toBe(0);
    });
    // Into a caller's buffer, at an offset; one that is too small is refused.
    const big = new Uint8Array(3 * CACHE_RECORD_BYTES);
    dataset.readRecords([2, 6], big.subarray(CACHE_RECORD_BYTES));
    expect(big[0]).toBe(0);
    expect(big[CACHE_RECORD_BYTES]).toBe(cache[2 * CACHE_RECORD_BYTES]);
    expect(() => dataset.readRecords([0, 1], new Uint8Array(CACHE_RECORD_BYTES))).toThrow(/cannot hold 2 records/);
    expect(() => dataset.readRecord(8)).toThrow(/Record 8 is not in the image cache '.*images\.u8', which holds records 0 to 7\./);
    expect(() => dataset.readRecord(-1)).toThrow(/Record -1 is not in the image cache/);
    dataset.close();
    // Reading after close opens the file again.
    expect(dataset.readRecord(1).length).toBe(CACHE_RECORD_BYTES);
    dataset.close();
  });

  it('gives the entries of each split in path order and the labels in label order', () => {
    const dataset = openDataset(dir);
    expect(dataset.labels).toEqual(['a', 'b']);
    const train = dataset.entries('train');
    const test = dataset.entries('test');
    expect([train.length, test.length]).toEqual([6, 2]);
    expect(train.map((e) => e.path)).toEqual([...train.map((e) => e.path)].sort());
    expect(test.map((e) => dataset.labels[e.label])).toEqual(['a', 'b']);
    for (const e of [...train, ...test]) expect(dataset.readRecord(e.record)[0]).toBe(10 * (Number(path.basename(e.path, '.png')) + 1));
  });

  it('reads the mean image of the training split, the same object each time', () => {
    const dataset = openDataset(dir);
    const mean = dataset.meanImage();
    expect(mean.length).toBe(CACHE_RECORD_BYTES);
    const train = dataset.entries('train').map((e) => dataset.readRecord(e.record)[0]!);
    expect(mean[0]).toBeCloseTo(train.reduce((s, v) => s + v, 0) / train.length, 5);
    expect(dataset.meanImage()).toBe(mean);
    dataset.close();
  });

  it('refuses a damaged dataset and names the file at fault', () => {
    const truncated = copyOf(dir);
    fs.truncateSync(path.join(truncated, 'images.u8'), 7 * CACHE_RECORD_BYTES + 5);
    expect(() => openDataset(truncated)).toThrow(/^Image cache '.*images\.u8' holds 7 records; the manifest needs 8\. Import the folder again\.$/);
    const noCache = copyOf(dir);
    fs.rmSync(path.join(noCache, 'images.u8'));
    expect(() => openDataset(noCache)).toThrow(/images\.u8' is missing/);
    const shortMean = copyOf(dir);
    fs.truncateSync(path.join(shortMean, 'mean.f32'), 100);
    expect(() => openDataset(shortMean)).toThrow(/^Mean image '.*mean\.f32' has 100 bytes; expected 786432/);
    const edit = (change: (m: DatasetManifest) => unknown) => {
      const copy = copyOf(dir);
      const file = path.join(copy, 'manifest.json');
      const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as DatasetManifest;
      change(manifest);
      fs.writeFileSync(file, JSON.stringify(manifest));
      return copy;
    };
    expect(() => openDataset(edit((m) => ((m as { version: number }).version = 2)))).toThrow(/manifest '.*manifest\.json' has version 2; this app reads version 1\./);
    expect(() => openDataset(edit((m) => (m.images[0]!.label = 5)))).toThrow(/gives image '.*' the label 5, not one of the 2 labels/);
    expect(() => openDataset(edit((m) => (m.images[0]!.record = 1.5)))).toThrow(/gives image '.*' the record 1\.5/);
    const garbled = copyOf(dir);
    fs.writeFileSync(path.join(garbled, 'manifest.json'), '{"version": 1,');
    expect(() => openDataset(garbled)).toThrow(/^Dataset manifest '.*manifest\.json' cannot be read: /);
    expect(() => openDataset(path.join(root, 'nothing-here'))).toThrow(/manifest\.json' cannot be read: ENOENT/);
  });

  it('lists the datasets under a folder, passing over other folders and handing damaged ones to a callback', async () => {
    const listRoot = temp('list-');
    const first = await importDataset(await makeSource(['x'], 2), listRoot);
    const second = await importDataset(await makeSource(['y', 'z'], 2), listRoot, { name: 'Second' });
    fs.mkdirSync(path.join(listRoot, 'not-a-dataset'));
    fs.cpSync(first.dir, path.join(listRoot, 'zz-damaged'), { recursive: true });
    fs.rmSync(path.join(listRoot, 'zz-damaged', 'mean.f32'));
    const damaged: string[] = [];
    const listed = listDatasets(listRoot, (d, error) => damaged.push(`${path.basename(d)}: ${error.message}`));
    const want = [first.manifest, second.manifest].sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(listed.map((m) => [m.id, m.name, m.labels])).toEqual(want.map((m) => [m.id, m.name, m.labels]));
    expect(listed.find((m) => m.id === second.manifest.id)!.name).toBe('Second');
    expect(damaged).toEqual([expect.stringMatching(/^zz-damaged: Mean image '.*mean\.f32' is missing/)]);
    expect(listDatasets(path.join(listRoot, 'absent'))).toEqual([]);
    first.close();
    second.close();
  });
});
