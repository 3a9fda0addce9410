// The paper's two looks inside, as numbers: Figure 3's split of conv1 into a colour-agnostic and a colour-specific
// tower (each tower's mean colour specificity after every epoch, and after the last against random kernels, the
// tower's own start and a permutation test of the split), and Figure 4's claim that fc7 neighbours share the
// query's class far more often than raw-pixel neighbours do (precision@k over the test split, exact search).
import type { ColourBaseline } from '../api/contract';
import { colourBaseline, runInitialConv1 } from '../inspect/colour-baseline';
import { kernelScores, type KernelShape } from '../inspect/kernels';
import type { KernelSnapshotRow, RunRow } from '../runlog/run-log';

export interface TowerHistory {
  /** After which epoch (from the run's kernel snapshots). */
  epochs: number[];
  /** Each tower's mean colour specificity after each of those epochs: [tower][snapshot]. */
  towers: number[][];
}

/** Figure 3 over training: the towers' mean colour-specificity scores at every kernel snapshot of a run. */
export function towerHistory(snapshots: readonly KernelSnapshotRow[]): TowerHistory {
  const epochs: number[] = [];
  const towers: number[][] = [];
  for (const snapshot of snapshots) {
    const shape = snapshot.shape as KernelShape;
    const perTower = shape.reduce((a, b) => a * b, 1);
    const all = new Float32Array(snapshot.data.buffer.slice(snapshot.data.byteOffset, snapshot.data.byteOffset + snapshot.data.byteLength));
    epochs.push(snapshot.epoch);
    for (let t = 0; t * perTower < all.length; t++) {
      const scores = kernelScores(all.subarray(t * perTower, (t + 1) * perTower), shape);
      (towers[t] ??= []).push(scores.reduce((a, b) => a + b, 0) / scores.length);
    }
  }
  return { epochs, towers };
}

/**
 * Figure 3 after the last epoch against its baselines: the newest snapshot's towers beside random kernels and beside
 * the same towers at step 0 (regenerated from the run's settings and seed), and the permutation test of their split.
 * Undefined for a run without snapshots.
 */
export function towerColour(snapshots: readonly KernelSnapshotRow[], run: Pick<RunRow, 'config' | 'seed'>): ColourBaseline | undefined {
  const last = snapshots.at(-1);
  if (!last) return undefined;
  const shape = last.shape as KernelShape;
  const perTower = shape.reduce((a, b) => a * b, 1);
  const all = new Float32Array(last.data.buffer.slice(last.data.byteOffset, last.data.byteOffset + last.data.byteLength));
  const initial = runInitialConv1(run);
  const towers = Array.from({ length: all.length / perTower }, (_, t) => ({ tower: 'ab'[t] ?? String(t), weights: all.subarray(t * perTower, (t + 1) * perTower), initial: initial?.[t] }));
  return colourBaseline(towers, shape);
}

/**
 * Precision@k of nearest-neighbour retrieval: for each query, the share of its k nearest database rows (`found`, an
 * exact search's lists, nearest first, at least max(ks) long) whose label is the query's, averaged over the queries;
 * one figure per k asked for.
 */
export function precisionAtK(found: readonly { index: number }[][], queryLabels: ArrayLike<number>, databaseLabels: ArrayLike<number>, ks: readonly number[]): number[] {
  return ks.map((k) => {
    let share = 0;
    found.forEach((list, q) => {
      const top = list.slice(0, k);
      share += top.filter((n) => databaseLabels[n.index] === queryLabels[q]).length / top.length;
    });
    return share / found.length;
  });
}
