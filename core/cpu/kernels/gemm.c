// Single-precision matrix products: a 4x8 register-blocked micro-kernel over panels of B (Goto's scheme), and the
// BatchMatMul kernel built on it.
//
// The micro-kernel keeps a 4x8 block of C in eight 128-bit registers and, for each k, broadcasts four values of A
// (load-and-splat) and multiplies two vectors of B: 16 vector operations per 6 loads. V8 maps wasm SIMD to 16 xmm
// registers on x86-64, so a larger block would spill.
#include "simd.h"

static inline void store_partial(float* c, int c_col, v128_t lo, v128_t hi, int nr, int accumulate) {
  // Lanes are taken by constant index: a dynamic lane would go through the stack, which this module does not have.
#define LANE(j) ((j) < 4 ? wasm_f32x4_extract_lane(lo, (j) & 3) : wasm_f32x4_extract_lane(hi, (j) & 3))
#define PUT(j) if (nr > (j)) { float x = LANE(j); c[(j) * c_col] = accumulate ? c[(j) * c_col] + x : x; }
  PUT(0) PUT(1) PUT(2) PUT(3) PUT(4) PUT(5) PUT(6) PUT(7)
#undef PUT
#undef LANE
}

static inline void store_row(float* c, int c_col, v128_t lo, v128_t hi, int nr, int accumulate) {
  if (nr == 8 && c_col == 1) {
    if (accumulate) {
      lo = wasm_f32x4_add(wasm_v128_load(c), lo);
      hi = wasm_f32x4_add(wasm_v128_load(c + 4), hi);
    }
    wasm_v128_store(c, lo);
    wasm_v128_store(c + 4, hi);
  } else {
    store_partial(c, c_col, lo, hi, nr, accumulate);
  }
}

/**
 * C[0:mr, 0:nr] (+)= sum over k < kc of a_r[k * a_col] * b[k * b_stride + 0:8]. a0..a3 point at rows of A (rows past
 * mr repeat a valid row); b holds 8 floats per k, `b_stride` apart (8 for a packed panel).
 */
static void micro_4x8(int kc, const float* a0, const float* a1, const float* a2, const float* a3, int a_col,
                      const float* b, int b_stride, float* c, int c_row, int c_col, int mr, int nr, int accumulate) {
  v128_t c00 = wasm_f32x4_splat(0.0f), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (int k = 0; k < kc; k++) {
    v128_t b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4);
    v128_t x0 = wasm_v128_load32_splat(a0), x1 = wasm_v128_load32_splat(a1);
    v128_t x2 = wasm_v128_load32_splat(a2), x3 = wasm_v128_load32_splat(a3);
    c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(x0, b0));
    c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(x0, b1));
    c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(x1, b0));
    c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(x1, b1));
    c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(x2, b0));
    c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(x2, b1));
    c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(x3, b0));
    c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(x3, b1));
    a0 += a_col;
    a1 += a_col;
    a2 += a_col;
    a3 += a_col;
    b += b_stride;
  }
  store_row(c, c_col, c00, c01, nr, accumulate);
  if (mr > 1) store_row(c + c_row, c_col, c10, c11, nr, accumulate);
  if (mr > 2) store_row(c + 2 * c_row, c_col, c20, c21, nr, accumulate);
  if (mr > 3) store_row(c + 3 * c_row, c_col, c30, c31, nr, accumulate);
}

/** Packs op(B)[k0:k0+kc, j0:j0+nr] into one panel of 8 floats per k, zero beyond nr. */
static void pack_panel(const float* B, int b_row, int b_col, int k0, int kc, int j0, int nr, float* panel) {
  const float* src = B + k0 * b_row + j0 * b_col;
  if (b_col == 1 && nr == 8) {
    for (int k = 0; k < kc; k++, src += b_row, panel += 8) {
      wasm_v128_store(panel, wasm_v128_load(src));
      wasm_v128_store(panel + 4, wasm_v128_load(src + 4));
    }
    return;
  }
  for (int k = 0; k < kc; k++, src += b_row, panel += 8) {
    int j = 0;
    for (; j < nr; j++) panel[j] = src[j * b_col];
    for (; j < 8; j++) panel[j] = 0.0f;
  }
}

void gemm_rows(int m0, int m1, int n0, int n1, int K, const float* A, int a_row, int a_col, const float* B, int b_row,
               int b_col, float* C, int c_row, int c_col, int accumulate, float* work) {
  if (m0 >= m1 || n0 >= n1) return;
  if (K == 0) {
    if (!accumulate)
      for (int i = m0; i < m1; i++)
        for (int j = n0; j < n1; j++) C[i * c_row + j * c_col] = 0.0f;
    return;
  }
  // With few rows of C, packing B would cost as much as the product: full panels are read where they lie.
  int direct = (m1 - m0) <= 16 && b_col == 1;
  for (int nb = n0; nb < n1; nb += GEMM_NC) {
    int nc = min_int(GEMM_NC, n1 - nb);
    for (int k0 = 0; k0 < K; k0 += GEMM_KC) {
      int kc = min_int(GEMM_KC, K - k0);
      int acc = accumulate || k0 > 0;
      for (int j = 0; j < nc; j += 8) {
        int nr = min_int(8, nc - j);
        if (!direct || nr < 8) pack_panel(B, b_row, b_col, k0, kc, nb + j, nr, work + j * kc);
      }
      for (int i = m0; i < m1; i += 4) {
        int mr = min_int(4, m1 - i);
        const float* a0 = A + i * a_row + k0 * a_col;
        const float* a1 = mr > 1 ? a0 + a_row : a0;
        const float* a2 = mr > 2 ? a0 + 2 * a_row : a0;
        const float* a3 = mr > 3 ? a0 + 3 * a_row : a0;
        float* c = C + i * c_row + nb * c_col;
        for (int j = 0; j < nc; j += 8) {
          int nr = min_int(8, nc - j);
          if (direct && nr == 8)
            micro_4x8(kc, a0, a1, a2, a3, a_col, B + k0 * b_row + (nb + j), b_row, c + j * c_col, c_row, c_col, mr, nr, acc);
          else
            micro_4x8(kc, a0, a1, a2, a3, a_col, work + j * kc, 8, c + j * c_col, c_row, c_col, mr, nr, acc);
        }
      }
    }
  }
}

/**
 * One product of a batch: C[M, N] = op(A)[M, K] op(B)[K, N], A and B row-major ([M, K] or [K, M] when transposed).
 * Threads split the rows of C, or its columns when there are few rows; with few rows and a transposed B the product
 * is computed as its transpose (C^T = op(B)^T op(A)^T), so that B is read along its rows instead of packed.
 */
EXPORT(matmul) void matmul(int M, int N, int K, const float* A, int transpose_a, const float* B, int transpose_b,
                           float* C, float* work, int thread, int threads) {
  int a_row = transpose_a ? 1 : K, a_col = transpose_a ? M : 1;
  int b_row = transpose_b ? 1 : N, b_col = transpose_b ? K : 1;
  int c_row = N, c_col = 1;
  work += thread * GEMM_WORK;
  if (M <= 16 && transpose_b && N >= 64) {
    // C^T[N, M] = op(B)^T op(A)^T: element (j, k) of op(B)^T is B[j * K + k], (k, i) of op(A)^T is op(A)(i, k), and
    // (j, i) of C^T is C[i * N + j].
    int rows = N, columns = M;
    int ar = b_col, ac = b_row, br = a_col, bc = a_row;
    const float* first = B;
    B = A;
    A = first;
    a_row = ar, a_col = ac, b_row = br, b_col = bc;
    c_row = 1, c_col = rows;
    M = rows, N = columns;
  }
  int start, end;
  if (M / threads >= 32 || N < 16 * threads) {
    share(M, 4, thread, threads, &start, &end);
    gemm_rows(start, end, 0, N, K, A, a_row, a_col, B, b_row, b_col, C, c_row, c_col, 0, work);
  } else {
    share(N, 8, thread, threads, &start, &end);
    gemm_rows(0, M, start, end, K, A, a_row, a_col, B, b_row, b_col, C, c_row, c_col, 0, work);
  }
}
