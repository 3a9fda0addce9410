// A small seeded random number generator (xoshiro128**) whose whole state can be saved and restored.
//
// Every random choice in the engine (split, data order, crops, flips, colour noise, dropout masks, initial
// weights) comes from an Rng derived from the run's seed and a purpose, so the same seed gives the same run on
// the same backend, and a checkpoint can record exactly where the randomness stood.

/** The four 32-bit words of xoshiro128** state. */
export type RngState = [number, number, number, number];

/** Mixes a 32-bit value (the finaliser of MurmurHash3): used to spread seeds and keys over the state. */
function mix32(value: number): number {
  let h = value >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Hashes a string to 32 bits (FNV-1a), so that purposes can be named. */
function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class Rng {
  private s: RngState;
  /** A second normal deviate from Box-Muller, kept for the next call. */
  private spareNormal: number | undefined;

  /**
   * @param seed any integer; the same seed and keys give the same stream.
   * @param keys names or numbers that pick an independent stream for one purpose, e.g. ('crops', epoch).
   */
  constructor(seed: number, ...keys: (string | number)[]) {
    if (!Number.isFinite(seed)) throw new Error(`Seed ${String(seed)} is not a finite number.`);
    let h = mix32(Math.floor(seed) ^ 0x9e3779b9);
    for (const key of keys) h = mix32(h ^ (typeof key === 'string' ? hashString(key) : mix32(key + 0x7f4a7c15)));
    // Fill the state with splitmix-like steps so that no word is zero.
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      h = (h + 0x9e3779b9) >>> 0;
      words.push(mix32(h) || 1);
    }
    this.s = words as RngState;
  }

  static fromState(state: RngState): Rng {
    const rng = new Rng(0);
    rng.s = [...state] as RngState;
    return rng;
  }

  state(): RngState {
    return [...this.s] as RngState;
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** An integer uniform in [0, n). */
  integer(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new Error(`Rng.integer needs a positive integer bound, got ${n}.`);
    return Math.floor(this.uniform() * n);
  }

  /** A normal deviate with the given mean and standard deviation (Box-Muller). */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== undefined) {
      const z = this.spareNormal;
      this.spareNormal = undefined;
      return mean + std * z;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  /** A Fisher-Yates shuffle of 0..n-1. */
  permutation(n: number): number[] {
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.integer(i + 1);
      const tmp = order[i]!;
      order[i] = order[j]!;
      order[j] = tmp;
    }
    return order;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
