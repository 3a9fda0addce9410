// Checks the grid geometry against the host's layout (core/inspect/kernels.ts draws it) and the sort order.
import { describe, expect, it } from 'vitest';
import { byFallingScore, cellOrigin, positionAt } from './kernel-grid';

// 10 kernels of 12x12 pixels in 4 columns, 2 pixels apart: 3 rows; the image is 2 + 4 x 14 wide, 2 + 3 x 14 high.
const GRID = { columns: 4, cell: 12, padding: 2, width: 58, height: 44 };

describe('kernel grid', () => {
  it('finds the cell under a pixel, none over padding or past the last kernel', () => {
    expect(positionAt(GRID, 2, 2, 10)).toBe(0);
    expect(positionAt(GRID, 13, 13, 10)).toBe(0);
    expect(positionAt(GRID, 14, 5, 10)).toBeNull(); // padding between columns 0 and 1
    expect(positionAt(GRID, 16, 5, 10)).toBe(1);
    expect(positionAt(GRID, 2 + 3 * 14 + 11, 2 + 14, 10)).toBe(7);
    expect(positionAt(GRID, 2 + 2 * 14, 2 + 2 * 14, 10)).toBeNull(); // position 10: no kernel
    expect(positionAt(GRID, 1, 5, 10)).toBeNull();
    expect(positionAt(GRID, 57, 5, 10)).toBeNull();
  });

  it('places each cell where positionAt finds it', () => {
    for (let p = 0; p < 10; p++) {
      const { x, y } = cellOrigin(GRID, p);
      expect([positionAt(GRID, x, y, 10), positionAt(GRID, x + 11, y + 11, 10), positionAt(GRID, x - 1, y, 10)]).toEqual([p, p, null]);
    }
  });

  it('sorts by falling score, ties in index order', () => {
    expect(byFallingScore([0.2, 0.9, 0.5, 0.9, 0.1])).toEqual([1, 3, 2, 0, 4]);
  });
});
