// Where each kernel sits in a tower's grid image (the host draws `columns` cells of `cell` pixels, `padding` apart and
// around), the kernel under a point, and the order of a grid sorted by score.
import type { KernelTower } from '../../../../core/api/contract';

type Grid = Pick<KernelTower, 'columns' | 'cell' | 'padding' | 'width' | 'height'>;

/** The grid position (row-major) under image pixel (x, y), or null over padding or past the last cell. */
export function positionAt(grid: Grid, x: number, y: number, cells: number): number | null {
  const pitch = grid.cell + grid.padding;
  const column = Math.floor((x - grid.padding) / pitch);
  const row = Math.floor((y - grid.padding) / pitch);
  if (column < 0 || row < 0 || column >= grid.columns) return null;
  if (x - grid.padding - column * pitch >= grid.cell || y - grid.padding - row * pitch >= grid.cell) return null;
  const position = row * grid.columns + column;
  return position < cells ? position : null;
}

/** The image pixels of the cell at a grid position: its left and top edge; each side is `cell` long. */
export function cellOrigin(grid: Grid, position: number): { x: number; y: number } {
  const pitch = grid.cell + grid.padding;
  return { x: grid.padding + (position % grid.columns) * pitch, y: grid.padding + Math.floor(position / grid.columns) * pitch };
}

/** Kernel indices by falling score (ties by index): what each grid position shows when sorted. */
export function byFallingScore(scores: readonly number[]): number[] {
  return scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
}
