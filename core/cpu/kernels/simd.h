// Shared definitions of the CPU engine's WebAssembly SIMD kernels (compiled by clang for wasm32 with simd128).
//
// The module has no data, no stack and no allocator of its own: it works on a memory it imports (TensorFlow.js'
// wasm heap, or a shared memory that worker threads also import), on buffers the caller allocates. Every parallel
// kernel takes (thread, threads) last and does its own share, so the same call runs on one thread or many.
#ifndef SIMD_H
#define SIMD_H

#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

typedef unsigned int u32;

static inline int min_int(int a, int b) { return a < b ? a : b; }
static inline int max_int(int a, int b) { return a > b ? a : b; }

/** The share [*start, *end) of `count` items that `thread` of `threads` takes, in whole multiples of `grain`. */
static inline void share(int count, int grain, int thread, int threads, int* start, int* end) {
  int blocks = (count + grain - 1) / grain;
  int first = (int)((long long)blocks * thread / threads);
  int last = (int)((long long)blocks * (thread + 1) / threads);
  *start = min_int(first * grain, count);
  *end = min_int(last * grain, count);
}

static inline void fill_zero(float* p, int n) {
  int i = 0;
  v128_t z = wasm_f32x4_splat(0.0f);
  for (; i + 4 <= n; i += 4) wasm_v128_store(p + i, z);
  for (; i < n; i++) p[i] = 0.0f;
}

static inline void copy_floats(float* dst, const float* src, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(dst + i, wasm_v128_load(src + i));
  for (; i < n; i++) dst[i] = src[i];
}

/** Floats of scratch one thread's GEMM needs (one packed block of B). */
#define GEMM_KC 256
#define GEMM_NC 256
#define GEMM_WORK (GEMM_KC * GEMM_NC)

/**
 * C (+)= op(A) op(B) for rows [m0, m1) of C. Element (i, k) of op(A) is A[i * a_row + k * a_col], (k, j) of op(B) is
 * B[k * b_row + j * b_col], (i, j) of C is C[i * c_row + j * c_col]: strides express every transpose. `work` holds
 * GEMM_WORK floats.
 */
void gemm_rows(int m0, int m1, int n0, int n1, int K, const float* A, int a_row, int a_col, const float* B, int b_row,
               int b_col, float* C, int c_row, int c_col, int accumulate, float* work);

#endif

/** Output positions a convolution handles per im2col chunk. */
#define CONV_ROWS 64

/** Geometry of one NHWC convolution with an HWIO filter, as the caller's int array lays it out. */
typedef struct {
  int batch, in_height, in_width, in_channels;
  int out_height, out_width, out_channels;
  int filter_height, filter_width;
  int stride_height, stride_width;
  int pad_top, pad_left;
} ConvShape;
