// Checks the seeded generator: reproducible, independent streams per purpose, restorable state, sound distributions.
import { describe, expect, it } from 'vitest';
import { Rng } from './rng';

describe('Rng', () => {
  it('gives the same stream for the same seed and keys, and different streams otherwise', () => {
    const draw = (r: Rng) => Array.from({ length: 8 }, () => r.nextUint32());
    expect(draw(new Rng(1, 'crop', 3))).toEqual(draw(new Rng(1, 'crop', 3)));
    expect(draw(new Rng(1, 'crop', 3))).not.toEqual(draw(new Rng(1, 'crop', 4)));
    expect(draw(new Rng(1, 'crop', 3))).not.toEqual(draw(new Rng(2, 'crop', 3)));
    expect(draw(new Rng(1, 'crop'))).not.toEqual(draw(new Rng(1, 'flip')));
  });

  it('restores its state exactly', () => {
    const a = new Rng(5);
    for (let i = 0; i < 10; i++) a.nextUint32();
    const b = Rng.fromState(a.state());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(Array.from({ length: 5 }, () => a.nextUint32()));
  });

  it('draws uniform integers, normal deviates and permutations with the right statistics', () => {
    const r = new Rng(11);
    const counts = new Array(10).fill(0);
    const n = 50000;
    for (let i = 0; i < n; i++) counts[r.integer(10)]++;
    for (const c of counts) expect(Math.abs(c - n / 10)).toBeLessThan(5 * Math.sqrt(n / 10));
    let sum = 0;
    let squares = 0;
    for (let i = 0; i < n; i++) {
      const z = r.normal(2, 0.5);
      sum += z;
      squares += z * z;
    }
    const mean = sum / n;
    expect(mean).toBeCloseTo(2, 1);
    expect(Math.sqrt(squares / n - mean * mean)).toBeCloseTo(0.5, 1);
    const p = r.permutation(100);
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(p).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('refuses bad bounds and seeds', () => {
    expect(() => new Rng(Number.NaN)).toThrow(/Seed NaN/);
    expect(() => new Rng(1).integer(0)).toThrow(/positive integer bound, got 0/);
  });
});
