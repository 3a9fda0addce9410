// The paper's two looks inside, as numbers: Figure 3's split of conv1 into a colour-agnostic and a colour-specific
// tower (each tower's mean colour specificity after every epoch, and after the last against random kernels, the
// tower's own start and a permutation test of the split), and Figure 4's claim that fc7 neighbours share the
// query's class far more often than raw-pixel neighbours do (precision@k over the test split, exact search).
import type { ColourBaseline } from '../api/contract';
import { colourBaseline, runInitialConv1 } from '../inspect/colour-baseline';
import { kernelScores, snapshotTowers } from '../inspect/kernels';
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
    const { shape, towers: weights } = snapshotTowers(snapshot);
    epochs.push(snapshot.epoch);
    weights.forEach((w, t) => {
      const scores = kernelScores(w.weights, shape);
      (towers[t] ??= []).push(scores.reduce((a, b) => a + b, 0) / scores.length);
    });
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
  const { shape, towers } = snapshotTowers(last);
  const initial = runInitialConv1(run, snapshots);
  return colourBaseline(towers.map((t, i) => ({ ...t, initial: initial?.[i] })), shape);
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
