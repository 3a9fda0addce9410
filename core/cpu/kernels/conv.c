// 2-D convolutions (NHWC input, HWIO filter) as matrix products over im2col chunks: the forward pass, the input
// gradient (products with the transposed filter, scattered back by col2im) and the filter gradient (split over
// threads by output positions, each thread summing its own partial filter, then `sum_partials`).
#include "simd.h"

/** Row r of the im2col matrix for output positions p0.. of `s`: the K = kh * kw * ci input values each sees. */
static void im2col(const float* x, const ConvShape* s, int p0, int rows, float* col) {
  const int ci = s->in_channels, kw = s->filter_width, K = s->filter_height * kw * ci;
  const int per_image = s->out_height * s->out_width;
  for (int r = 0; r < rows; r++) {
    int p = p0 + r, b = p / per_image, rest = p - b * per_image;
    int oy = rest / s->out_width, ox = rest - oy * s->out_width;
    int x0 = ox * s->stride_width - s->pad_left;
    float* dst = col + r * K;
    for (int kh = 0; kh < s->filter_height; kh++, dst += kw * ci) {
      int y = oy * s->stride_height - s->pad_top + kh;
      if (y < 0 || y >= s->in_height) {
        fill_zero(dst, kw * ci);
        continue;
      }
      const float* row = x + ((b * s->in_height + y) * s->in_width) * ci;
      if (x0 >= 0 && x0 + kw <= s->in_width) {
        copy_floats(dst, row + x0 * ci, kw * ci);
        continue;
      }
      for (int k = 0; k < kw; k++) {
        int xx = x0 + k;
        if (xx < 0 || xx >= s->in_width) fill_zero(dst + k * ci, ci);
        else copy_floats(dst + k * ci, row + xx * ci, ci);
      }
    }
  }
}

/** Adds row r of a column matrix back onto the input positions it came from (the transpose of im2col). */
static void col2im(const float* col, const ConvShape* s, int p0, int rows, float* dx) {
  const int ci = s->in_channels, kw = s->filter_width, K = s->filter_height * kw * ci;
  const int per_image = s->out_height * s->out_width;
  for (int r = 0; r < rows; r++) {
    int p = p0 + r, b = p / per_image, rest = p - b * per_image;
    int oy = rest / s->out_width, ox = rest - oy * s->out_width;
    int x0 = ox * s->stride_width - s->pad_left;
    const float* src = col + r * K;
    for (int kh = 0; kh < s->filter_height; kh++, src += kw * ci) {
      int y = oy * s->stride_height - s->pad_top + kh;
      if (y < 0 || y >= s->in_height) continue;
      float* row = dx + ((b * s->in_height + y) * s->in_width) * ci;
      for (int k = 0; k < kw; k++) {
        int xx = x0 + k;
        if (xx < 0 || xx >= s->in_width) continue;
        float* d = row + xx * ci;
        const float* c = src + k * ci;
        int i = 0;
        for (; i + 4 <= ci; i += 4) wasm_v128_store(d + i, wasm_f32x4_add(wasm_v128_load(d + i), wasm_v128_load(c + i)));
        for (; i < ci; i++) d[i] += c[i];
      }
    }
  }
}

static inline int filter_size(const ConvShape* s) { return s->filter_height * s->filter_width * s->in_channels; }

/** Floats of `work` each thread needs for a convolution of this shape. */
EXPORT(conv_work_floats) int conv_work_floats(const ConvShape* s) { return GEMM_WORK + CONV_ROWS * filter_size(s); }

/** y[P, co] = im2col(x)[P, K] w[K, co], P = batch * out_height * out_width: threads split the positions. */
EXPORT(conv_forward) void conv_forward(const ConvShape* s, const float* x, const float* w, float* y, float* work,
                                       int thread, int threads) {
  const int K = filter_size(s), co = s->out_channels;
  const int positions = s->batch * s->out_height * s->out_width;
  work += thread * conv_work_floats(s);
  float* col = work + GEMM_WORK;
  int start, end;
  share(positions, CONV_ROWS, thread, threads, &start, &end);
  for (int p = start; p < end; p += CONV_ROWS) {
    int rows = min_int(CONV_ROWS, end - p);
    im2col(x, s, p, rows, col);
    gemm_rows(0, rows, 0, co, K, col, K, 1, w, co, 1, y + p * co, co, 1, 0, work);
  }
}

/**
 * dx = col2im(dy[P, co] w^T), with `wt` the filter transposed to [co, K]. Threads split the images, so that no two
 * scatter into the same input; with fewer images than threads the extra threads idle.
 */
EXPORT(conv_input_grad) void conv_input_grad(const ConvShape* s, const float* dy, const float* wt, float* dx,
                                             float* work, int thread, int threads) {
  const int K = filter_size(s), co = s->out_channels;
  const int per_image = s->out_height * s->out_width;
  const int image_size = s->in_height * s->in_width * s->in_channels;
  work += thread * conv_work_floats(s);
  float* col = work + GEMM_WORK;
  int first, last;
  share(s->batch, 1, thread, threads, &first, &last);
  for (int b = first; b < last; b++) {
    fill_zero(dx + b * image_size, image_size);
    for (int p = b * per_image; p < (b + 1) * per_image; p += CONV_ROWS) {
      int rows = min_int(CONV_ROWS, (b + 1) * per_image - p);
      gemm_rows(0, rows, 0, K, co, dy + p * co, co, 1, wt, K, 1, col, K, 1, 0, work);
      col2im(col, s, p, rows, dx);
    }
  }
}

/**
 * dw[K, co] = im2col(x)^T dy, summed over all positions: block b of `block` positions (a multiple of CONV_ROWS) is
 * summed into dw for b = 0 and into partials[(b - 1) K co] for the others, the blocks shared among the threads;
 * `sum_partials` then adds the blocks into dw in their order. The caller chooses the blocks from the shape alone,
 * never from the thread count, so that the gradient has the same bits on one thread or many.
 */
EXPORT(conv_filter_grad) void conv_filter_grad(const ConvShape* s, const float* x, const float* dy, float* dw,
                                               float* partials, int block, float* work, int thread, int threads) {
  const int K = filter_size(s), co = s->out_channels;
  const int positions = s->batch * s->out_height * s->out_width;
  const int blocks = (positions + block - 1) / block;
  work += thread * conv_work_floats(s);
  float* col = work + GEMM_WORK;
  int first, last;
  share(blocks, 1, thread, threads, &first, &last);
  for (int b = first; b < last; b++) {
    float* sum = b == 0 ? dw : partials + (b - 1) * K * co;
    fill_zero(sum, K * co);
    int end = min_int(positions, (b + 1) * block);
    for (int p = b * block; p < end; p += CONV_ROWS) {
      int rows = min_int(CONV_ROWS, end - p);
      im2col(x, s, p, rows, col);
      gemm_rows(0, K, 0, co, rows, col, 1, K, dy + p * co, co, 1, sum, co, 1, 1, work);
    }
  }
}

/** out[i] += sum over t < count of partials[t * n + i]; threads split i. */
EXPORT(sum_partials) void sum_partials(float* out, const float* partials, int count, int n, int thread, int threads) {
  int start, end;
  share(n, 4, thread, threads, &start, &end);
  for (int t = 0; t < count; t++) {
    const float* p = partials + t * n;
    int i = start;
    for (; i + 4 <= end; i += 4) wasm_v128_store(out + i, wasm_f32x4_add(wasm_v128_load(out + i), wasm_v128_load(p + i)));
    for (; i < end; i++) out[i] += p[i];
  }
}

/** dst[cols, rows] = src[rows, cols]^T; threads split the rows of src. */
EXPORT(transpose) void transpose(const float* src, int rows, int cols, float* dst, int thread, int threads) {
  int start, end;
  share(rows, 8, thread, threads, &start, &end);
  for (int i0 = start; i0 < end; i0 += 8)
    for (int j0 = 0; j0 < cols; j0 += 8)
      for (int i = i0; i < min_int(i0 + 8, end); i++)
        for (int j = j0; j < min_int(j0 + 8, cols); j++) dst[j * rows + i] = src[i * cols + j];
}
