// Eigen-decomposition of a small symmetric matrix by cyclic Jacobi rotations (for the 3x3 RGB covariance).

/** Sweeps before giving up; cyclic Jacobi converges quadratically, so a 3x3 matrix needs about 5. */
const MAX_SWEEPS = 64;

/**
 * Returns the eigenvalues in descending order and the eigenvectors as the columns of a row-major n x n matrix
 * (column j belongs to values[j]). `matrix` is row-major and must be symmetric. Each eigenvector is scaled to unit
 * length, and its entry of largest magnitude is made positive so that the result does not depend on rounding.
 */
export function symmetricEigen(matrix: ArrayLike<number>, n: number): { values: number[]; vectors: number[] } {
  if (!Number.isInteger(n) || n < 1) throw new Error(`Matrix size ${n} is not allowed; use a whole number of at least 1.`);
  if (matrix.length !== n * n) throw new Error(`A ${n}x${n} matrix needs ${n * n} entries; got ${matrix.length}.`);
  const a = Array.from(matrix, Number);
  let norm = 0;
  for (let i = 0; i < n * n; i++) {
    if (!Number.isFinite(a[i])) throw new Error(`Matrix entry (${Math.floor(i / n)}, ${i % n}) is ${a[i]}; expected a finite number.`);
    norm += a[i]! * a[i]!;
  }
  norm = Math.sqrt(norm);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const difference = Math.abs(a[i * n + j]! - a[j * n + i]!);
      if (difference > 1e-12 * Math.max(norm, Number.MIN_VALUE)) {
        throw new Error(`The matrix is not symmetric: entry (${i}, ${j}) is ${a[i * n + j]} but (${j}, ${i}) is ${a[j * n + i]}.`);
      }
    }
  }
  // Work on the exactly symmetric average, so that the rotations below may update both triangles.
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) a[i * n + j] = a[j * n + i] = (a[i * n + j]! + a[j * n + i]!) / 2;
  }
  const v: number[] = Array.from({ length: n * n }, (_, k) => (Math.floor(k / n) === k % n ? 1 : 0));
  // Stop when what is left off the diagonal is rounding noise relative to the whole matrix.
  const tolerance = (Number.EPSILON * norm) ** 2;
  let converged = n === 1 || norm === 0;
  for (let sweep = 0; sweep < MAX_SWEEPS && !converged; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q]! ** 2;
    if (off <= tolerance) {
      converged = true;
      break;
    }
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (apq === 0) continue;
        // The rotation angle that zeroes a[p][q] (Golub and Van Loan, algorithm 8.5.1), in its stable form.
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // A <- J^T A J and V <- V J for the rotation J in the (p, q) plane: columns, then rows.
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  if (!converged) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q]! ** 2;
    // Rounding can keep the last rotations from reaching the bound exactly; only a real failure is refused.
    if (off > (1e-10 * norm) ** 2) throw new Error(`Jacobi eigen-decomposition of a ${n}x${n} matrix did not converge in ${MAX_SWEEPS} sweeps.`);
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j * n + j]! - a[i * n + i]! || i - j);
  const values = order.map((i) => a[i * n + i]!);
  const vectors = new Array<number>(n * n).fill(0);
  order.forEach((from, to) => {
    let largest = 0;
    for (let k = 0; k < n; k++) if (Math.abs(v[k * n + from]!) > Math.abs(largest)) largest = v[k * n + from]!;
    const sign = largest < 0 ? -1 : 1;
    for (let k = 0; k < n; k++) vectors[k * n + to] = sign * v[k * n + from]!;
  });
  return { values, vectors };
}
