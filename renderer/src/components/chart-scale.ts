// The arithmetic of the SVG charts: "nice" axis ticks, linear scales, and a series as an SVG path.

export interface Point {
  x: number;
  y: number;
}

/** One line of a chart. */
export interface ChartSeries {
  label: string;
  colour: string;
  /** Sorted by x. */
  points: Point[];
  dashed?: boolean;
  /** Thin lines for dense, noisy data (per-step loss). */
  thin?: boolean;
}

/** Distinct on white and for the common colour-vision deficiencies (Okabe and Ito's palette). */
export const SERIES_COLOURS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#000000', '#f0e442'];

/** About `count` round tick values covering [min, max] (steps of 1, 2 or 5 times a power of ten). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const rough = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** Maps [domain0, domain1] onto [range0, range1]; a zero-width domain maps to the range's middle. */
export function linear(domain: [number, number], range: [number, number]): (value: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  if (d1 === d0) return () => (r0 + r1) / 2;
  return (value) => r0 + ((value - d0) / (d1 - d0)) * (r1 - r0);
}

/** The smallest and largest finite value of `values`, or null when there is none. */
export function extent(values: Iterable<number>): [number, number] | null {
  let low = Infinity;
  let high = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < low) low = v;
    if (v > high) high = v;
  }
  return low <= high ? [low, high] : null;
}

/** An SVG path through the finite points; a gap (NaN, Infinity: a diverged loss) starts a new segment. */
export function pathOf(points: readonly Point[], x: (v: number) => number, y: (v: number) => number): string {
  let d = '';
  let pen = false;
  for (const p of points) {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`;
    pen = true;
  }
  return d;
}

/** The index of the point whose x is nearest `value`, in points sorted by x. */
export function nearestIndex(points: readonly Point[], value: number): number {
  let low = 0;
  let high = points.length - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (points[middle]!.x < value) low = middle + 1;
    else high = middle;
  }
  if (low > 0 && Math.abs(points[low - 1]!.x - value) < Math.abs(points[low]!.x - value)) return low - 1;
  return low;
}
