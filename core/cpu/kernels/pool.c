// The gradient of max pooling (NHWC): each output's gradient goes to the first maximum of its window, in the window's
// row-major order, as TensorFlow.js' CPU backend chooses it (its wasm kernel picks the last one, and starts from the
// smallest positive float, so that a window of zeros sends its gradient to element 0 of the tensor).
#include "simd.h"

/**
 * dx[b, y, x, c] = sum of dy over the outputs whose window's first maximum is (y, x) in channel c. Threads split the
 * images. Window positions outside the input (padding) never win.
 */
EXPORT(max_pool_grad) void max_pool_grad(const float* x, const float* dy, float* dx, int batch, int height, int width,
                                         int channels, int out_height, int out_width, int filter_height,
                                         int filter_width, int stride_height, int stride_width, int pad_top,
                                         int pad_left, int thread, int threads) {
  const int image = height * width * channels;
  int first, last;
  share(batch, 1, thread, threads, &first, &last);
  for (int b = first; b < last; b++) {
    const float* xb = x + b * image;
    float* dxb = dx + b * image;
    fill_zero(dxb, image);
    for (int oy = 0; oy < out_height; oy++) {
      int y0 = oy * stride_height - pad_top;
      int ya = max_int(y0, 0), yb = min_int(y0 + filter_height, height);
      for (int ox = 0; ox < out_width; ox++) {
        int x0 = ox * stride_width - pad_left;
        int xa = max_int(x0, 0), xb_ = min_int(x0 + filter_width, width);
        const float* g = dy + ((b * out_height + oy) * out_width + ox) * channels;
        int c = 0;
        for (; c + 4 <= channels; c += 4) {
          v128_t best = wasm_f32x4_splat(-__builtin_inff());
          v128_t where = wasm_i32x4_splat(-1);
          for (int y = ya; y < yb; y++) {
            for (int xx = xa; xx < xb_; xx++) {
              int offset = (y * width + xx) * channels + c;
              v128_t v = wasm_v128_load(xb + offset);
              v128_t greater = wasm_f32x4_gt(v, best);
              best = wasm_v128_bitselect(v, best, greater);
              where = wasm_v128_bitselect(wasm_i32x4_splat(offset), where, greater);
            }
          }
          int w0 = wasm_i32x4_extract_lane(where, 0), w1 = wasm_i32x4_extract_lane(where, 1);
          int w2 = wasm_i32x4_extract_lane(where, 2), w3 = wasm_i32x4_extract_lane(where, 3);
          // An all-NaN window has no maximum and passes no gradient, as on the CPU backend.
          if (w0 >= 0) dxb[w0] += g[c];
          if (w1 >= 0) dxb[w1 + 1] += g[c + 1];
          if (w2 >= 0) dxb[w2 + 2] += g[c + 2];
          if (w3 >= 0) dxb[w3 + 3] += g[c + 3];
        }
        for (; c < channels; c++) {
          float best = -__builtin_inff();
          int where = -1;
          for (int y = ya; y < yb; y++)
            for (int xx = xa; xx < xb_; xx++) {
              int offset = (y * width + xx) * channels + c;
              if (xb[offset] > best) best = xb[offset], where = offset;
            }
          if (where >= 0) dxb[where] += g[c];
        }
      }
    }
  }
}
