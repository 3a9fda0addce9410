// Squared Euclidean distances from one query to every row of a database (section 6.1's fc7 neighbours), in float32
// with sixteen partial sums per row; the caller re-ranks the nearest candidates exactly in float64.
#include "simd.h"

/** out[i] = sum over d of (database[i * dimension + d] - query[d])^2 for rows [0, count); threads split the rows. */
EXPORT(squared_distances) void squared_distances(const float* database, int count, int dimension, const float* query,
                                                 float* out, int thread, int threads) {
  int start, end;
  share(count, 16, thread, threads, &start, &end);
  for (int i = start; i < end; i++) {
    const float* row = database + (long)i * dimension;
    v128_t s0 = wasm_f32x4_splat(0.0f), s1 = s0, s2 = s0, s3 = s0;
    int d = 0;
    for (; d + 16 <= dimension; d += 16) {
      v128_t e0 = wasm_f32x4_sub(wasm_v128_load(row + d), wasm_v128_load(query + d));
      v128_t e1 = wasm_f32x4_sub(wasm_v128_load(row + d + 4), wasm_v128_load(query + d + 4));
      v128_t e2 = wasm_f32x4_sub(wasm_v128_load(row + d + 8), wasm_v128_load(query + d + 8));
      v128_t e3 = wasm_f32x4_sub(wasm_v128_load(row + d + 12), wasm_v128_load(query + d + 12));
      s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(e0, e0));
      s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(e1, e1));
      s2 = wasm_f32x4_add(s2, wasm_f32x4_mul(e2, e2));
      s3 = wasm_f32x4_add(s3, wasm_f32x4_mul(e3, e3));
    }
    v128_t s = wasm_f32x4_add(wasm_f32x4_add(s0, s1), wasm_f32x4_add(s2, s3));
    float sum = wasm_f32x4_extract_lane(s, 0) + wasm_f32x4_extract_lane(s, 1) + wasm_f32x4_extract_lane(s, 2) +
                wasm_f32x4_extract_lane(s, 3);
    for (; d < dimension; d++) {
      float e = row[d] - query[d];
      sum += e * e;
    }
    out[i] = sum;
  }
}
