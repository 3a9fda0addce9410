// Optimizer updates in one pass over a parameter, in place, with the same float32 operations in the same order as
// the tensor formulation in core/train/optimizer.ts (so that both give the same bits).
#include "simd.h"

/**
 * The paper's rule (section 5): v <- momentum v - (decay lr) w - lr g; w <- w + v. `decay_lr` and `lr` are the
 * float32 values the tensor version multiplies by.
 */
EXPORT(sgd_update) void sgd_update(float* w, const float* g, float* v, int n, float momentum, float decay_lr, float lr,
                                   int thread, int threads) {
  int start, end;
  share(n, 4, thread, threads, &start, &end);
  v128_t mo = wasm_f32x4_splat(momentum), dl = wasm_f32x4_splat(decay_lr), l = wasm_f32x4_splat(lr);
  int i = start;
  for (; i + 4 <= end; i += 4) {
    v128_t wi = wasm_v128_load(w + i);
    v128_t next = wasm_f32x4_sub(wasm_f32x4_sub(wasm_f32x4_mul(wasm_v128_load(v + i), mo), wasm_f32x4_mul(wi, dl)),
                                 wasm_f32x4_mul(wasm_v128_load(g + i), l));
    wasm_v128_store(v + i, next);
    wasm_v128_store(w + i, wasm_f32x4_add(wi, next));
  }
  for (; i < end; i++) {
    float next = (v[i] * momentum - w[i] * decay_lr) - g[i] * lr;
    v[i] = next;
    w[i] = w[i] + next;
  }
}

/**
 * Adam with L2 decay added to the gradient: g' = g + decay w (when decay > 0); m <- beta1 m + (1 - beta1) g';
 * v <- beta2 v + (1 - beta2) g'^2; w <- w - (m / (sqrt(v / c2) + epsilon)) step, with step = lr / c1 and c1, c2 the
 * bias corrections. Every constant is the float32 value the tensor version uses.
 */
EXPORT(adam_update) void adam_update(float* w, const float* g, float* m, float* v, int n, float decay, float beta1,
                                     float one_minus_beta1, float beta2, float one_minus_beta2, float c2, float epsilon,
                                     float step, int thread, int threads) {
  int start, end;
  share(n, 4, thread, threads, &start, &end);
  v128_t vd = wasm_f32x4_splat(decay), b1 = wasm_f32x4_splat(beta1), ob1 = wasm_f32x4_splat(one_minus_beta1);
  v128_t b2 = wasm_f32x4_splat(beta2), ob2 = wasm_f32x4_splat(one_minus_beta2), vc2 = wasm_f32x4_splat(c2);
  v128_t eps = wasm_f32x4_splat(epsilon), vs = wasm_f32x4_splat(step);
  int i = start;
  for (; i + 4 <= end; i += 4) {
    v128_t wi = wasm_v128_load(w + i);
    v128_t gi = wasm_v128_load(g + i);
    if (decay > 0.0f) gi = wasm_f32x4_add(gi, wasm_f32x4_mul(wi, vd));
    v128_t mi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(m + i), b1), wasm_f32x4_mul(gi, ob1));
    v128_t vi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(v + i), b2), wasm_f32x4_mul(wasm_f32x4_mul(gi, gi), ob2));
    wasm_v128_store(m + i, mi);
    wasm_v128_store(v + i, vi);
    v128_t denominator = wasm_f32x4_add(wasm_f32x4_sqrt(wasm_f32x4_div(vi, vc2)), eps);
    wasm_v128_store(w + i, wasm_f32x4_sub(wi, wasm_f32x4_mul(wasm_f32x4_div(mi, denominator), vs)));
  }
  for (; i < end; i++) {
    float gi = g[i];
    if (decay > 0.0f) gi = gi + w[i] * decay;
    float mi = m[i] * beta1 + gi * one_minus_beta1;
    float vi = v[i] * beta2 + (gi * gi) * one_minus_beta2;
    m[i] = mi;
    v[i] = vi;
    float denominator = __builtin_sqrtf(vi / c2) + epsilon;
    w[i] = w[i] - (mi / denominator) * step;
  }
}
