// The paper's two looks inside, as numbers: Figure 3's split of conv1 into a colour-agnostic and a colour-specific
// tower (each tower's mean colour specificity after every epoch), and Figure 4's claim that fc7 neighbours share the
// query's class far more often than raw-pixel neighbours do (precision@k over the test split, exact search).
import { kernelScores, type KernelShape } from '../inspect/kernels';
import type { KernelSnapshotRow } from '../runlog/run-log';

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
