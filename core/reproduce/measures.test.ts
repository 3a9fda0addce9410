// Checks Figure 3's measure after the last epoch: it reads the newest snapshot's towers in the order the recorder
// wrote them, and takes the baseline from the run's own settings and seed.
import { describe, expect, it } from 'vitest';
import { initialConv1 } from '../inspect/colour-baseline';
import { kernelScores, type KernelShape } from '../inspect/kernels';
import { quickConfig } from '../model/config';
import type { KernelSnapshotRow } from '../runlog/run-log';
import { towerColour } from './measures';

const config = quickConfig(3);
const shape: KernelShape = [11, 11, 3, 12];
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

/** A snapshot as the recorder stores one: each tower's HWIO block in turn. */
function snapshot(epoch: number, towers: Float32Array[]): KernelSnapshotRow {
  return { runId: 'r', epoch, step: epoch * 10, shape, data: Buffer.concat(towers.map((t) => Buffer.from(t.buffer, t.byteOffset, t.byteLength))) };
}

describe("Figure 3 after a run's last epoch", () => {
  it('reads the newest snapshot, tower a first, against the towers as the seed drew them at step 0', () => {
    const start = initialConv1(config, 'he-normal', 4);
    // Tower b made grey (R = G = B) after training: its score falls to 0, tower a keeps its start.
    const grey = Float32Array.from(start[1]!, (_, i) => start[1]![i - (i % (3 * 12)) + (i % 12)]!);
    const run = { config: { model: config, recipe: { initialisation: 'he-normal' } }, seed: 4 };
    const colour = towerColour([snapshot(1, start), snapshot(2, [start[0]!, grey])], run)!;
    expect(colour.towers.map((t) => t.tower)).toEqual(['a', 'b']);
    expect(colour.towers[0]!.score).toBeCloseTo(mean(kernelScores(start[0]!, shape)), 12);
    expect(colour.towers[0]!.initialScore).toBeCloseTo(colour.towers[0]!.score, 12);
    expect(colour.towers[1]!.initialScore).toBeCloseTo(mean(kernelScores(start[1]!, shape)), 12);
    expect(colour.towers[1]!.score).toBeCloseTo(0, 12);
    expect(colour.split).toMatchObject({ moreSpecific: 'a', significant: true });
  });

  it('has no baseline for a run whose settings name no initialisation, and nothing without snapshots', () => {
    const start = initialConv1(config, 'paper', 1);
    const colour = towerColour([snapshot(1, start)], { config: { model: config }, seed: 1 })!;
    expect(colour.towers.map((t) => t.initialScore)).toEqual([null, null]);
    expect(towerColour([], { config: { model: config, recipe: { initialisation: 'paper' } }, seed: 1 })).toBeUndefined();
  });
});
