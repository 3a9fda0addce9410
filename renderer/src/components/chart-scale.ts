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

/** Maps [domain0, domain1] (both above 0) onto [range0, range1] on a log scale; values at or below 0 map to NaN. */
export function logarithmic(domain: [number, number], range: [number, number]): (value: number) => number {
  const toLog = linear([Math.log10(domain[0]), Math.log10(domain[1])], range);
  return (value) => (value > 0 ? toLog(Math.log10(value)) : Number.NaN);
}

/**
 * Ticks of a log axis over [min, max] (both above 0): 1, 2 and 5 times each power of ten inside, the decades alone
 * over more than three, and the linear axis' ticks over less than one decade (a loss from 1.5 to 2.6, say).
 */
export function logTicks(min: number, max: number): number[] {
  if (!(min > 0) || !(max > min)) return [min];
  const ticks: number[] = [];
  const decades = Math.log10(max) - Math.log10(min);
  if (decades < 1) return niceTicks(min, max, 4);
  const multiples = decades > 3 ? [1] : [1, 2, 5];
  for (let power = Math.floor(Math.log10(min)); power <= Math.ceil(Math.log10(max)); power++) {
    for (const m of multiples) {
      const t = Number((m * 10 ** power).toPrecision(12));
      if (t >= min * (1 - 1e-9) && t <= max * (1 + 1e-9)) ticks.push(t);
    }
  }
  return ticks.length >= 2 ? ticks : [min, max];
}

/**
 * TensorBoard's smoothing: an exponential moving average with `weight` (0: none, up to 0.999), debiased so that the
 * first points are not pulled towards 0. Non-finite values are passed through and do not enter the average.
 */
export function smooth(points: readonly Point[], weight: number): Point[] {
  if (weight <= 0) return [...points];
  let last = 0;
  let count = 0;
  return points.map((p) => {
    if (!Number.isFinite(p.y)) return p;
    last = last * weight + (1 - weight) * p.y;
    count++;
    return { x: p.x, y: last / (1 - weight ** count) };
  });
}
