// Checks the run log's thinning of step metrics: every step early on, fewer later, never an epoch's last step lost.
import { describe, expect, it } from 'vitest';
import { stepKept } from './recorder';

describe('step metrics kept in the run log', () => {
  it('keeps every step up to 10,000, then every 10th up to 100,000, then every 100th, and every epoch end', () => {
    const kept = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i).filter((s) => stepKept(s, false)).length;
    expect(kept(1, 10_000)).toBe(10_000);
    expect(kept(10_001, 100_000)).toBe(9_000);
    expect(kept(100_001, 1_000_000)).toBe(9_000);
    expect(stepKept(123_457, true)).toBe(true);
    expect(stepKept(123_457, false)).toBe(false);
  });
});
