// Local response normalisation across channels (section 3.3) and its gradient, for beta = 3/4 (the paper's), where
// s^-beta = 1 / (sqrt(s) sqrt(sqrt(s))) needs no exp or log.
//
//   y_i = x_i s_i^-beta,  s_i = bias + alpha sum_{|j - i| <= r} x_j^2   (alpha multiplies the sum itself)
//   dx_i = dy_i s_i^-beta - 2 alpha beta x_i sum_{|j - i| <= r} dy_j y_j / s_j
#include "simd.h"

static inline v128_t pow_minus_three_quarters(v128_t s) {
  v128_t root = wasm_f32x4_sqrt(s);
  return wasm_f32x4_div(wasm_f32x4_splat(1.0f), wasm_f32x4_mul(root, wasm_f32x4_sqrt(root)));
}

static inline float pow_minus_three_quarters_1(float s) {
  float root = __builtin_sqrtf(s);
  return 1.0f / (root * __builtin_sqrtf(root));
}

/** Floats of `work` each thread needs for `channels`. */
EXPORT(lrn_work_floats) int lrn_work_floats(int channels, int radius) { return 3 * (channels + 2 * radius + 4); }

/** sums[c] = bias + alpha * sum over the window of c of padded[.], where padded[radius + j] = value j (zero outside). */
static void window_sums(const float* padded, int channels, int radius, float bias, float alpha, float* sums) {
  int c = 0;
  v128_t vb = wasm_f32x4_splat(bias), va = wasm_f32x4_splat(alpha);
  for (; c + 4 <= channels; c += 4) {
    v128_t sum = wasm_v128_load(padded + c);
    for (int d = 1; d <= 2 * radius; d++) sum = wasm_f32x4_add(sum, wasm_v128_load(padded + c + d));
    wasm_v128_store(sums + c, wasm_f32x4_add(vb, wasm_f32x4_mul(va, sum)));
  }
  for (; c < channels; c++) {
    float sum = padded[c];
    for (int d = 1; d <= 2 * radius; d++) sum += padded[c + d];
    sums[c] = bias + alpha * sum;
  }
}

/** Squares (or products) of one pixel's channels into a zero-padded row. */
static void padded_products(const float* a, const float* b, int channels, int radius, float* padded) {
  fill_zero(padded, radius);
  fill_zero(padded + radius + channels, radius + 4);
  float* p = padded + radius;
  int c = 0;
  for (; c + 4 <= channels; c += 4) wasm_v128_store(p + c, wasm_f32x4_mul(wasm_v128_load(a + c), wasm_v128_load(b + c)));
  for (; c < channels; c++) p[c] = a[c] * b[c];
}

/** y = LRN(x) over `pixels` rows of `channels`; threads split the pixels. */
EXPORT(lrn_forward) void lrn_forward(const float* x, float* y, int pixels, int channels, int radius, float bias,
                                     float alpha, float* work, int thread, int threads) {
  const int row = channels + 2 * radius + 4;
  float* padded = work + thread * 3 * row;
  float* sums = padded + row;
  int start, end;
  share(pixels, 1, thread, threads, &start, &end);
  for (int p = start; p < end; p++) {
    const float* xp = x + p * channels;
    float* yp = y + p * channels;
    padded_products(xp, xp, channels, radius, padded);
    window_sums(padded, channels, radius, bias, alpha, sums);
    int c = 0;
    for (; c + 4 <= channels; c += 4)
      wasm_v128_store(yp + c, wasm_f32x4_mul(wasm_v128_load(xp + c), pow_minus_three_quarters(wasm_v128_load(sums + c))));
    for (; c < channels; c++) yp[c] = xp[c] * pow_minus_three_quarters_1(sums[c]);
  }
}

/** dx of LRN at x (with y = LRN(x)) for the output gradient dy; threads split the pixels. */
EXPORT(lrn_backward) void lrn_backward(const float* x, const float* y, const float* dy, float* dx, int pixels,
                                       int channels, int radius, float bias, float alpha, float* work, int thread,
                                       int threads) {
  const int row = channels + 2 * radius + 4;
  float* padded = work + thread * 3 * row;
  float* sums = padded + row;
  float* terms = sums + row;
  const float beta = 0.75f;
  v128_t factor = wasm_f32x4_splat(-2.0f * alpha * beta);
  int start, end;
  share(pixels, 1, thread, threads, &start, &end);
  for (int p = start; p < end; p++) {
    const float* xp = x + p * channels;
    const float* yp = y + p * channels;
    const float* gp = dy + p * channels;
    float* dp = dx + p * channels;
    padded_products(xp, xp, channels, radius, padded);
    window_sums(padded, channels, radius, bias, alpha, sums);
    // terms: dy_j y_j / s_j, padded; then their window sums (bias 0, alpha 1) over `padded`'s space.
    padded_products(gp, yp, channels, radius, terms);
    int c = 0;
    for (; c + 4 <= channels; c += 4) {
      v128_t t = wasm_v128_load(terms + radius + c);
      wasm_v128_store(terms + radius + c, wasm_f32x4_div(t, wasm_v128_load(sums + c)));
    }
    for (; c < channels; c++) terms[radius + c] /= sums[c];
    float* windows = padded;  // the squares are no longer needed
    window_sums(terms, channels, radius, 0.0f, 1.0f, windows);
    c = 0;
    for (; c + 4 <= channels; c += 4) {
      v128_t direct = wasm_f32x4_mul(wasm_v128_load(gp + c), pow_minus_three_quarters(wasm_v128_load(sums + c)));
      v128_t cross = wasm_f32x4_mul(factor, wasm_f32x4_mul(wasm_v128_load(xp + c), wasm_v128_load(windows + c)));
      wasm_v128_store(dp + c, wasm_f32x4_add(direct, cross));
    }
    for (; c < channels; c++) dp[c] = gp[c] * pow_minus_three_quarters_1(sums[c]) + (-2.0f * alpha * beta) * xp[c] * windows[c];
  }
}
