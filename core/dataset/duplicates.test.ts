// Checks the duplicate search: thumbnails against a float64 block average, groups against a brute force over every
// pair, and real photos found again after re-saving, resizing and bit-depth changes, with no false match among them.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng';
import { decodeImageBytes } from './decode';
import { findDuplicates, isLabelConflict, NEAR_DIFFERENCE, pixelSignature, THUMBNAIL_SIDE, thumbnailDifference, type DuplicateCandidate } from './duplicates';
import { CACHE_IMAGE_SIZE, CACHE_RECORD_BYTES } from './types';

const DEMO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'resources', 'demo-dataset');

function randomRecord(rng: Rng): Uint8Array {
  const record = new Uint8Array(CACHE_RECORD_BYTES);
  for (let i = 0; i < record.length; i++) record[i] = Math.floor(rng.uniform() * 256);
  return record;
}

/** A candidate with this thumbnail (the pixel hash and file hash given, so that only the near search can join it). */
const candidate = (name: string, thumbnail: Float32Array, sha256 = name, pixels = name, className = 'a'): DuplicateCandidate => ({ path: name, className, sha256, signature: { pixels, thumbnail } });

/** Connected components of the pair graph, by brute force over every pair: each component's paths, sorted. */
function bruteForceGroups(candidates: DuplicateCandidate[]): string[][] {
  const n = candidates.length;
  const component = Array.from({ length: n }, (_, i) => i);
  const root = (i: number): number => (component[i] === i ? i : root(component[i]!));
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const a = candidates[i]!;
      const b = candidates[j]!;
      let sum = 0;
      for (let k = 0; k < a.signature.thumbnail.length; k++) sum += Math.abs(a.signature.thumbnail[k]! - b.signature.thumbnail[k]!);
      if (a.sha256 === b.sha256 || a.signature.pixels === b.signature.pixels || sum / a.signature.thumbnail.length <= NEAR_DIFFERENCE) component[root(j)] = root(i);
    }
  }
  const groups = new Map<number, string[]>();
  candidates.forEach((c, i) => groups.set(root(i), [...(groups.get(root(i)) ?? []), c.path]));
  return [...groups.values()].filter((g) => g.length > 1).map((g) => g.sort()).sort((x, y) => (x[0]! < y[0]! ? -1 : 1));
}

describe('pixelSignature', () => {
  it("averages each 16x16 block's channels, as a float64 sum over the block finds", () => {
    const record = randomRecord(new Rng(4, 'thumbnail'));
    const { thumbnail, pixels } = pixelSignature(record);
    expect(thumbnail).toHaveLength(THUMBNAIL_SIDE * THUMBNAIL_SIDE * 3);
    const block = CACHE_IMAGE_SIZE / THUMBNAIL_SIDE;
    for (const [bx, by, c] of [[0, 0, 0], [15, 0, 1], [0, 15, 2], [7, 9, 0], [15, 15, 2], [3, 12, 1]] as const) {
      let sum = 0;
      for (let y = by * block; y < (by + 1) * block; y++) for (let x = bx * block; x < (bx + 1) * block; x++) sum += record[(y * CACHE_IMAGE_SIZE + x) * 3 + c]!;
      expect(thumbnail[(by * THUMBNAIL_SIDE + bx) * 3 + c], `block ${bx},${by} channel ${c}`).toBeCloseTo(sum / (block * block), 3);
    }
    expect(pixels).toMatch(/^[0-9a-f]{64}$/);
    const changed = record.slice();
    changed[CACHE_RECORD_BYTES - 1]! ^= 1;
    expect(pixelSignature(changed).pixels).not.toBe(pixels);
    expect(() => pixelSignature(new Uint8Array(10))).toThrow(/has 196608 bytes; got 10/);
  });
});

describe('findDuplicates', () => {
  it('finds exactly the groups a brute force over every pair finds, chains included', () => {
    const rng = new Rng(9, 'duplicates');
    for (let trial = 0; trial < 20; trial++) {
      const candidates: DuplicateCandidate[] = [];
      // A few base pictures, each with copies nudged by up to about twice the threshold: some join, some do not.
      for (let b = 0; b < 12; b++) {
        const base = Float32Array.from({ length: 768 }, () => rng.uniform() * 255);
        const level = rng.uniform() * 40; // bases close in mean, so that the windowed search has to look beyond the first
        for (let i = 0; i < base.length; i++) base[i] = Math.min(255, base[i]! * 0.2 + 100 + level);
        const copies = 1 + Math.floor(rng.uniform() * 4);
        for (let c = 0; c < copies; c++) {
          const shift = rng.uniform() * 2 * NEAR_DIFFERENCE;
          candidates.push(candidate(`${trial}-${b}-${c}`, base.map((v) => v + (rng.uniform() < 0.5 ? -shift : shift))));
        }
      }
      // Two with equal file bytes and two with equal pixels but far-apart thumbnails (only the hashes can join them).
      candidates.push(candidate('files-1', new Float32Array(768).fill(0), 'same-bytes'), candidate('files-2', new Float32Array(768).fill(255), 'same-bytes'));
      candidates.push(candidate('pixels-1', new Float32Array(768).fill(10), 'x1', 'same-pixels'), candidate('pixels-2', new Float32Array(768).fill(240), 'x2', 'same-pixels'));
      const found = findDuplicates(candidates).map((g) => g.images.map((i) => i.path));
      expect(found, `trial ${trial}`).toEqual(bruteForceGroups(candidates));
    }
  });

  it('names how the images of a group are the same, and whether it spans classes', () => {
    const t = (v: number) => new Float32Array(768).fill(v);
    const groups = findDuplicates([
      candidate('a/1.jpg', t(50), 'bytes', 'p1'),
      candidate('b/1.jpg', t(50), 'bytes', 'p1', 'b'),
      candidate('a/2.png', t(100), 'f2', 'p2'),
      candidate('a/2.jpg', t(100), 'f3', 'p2'),
      candidate('a/3.png', t(150), 'f4', 'p3'),
      candidate('a/3-small.jpg', t(150 + NEAR_DIFFERENCE), 'f5', 'p4'),
      candidate('a/4.png', t(200), 'f6', 'p5'),
      candidate('a/5.png', t(200 + NEAR_DIFFERENCE + 0.01), 'f7', 'p6'),
    ]);
    expect(groups.map((g) => [g.kind, g.images.map((i) => i.path), isLabelConflict(g)])).toEqual([
      ['files', ['a/1.jpg', 'b/1.jpg'], true],
      ['pixels', ['a/2.jpg', 'a/2.png'], false],
      ['near', ['a/3-small.jpg', 'a/3.png'], false],
    ]);
    expect(thumbnailDifference(t(1), t(4))).toBe(3);
  });

  it('finds real photos again re-saved, resized and at 16 bits, and matches no two different photos', async () => {
    const files = ['train/Leopards', 'train/watch', 'train/airplanes', 'test/Motorbikes'].flatMap((dir) =>
      fs.readdirSync(path.join(DEMO, dir)).sort().slice(0, 12).map((f) => path.join(DEMO, dir, f)),
    );
    const candidates: DuplicateCandidate[] = [];
    const add = async (name: string, bytes: Buffer) => {
      const decoded = await decodeImageBytes(bytes, name);
      candidates.push({ path: name, className: name.split('/')[0]!, sha256: name, signature: pixelSignature(decoded.pixels) });
    };
    for (const file of files) await add(path.relative(DEMO, file), fs.readFileSync(file));
    const [leopard, watch, plane] = [files[0]!, files[12]!, files[24]!];
    await add('copies/leopard-q50.jpg', await sharp(leopard).jpeg({ quality: 50 }).toBuffer());
    await add('copies/watch-small.jpg', await sharp(watch).resize({ width: 200 }).jpeg({ quality: 80 }).toBuffer());
    // The 16-bit PNG of a JPEG's own decoded pixels: the same 256x256 record, a different file.
    await add('copies/plane-16-bit.png', await sharp(plane).toColourspace('rgb16').png().toBuffer());
    const groups = findDuplicates(candidates);
    expect(groups.map((g) => [g.kind, g.images.map((i) => i.path)])).toEqual([
      ['pixels', ['copies/plane-16-bit.png', path.relative(DEMO, plane)]],
      ['near', ['copies/leopard-q50.jpg', path.relative(DEMO, leopard)]],
      ['near', ['copies/watch-small.jpg', path.relative(DEMO, watch)]],
    ].sort((a, b) => (a[1]![0]! < b[1]![0]! ? -1 : 1)));
  });
});
