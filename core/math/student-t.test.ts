import { describe, expect, it } from 'vitest';
import { studentTCdf, studentTQuantile } from './student-t';

describe("Student's t", () => {
  it('gives the two-sided 95 % critical values of the published tables', () => {
    // Critical values t(0.975, df), e.g. NIST/SEMATECH e-Handbook of Statistical Methods, table 1.3.6.7.2.
    const table: [number, number][] = [
      [1, 12.706],
      [2, 4.303],
      [3, 3.182],
      [4, 2.776],
      [5, 2.571],
      [9, 2.262],
      [19, 2.093],
      [30, 2.042],
      [100, 1.984],
    ];
    for (const [df, t] of table) expect(studentTQuantile(0.975, df), `df ${df}`).toBeCloseTo(t, 3);
    // The normal limit.
    expect(studentTQuantile(0.975, 1e6)).toBeCloseTo(1.95996, 4);
    expect(studentTQuantile(0.025, 4)).toBeCloseTo(-2.776, 3);
  });

  it('has the closed-form CDFs of one and two degrees of freedom', () => {
    for (const t of [-7.5, -1, -0.2, 0, 0.3, 1.7, 40]) {
      expect(studentTCdf(t, 1), `df 1, t ${t}`).toBeCloseTo(0.5 + Math.atan(t) / Math.PI, 12); // the Cauchy distribution
      expect(studentTCdf(t, 2), `df 2, t ${t}`).toBeCloseTo(0.5 + t / (2 * Math.sqrt(2 + t * t)), 12);
    }
  });

  it('refuses probabilities and degrees of freedom out of range', () => {
    expect(() => studentTQuantile(1, 3)).toThrow('0 < p < 1; got 1');
    expect(() => studentTQuantile(0.9, 0)).toThrow('degrees of freedom above 0; got 0');
  });
});
