#include "CMatrixKernel.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

/*
 * A 3x3 convolution with stride 1 and padding 1 of one image, computed directly from a zero-padded
 * copy of the image instead of an unfolded (im2col) matrix and a matrix product: for 16 to 32
 * channels the unfolded matrix is nine times the image and costs more to write and pack than the
 * product costs to compute.
 *
 * Every output element is computed the same way on every path: acc = 0, then
 * acc = fma(weight[o][c][ky][kx], padded[c][y + ky][x + kx], acc) for c, then ky, then kx in order
 * (zeros of the padding included), so the AVX-512, AVX2 and scalar paths give the same bits, for
 * any split of the work between threads.
 */

enum { SLACK = 16 }; /* floats after the padded planes: a vector may read past the last valid lane */

/* The floats of one image's padded copy. */
static long padded_size(long channels, long height, long width) { return channels * (height + 2) * (width + 2) + SLACK; }

long millrace_convolve3x3_scratch(long channels, long height, long width) { return padded_size(channels, height, width); }

/* The padded copy: planes of (height + 2) rows of (width + 2) floats, zero borders. */
static void pad_image(const float *input, long channels, long height, long width, float *padded) {
    const long pitch = width + 2;
    const long plane = (height + 2) * pitch;
    memset(padded, 0, (size_t)(channels * plane + SLACK) * sizeof(float));
    for (long c = 0; c < channels; c++) {
        for (long y = 0; y < height; y++) {
            memcpy(padded + c * plane + (y + 1) * pitch + 1, input + (c * height + y) * width, (size_t)width * sizeof(float));
        }
    }
}


/* One output element the reference way. */
static float scalar_element(const float *padded, long channels, long pitch, long plane, const float *weight, long o, long y, long x) {
    float acc = 0;
    for (long c = 0; c < channels; c++) {
        const float *w = weight + (o * channels + c) * 9;
        const float *p = padded + c * plane + y * pitch + x;
        for (long ky = 0; ky < 3; ky++) {
            for (long kx = 0; kx < 3; kx++) acc = fmaf(w[ky * 3 + kx], p[ky * pitch + kx], acc);
        }
    }
    return acc;
}

#if defined(__x86_64__)
enum { OUTPUTS = 8 }; /* output channels per block: 8 x 2 vectors of accumulators */

/* Outputs o0..o0+n-1 (n <= OUTPUTS) at two runs of 16 pixels (`count` 1 or 2): run v starts at
 * padded offset in[v] and output offset out[v] and has mask[v] valid lanes. Inlined with constant
 * n and count so that the accumulators stay in registers. */
__attribute__((target("avx512f"), always_inline)) static inline void avx512_block(const float *padded, long channels, long pitch,
                                                                                  long plane, const float *weight, long o0, const int n,
                                                                                  const int count, const long *in, const long *out,
                                                                                  const __mmask16 *mask, float *output, long area) {
    __m512 acc[OUTPUTS][2];
    for (int k = 0; k < OUTPUTS; k++) {
        for (int v = 0; v < 2; v++) acc[k][v] = _mm512_setzero_ps();
    }
    for (long c = 0; c < channels; c++) {
        const float *p = padded + c * plane;
        const float *w = weight + (o0 * channels + c) * 9;
        for (int ky = 0; ky < 3; ky++) {
            for (int kx = 0; kx < 3; kx++) {
                __m512 x[2];
                for (int v = 0; v < count; v++) x[v] = _mm512_loadu_ps(p + in[v] + ky * pitch + kx);
                for (int k = 0; k < n; k++) {
                    const __m512 value = _mm512_set1_ps(w[k * channels * 9 + ky * 3 + kx]);
                    for (int v = 0; v < count; v++) acc[k][v] = _mm512_fmadd_ps(value, x[v], acc[k][v]);
                }
            }
        }
    }
    for (int k = 0; k < n; k++) {
        for (int v = 0; v < count; v++) _mm512_mask_storeu_ps(output + (o0 + k) * area + out[v], mask[v], acc[k][v]);
    }
}

__attribute__((target("avx512f"))) static void avx512_image(const float *padded, long channels, long height, long width,
                                                            const float *weight, long outputs, float *output) {
    const long pitch = width + 2, plane = (height + 2) * pitch, area = height * width;
    const long runs_per_row = (width + 15) / 16, runs = height * runs_per_row;
    for (long r = 0; r < runs; r += 2) {
        long in[2] = {0, 0}, out[2] = {0, 0};
        __mmask16 mask[2] = {0, 0};
        const int count = r + 1 < runs ? 2 : 1;
        for (int v = 0; v < count; v++) {
            const long y = (r + v) / runs_per_row, x0 = (r + v) % runs_per_row * 16;
            const long valid = width - x0 < 16 ? width - x0 : 16;
            in[v] = y * pitch + x0;
            out[v] = y * width + x0;
            mask[v] = (__mmask16)((1u << valid) - 1u);
        }
        long o0 = 0;
        if (count == 2) {
            for (; o0 + OUTPUTS <= outputs; o0 += OUTPUTS) avx512_block(padded, channels, pitch, plane, weight, o0, OUTPUTS, 2, in, out, mask, output, area);
        } else {
            for (; o0 + OUTPUTS <= outputs; o0 += OUTPUTS) avx512_block(padded, channels, pitch, plane, weight, o0, OUTPUTS, 1, in, out, mask, output, area);
        }
        for (; o0 < outputs; o0++) avx512_block(padded, channels, pitch, plane, weight, o0, 1, count, in, out, mask, output, area);
    }
}

/* The AVX2 block: outputs o0..o0+n-1 (n <= 4) at two runs of 8 pixels. */
__attribute__((target("avx2,fma"), always_inline)) static inline void avx2_block(const float *padded, long channels, long pitch, long plane,
                                                                                 const float *weight, long o0, const int n, const int count,
                                                                                 const long *in, const long *out, const __m256i *mask,
                                                                                 float *output, long area) {
    __m256 acc[4][2];
    for (int k = 0; k < 4; k++) {
        for (int v = 0; v < 2; v++) acc[k][v] = _mm256_setzero_ps();
    }
    for (long c = 0; c < channels; c++) {
        const float *p = padded + c * plane;
        const float *w = weight + (o0 * channels + c) * 9;
        for (int ky = 0; ky < 3; ky++) {
            for (int kx = 0; kx < 3; kx++) {
                __m256 x[2];
                for (int v = 0; v < count; v++) x[v] = _mm256_loadu_ps(p + in[v] + ky * pitch + kx);
                for (int k = 0; k < n; k++) {
                    const __m256 value = _mm256_set1_ps(w[k * channels * 9 + ky * 3 + kx]);
                    for (int v = 0; v < count; v++) acc[k][v] = _mm256_fmadd_ps(value, x[v], acc[k][v]);
                }
            }
        }
    }
    for (int k = 0; k < n; k++) {
        for (int v = 0; v < count; v++) _mm256_maskstore_ps(output + (o0 + k) * area + out[v], mask[v], acc[k][v]);
    }
}

__attribute__((target("avx2,fma"))) static void avx2_image(const float *padded, long channels, long height, long width, const float *weight,
                                                           long outputs, float *output) {
    const long pitch = width + 2, plane = (height + 2) * pitch, area = height * width;
    const long runs_per_row = (width + 7) / 8, runs = height * runs_per_row;
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (long r = 0; r < runs; r += 2) {
        long in[2] = {0, 0}, out[2] = {0, 0};
        __m256i mask[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
        const int count = r + 1 < runs ? 2 : 1;
        for (int v = 0; v < count; v++) {
            const long y = (r + v) / runs_per_row, x0 = (r + v) % runs_per_row * 8;
            const long valid = width - x0 < 8 ? width - x0 : 8;
            in[v] = y * pitch + x0;
            out[v] = y * width + x0;
            mask[v] = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)valid), lanes);
        }
        long o0 = 0;
        if (count == 2) {
            for (; o0 + 4 <= outputs; o0 += 4) avx2_block(padded, channels, pitch, plane, weight, o0, 4, 2, in, out, mask, output, area);
        } else {
            for (; o0 + 4 <= outputs; o0 += 4) avx2_block(padded, channels, pitch, plane, weight, o0, 4, 1, in, out, mask, output, area);
        }
        for (; o0 < outputs; o0++) avx2_block(padded, channels, pitch, plane, weight, o0, 1, count, in, out, mask, output, area);
    }
}
#endif

/*
 * The weight gradient of the same convolution: gradient[o][c][ky][kx] += the sum over pixels p of
 * dy[o][p] * padded[c][p + (ky, kx)]. Each of 16 lanes sums its own pixels (lane j takes pixel
 * x0 + j of every run of 16 pixels, the runs row by row, image by image), one fused multiply-add
 * each in run order from 0; the lanes are then added in a fixed tree (lane_tree) and the total
 * added to the gradient. The AVX2
 * path runs lanes 0-7 and then lanes 8-15 of the same chains, the scalar path each lane's chain,
 * so every path gives the same bits.
 */
enum { LANES = 16 };

/* The 16 lanes added as a vector register halves them: a[k] = l[k] + l[k + 8], b[k] = a[k] + a[k + 4],
 * then (b[0] + b[2]) + (b[1] + b[3]). */
static float lane_tree(const float *l) {
    float a[8], b[4];
    for (int k = 0; k < 8; k++) a[k] = l[k] + l[k + 8];
    for (int k = 0; k < 4; k++) b[k] = a[k] + a[k + 4];
    return (b[0] + b[2]) + (b[1] + b[3]);
}

/* The scalar reference: lane j's chain for every (o, c, tap), over the images in order. */
static void scalar_weight_gradient(const float *padded, const float *dy, long images, long channels, long height, long width, long outputs,
                                   float *gradient) {
    const long pitch = width + 2, plane = (height + 2) * pitch, runs_per_row = (width + LANES - 1) / LANES;
    const long image_stride = padded_size(channels, height, width), area = height * width;
    for (long o = 0; o < outputs; o++) {
        for (long c = 0; c < channels; c++) {
            for (long t = 0; t < 9; t++) {
                const long shift = t / 3 * pitch + t % 3;
                float lanes[LANES] = {0};
                for (long i = 0; i < images; i++) {
                    const float *p = padded + i * image_stride + c * plane + shift;
                    const float *g = dy + (i * outputs + o) * area;
                    for (long y = 0; y < height; y++) {
                        for (long r = 0; r < runs_per_row; r++) {
                            for (long j = 0; j < LANES && r * LANES + j < width; j++) {
                                const long x = r * LANES + j;
                                lanes[j] = fmaf(g[y * width + x], p[y * pitch + x], lanes[j]);
                            }
                        }
                    }
                }
                gradient[(o * channels + c) * 9 + t] += lane_tree(lanes);
            }
        }
    }
}

#if defined(__x86_64__)
/* lane_tree in registers: the same additions. */
__attribute__((target("avx512f"), always_inline)) static inline float avx512_lane_tree(__m512 lanes) {
    const __m256 low = _mm512_castps512_ps256(lanes);
    const __m256 high = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(lanes), 1));
    const __m256 a = _mm256_add_ps(low, high);
    const __m128 b = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    const __m128 c = _mm_add_ps(b, _mm_movehl_ps(b, b)); /* b0 + b2, b1 + b3 */
    return _mm_cvtss_f32(_mm_add_ss(c, _mm_shuffle_ps(c, c, 1)));
}

/* Outputs o0..o0+n-1 (n <= 2) of channel c: 9 taps x n accumulators of 16 lanes. */
__attribute__((target("avx512f"), always_inline)) static inline void avx512_gradient_block(const float *padded, const float *dy, long images,
                                                                                           long channels, long height, long width,
                                                                                           long outputs, long o0, const int n, long c,
                                                                                           float *gradient) {
    const long pitch = width + 2, plane = (height + 2) * pitch, area = height * width;
    const long image_stride = padded_size(channels, height, width);
    __m512 acc[2][9];
    for (int k = 0; k < 2; k++) {
        for (int t = 0; t < 9; t++) acc[k][t] = _mm512_setzero_ps();
    }
    for (long i = 0; i < images; i++) {
        const float *p = padded + i * image_stride + c * plane;
        const float *d = dy + i * outputs * area;
        for (long y = 0; y < height; y++) {
            for (long x0 = 0; x0 < width; x0 += LANES) {
                const long valid = width - x0 < LANES ? width - x0 : LANES;
                const __mmask16 mask = (__mmask16)((1u << valid) - 1u);
                __m512 g[2];
                for (int k = 0; k < n; k++) g[k] = _mm512_maskz_loadu_ps(mask, d + (o0 + k) * area + y * width + x0);
                for (int t = 0; t < 9; t++) {
                    const __m512 x = _mm512_maskz_loadu_ps(mask, p + y * pitch + x0 + t / 3 * pitch + t % 3);
                    for (int k = 0; k < n; k++) acc[k][t] = _mm512_fmadd_ps(g[k], x, acc[k][t]);
                }
            }
        }
    }
    for (int k = 0; k < n; k++) {
        for (int t = 0; t < 9; t++) gradient[((o0 + k) * channels + c) * 9 + t] += avx512_lane_tree(acc[k][t]);
    }
}

__attribute__((target("avx512f"))) static void avx512_weight_gradient(const float *padded, const float *dy, long images, long channels,
                                                                      long height, long width, long outputs, float *gradient) {
    for (long c = 0; c < channels; c++) {
        long o0 = 0;
        for (; o0 + 2 <= outputs; o0 += 2) avx512_gradient_block(padded, dy, images, channels, height, width, outputs, o0, 2, c, gradient);
        for (; o0 < outputs; o0++) avx512_gradient_block(padded, dy, images, channels, height, width, outputs, o0, 1, c, gradient);
    }
}

/* AVX2: one output of channel c, lanes 8h..8h+7 of the 16-lane chains. */
__attribute__((target("avx2,fma"))) static void avx2_gradient_half(const float *padded, const float *dy, long images, long channels,
                                                                   long height, long width, long outputs, long o, long c, int h,
                                                                   float *lanes /* [9][16] */) {
    const long pitch = width + 2, plane = (height + 2) * pitch, area = height * width;
    const long image_stride = padded_size(channels, height, width);
    const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    __m256 acc[9];
    for (int t = 0; t < 9; t++) acc[t] = _mm256_setzero_ps();
    for (long i = 0; i < images; i++) {
        const float *p = padded + i * image_stride + c * plane;
        const float *d = dy + (i * outputs + o) * area;
        for (long y = 0; y < height; y++) {
            for (long x0 = 8 * h; x0 < width; x0 += LANES) {
                const long valid = width - x0 < 8 ? width - x0 : 8;
                const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)valid), index);
                const __m256 g = _mm256_maskload_ps(d + y * width + x0, mask);
                for (int t = 0; t < 9; t++) {
                    const __m256 x = _mm256_maskload_ps(p + y * pitch + x0 + t / 3 * pitch + t % 3, mask);
                    acc[t] = _mm256_fmadd_ps(g, x, acc[t]);
                }
            }
        }
    }
    for (int t = 0; t < 9; t++) _mm256_storeu_ps(lanes + t * LANES + 8 * h, acc[t]);
}

__attribute__((target("avx2,fma"))) static void avx2_weight_gradient(const float *padded, const float *dy, long images, long channels,
                                                                     long height, long width, long outputs, float *gradient) {
    float lanes[9 * LANES];
    for (long o = 0; o < outputs; o++) {
        for (long c = 0; c < channels; c++) {
            avx2_gradient_half(padded, dy, images, channels, height, width, outputs, o, c, 0, lanes);
            avx2_gradient_half(padded, dy, images, channels, height, width, outputs, o, c, 1, lanes);
            for (int t = 0; t < 9; t++) gradient[(o * channels + c) * 9 + t] += lane_tree(lanes + t * LANES);
        }
    }
}
#endif

static int chosen_path(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
#endif
    return 0;
}

void millrace_convolve3x3(const float *input, long channels, long height, long width, const float *weight, long outputs, float *output,
                          int path, float *scratch) {
    if (channels <= 0 || height <= 0 || width <= 0 || outputs <= 0) return;
    if (path < 0) path = chosen_path();
    pad_image(input, channels, height, width, scratch);
#if defined(__x86_64__)
    if (path == 2) return avx512_image(scratch, channels, height, width, weight, outputs, output);
    if (path == 1) return avx2_image(scratch, channels, height, width, weight, outputs, output);
#endif
    const long pitch = width + 2, plane = (height + 2) * pitch;
    for (long o = 0; o < outputs; o++) {
        for (long y = 0; y < height; y++) {
            for (long x = 0; x < width; x++) {
                output[(o * height + y) * width + x] = scalar_element(scratch, channels, pitch, plane, weight, o, y, x);
            }
        }
    }
}

long millrace_convolve3x3_weight_gradient_scratch(long images, long channels, long height, long width) {
    return images * padded_size(channels, height, width);
}

void millrace_add_convolve3x3_weight_gradient(const float *input, const float *dy, long images, long channels, long height, long width,
                                              long outputs, float *gradient, int path, float *scratch) {
    if (images <= 0 || channels <= 0 || height <= 0 || width <= 0 || outputs <= 0) return;
    if (path < 0) path = chosen_path();
    const long image_stride = padded_size(channels, height, width);
    for (long i = 0; i < images; i++) pad_image(input + i * channels * height * width, channels, height, width, scratch + i * image_stride);
#if defined(__x86_64__)
    if (path == 2) return avx512_weight_gradient(scratch, dy, images, channels, height, width, outputs, gradient);
    if (path == 1) return avx2_weight_gradient(scratch, dy, images, channels, height, width, outputs, gradient);
#endif
    scalar_weight_gradient(scratch, dy, images, channels, height, width, outputs, gradient);
}
