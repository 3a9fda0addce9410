// Checks the feature file: its byte layout, a round trip, and that truncation or any damaged byte is refused by name.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng';
import { readFeatureStore, writeFeatureStore } from './feature-store';

function tempFile(name: string): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'feature-store-')), name);
}

function randomStore(seed: number, count: number, dimension: number) {
  const rng = new Rng(seed, 'feature-store');
  const features = Float32Array.from({ length: count * dimension }, () => Math.max(0, rng.normal(0, 2)));
  const records = rng.permutation(count * 3).slice(0, count);
  return { dimension, records, features };
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('feature store', () => {
  it('round-trips random features, and writes a length-prefixed JSON header then little-endian float32 rows', () => {
    const file = tempFile('features.bin');
    const store = randomStore(13, 37, 64);
    writeFeatureStore(file, store);
    const back = readFeatureStore(file);
    expect(back.dimension).toBe(64);
    expect(back.records).toEqual(store.records);
    expect(back.features).toEqual(store.features);

    // The layout, read here without the reader.
    const bytes = fs.readFileSync(file);
    const headerLength = bytes.readUInt32LE(0);
    const header = JSON.parse(bytes.toString('utf8', 4, 4 + headerLength));
    expect(header).toMatchObject({ dimension: 64, count: 37, records: store.records });
    const data = bytes.subarray(4 + headerLength);
    expect(data.length).toBe(37 * 64 * 4);
    expect(header.sha256).toBe(createHash('sha256').update(data).digest('hex'));
    for (const i of [0, 1, 1000, 37 * 64 - 1]) expect(data.readFloatLE(i * 4)).toBe(store.features[i]);
    // The temporary file was renamed away.
    expect(fs.readdirSync(path.dirname(file))).toEqual(['features.bin']);
  });

  it('replaces an existing file, and stores an empty set', () => {
    const file = tempFile('features.bin');
    writeFeatureStore(file, randomStore(14, 5, 8));
    writeFeatureStore(file, { dimension: 4096, records: [], features: new Float32Array(0) });
    expect(readFeatureStore(file)).toEqual({ dimension: 4096, records: [], features: new Float32Array(0) });
  });

  it('refuses a truncated file, naming it', () => {
    const file = tempFile('features.bin');
    writeFeatureStore(file, randomStore(15, 6, 10));
    const bytes = fs.readFileSync(file);
    const headerLength = bytes.readUInt32LE(0);
    for (const length of [bytes.length - 1, bytes.length - 40, 4 + headerLength, 4 + headerLength - 1, 3, 0]) {
      fs.writeFileSync(file, bytes.subarray(0, length));
      expect(() => readFeatureStore(file)).toThrow(new RegExp(`Feature file '${escape(file)}' is truncated.*alexnet features`));
    }
    fs.writeFileSync(file, Buffer.concat([bytes, Buffer.from([0, 0, 0, 0])]));
    expect(() => readFeatureStore(file)).toThrow(new RegExp(`'${escape(file)}' is corrupted`));
  });

  it('refuses the file when any one byte is altered, naming it', () => {
    const file = tempFile('features.bin');
    writeFeatureStore(file, randomStore(16, 4, 6));
    const good = fs.readFileSync(file);
    for (const mask of [0x01, 0x20, 0x80]) {
      for (let at = 0; at < good.length; at++) {
        const bad = Buffer.from(good);
        bad[at] = bad[at]! ^ mask;
        fs.writeFileSync(file, bad);
        expect(() => readFeatureStore(file), `byte ${at} ^ ${mask}`).toThrow(new RegExp(`Feature file '${escape(file)}' is (corrupted|truncated)`));
      }
    }
    fs.writeFileSync(file, good);
    expect(readFeatureStore(file).records).toHaveLength(4);
  });

  it('refuses features that do not make whole rows, and records that are not whole numbers', () => {
    const file = tempFile('features.bin');
    expect(() => writeFeatureStore(file, { dimension: 4, records: [0, 1], features: new Float32Array(7) })).toThrow(/7 feature values do not make 2 rows of 4; expected 8/);
    expect(() => writeFeatureStore(file, { dimension: 1, records: [0, 1.5], features: new Float32Array(2) })).toThrow(/Record 1.5 at row 1/);
    expect(() => writeFeatureStore(file, { dimension: 1, records: [-0.5, 1], features: new Float32Array(2) })).toThrow('Record -0.5 at row 0 is not a whole number.');
    expect(() => writeFeatureStore(file, { dimension: 0, records: [], features: new Float32Array(0) })).toThrow(/Feature dimension 0/);
    expect(fs.readdirSync(path.dirname(file))).toEqual([]);
  });
});
