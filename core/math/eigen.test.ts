// Checks the Jacobi eigen-decomposition against its defining equations and a closed-form 3x3 reference.
import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng';
import { symmetricEigen } from './eigen';

function randomSymmetric(rng: Rng, n: number, scale: number): number[] {
  const a = new Array<number>(n * n).fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = rng.normal(0, scale);
  }
  return a;
}

/** Largest |x - y| over two arrays. */
const maxError = (x: number[], y: number[]) => x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i]!)), 0);

/** Eigenvalues of a symmetric 3x3 matrix from its characteristic polynomial (Smith 1961), descending. */
function closedFormEigenvalues3(a: number[]): number[] {
  const [a00, a01, a02, , a11, a12, , , a22] = a as [number, number, number, number, number, number, number, number, number];
  const q = (a00 + a11 + a22) / 3;
  const p1 = a01 * a01 + a02 * a02 + a12 * a12;
  const p2 = (a00 - q) ** 2 + (a11 - q) ** 2 + (a22 - q) ** 2 + 2 * p1;
  const p = Math.sqrt(p2 / 6);
  const b = a.map((x, i) => (x - (i % 4 === 0 ? q : 0)) / p);
  const detB = b[0]! * (b[4]! * b[8]! - b[5]! * b[7]!) - b[1]! * (b[3]! * b[8]! - b[5]! * b[6]!) + b[2]! * (b[3]! * b[7]! - b[4]! * b[6]!);
  const phi = Math.acos(Math.min(1, Math.max(-1, detB / 2))) / 3;
  const largest = q + 2 * p * Math.cos(phi);
  const smallest = q + 2 * p * Math.cos(phi + (2 * Math.PI) / 3);
  return [largest, 3 * q - largest - smallest, smallest];
}

describe('symmetricEigen', () => {
  for (const n of [1, 2, 3, 5, 8]) {
    it(`decomposes random symmetric ${n}x${n} matrices: A v = lambda v, V orthonormal, V diag(lambda) V^T = A`, () => {
      const rng = new Rng(n, 'eigen-test');
      for (let trial = 0; trial < 20; trial++) {
        const a = randomSymmetric(rng, n, trial % 2 === 0 ? 1 : 1000);
        const scale = Math.max(1, ...a.map(Math.abs));
        const { values, vectors } = symmetricEigen(a, n);
        expect(values).toHaveLength(n);
        expect(vectors).toHaveLength(n * n);
        for (let j = 1; j < n; j++) expect(values[j]!).toBeLessThanOrEqual(values[j - 1]!);
        const av: number[] = [];
        const lv: number[] = [];
        const gram: number[] = [];
        const identity: number[] = [];
        const rebuilt: number[] = [];
        for (let r = 0; r < n; r++) {
          for (let j = 0; j < n; j++) {
            let sum = 0;
            for (let k = 0; k < n; k++) sum += a[r * n + k]! * vectors[k * n + j]!;
            av.push(sum);
            lv.push(values[j]! * vectors[r * n + j]!);
            let dot = 0;
            for (let k = 0; k < n; k++) dot += vectors[k * n + r]! * vectors[k * n + j]!;
            gram.push(dot);
            identity.push(r === j ? 1 : 0);
            let back = 0;
            for (let k = 0; k < n; k++) back += vectors[r * n + k]! * values[k]! * vectors[j * n + k]!;
            rebuilt.push(back);
          }
        }
        expect(maxError(av, lv) / scale).toBeLessThan(1e-10);
        expect(maxError(gram, identity)).toBeLessThan(1e-10);
        expect(maxError(rebuilt, a) / scale).toBeLessThan(1e-10);
      }
    });
  }

  it('agrees with the closed-form eigenvalues of 3x3 covariance-like matrices', () => {
    const rng = new Rng(7, 'eigen-covariance');
    for (let trial = 0; trial < 50; trial++) {
      // B B^T is positive semi-definite, like an RGB covariance in the 0..255 scale.
      const b = Array.from({ length: 9 }, () => rng.normal(0, 40));
      const c: number[] = [];
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) c.push(b[i * 3]! * b[j * 3]! + b[i * 3 + 1]! * b[j * 3 + 1]! + b[i * 3 + 2]! * b[j * 3 + 2]!);
      for (let i = 0; i < 3; i++) for (let j = 0; j < i; j++) c[i * 3 + j] = c[j * 3 + i]!;
      const { values } = symmetricEigen(c, 3);
      const reference = closedFormEigenvalues3(c);
      for (let j = 0; j < 3; j++) expect(Math.abs(values[j]! - reference[j]!)).toBeLessThan(1e-7 * reference[0]!);
    }
  });

  it('handles known cases: a 2x2 with eigenvectors (1, 1) and (1, -1), a diagonal, repeated values, zeros', () => {
    const two = symmetricEigen([2, 1, 1, 2], 2);
    expect(two.values[0]).toBeCloseTo(3, 14);
    expect(two.values[1]).toBeCloseTo(1, 14);
    const r = Math.SQRT1_2;
    // Columns: (r, r) for 3; (r, -r) or (-r, r) for 1, whose largest-magnitude entry is made positive.
    expect(Math.abs(two.vectors[0]! - r)).toBeLessThan(1e-14);
    expect(Math.abs(two.vectors[2]! - r)).toBeLessThan(1e-14);
    expect(Math.abs(Math.abs(two.vectors[1]!) - r)).toBeLessThan(1e-14);
    expect(two.vectors[1]! * two.vectors[3]!).toBeLessThan(0);
    const diagonal = symmetricEigen([1, 0, 0, 0, 5, 0, 0, 0, 3], 3);
    expect(diagonal.values).toEqual([5, 3, 1]);
    expect(diagonal.vectors).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0]);
    expect(symmetricEigen([4, 0, 0, 0, 4, 0, 0, 0, 4], 3).values).toEqual([4, 4, 4]);
    expect(symmetricEigen([0, 0, 0, 0], 2)).toEqual({ values: [0, 0], vectors: [1, 0, 0, 1] });
    expect(symmetricEigen([-2], 1)).toEqual({ values: [-2], vectors: [1] });
  });

  it('refuses a matrix of the wrong length, an asymmetric one and one with a non-finite entry', () => {
    expect(() => symmetricEigen([1, 2, 3], 2)).toThrow('A 2x2 matrix needs 4 entries; got 3.');
    expect(() => symmetricEigen([1, 2, 3, 4], 2)).toThrow(/not symmetric: entry \(1, 0\) is 3 but \(0, 1\) is 2/);
    expect(() => symmetricEigen([1, Number.NaN, Number.NaN, 1], 2)).toThrow(/entry \(0, 1\) is NaN/);
    expect(() => symmetricEigen([], 0)).toThrow(/Matrix size 0/);
  });
});
