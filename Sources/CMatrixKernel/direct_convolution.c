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

long millrace_convolve3x3_scratch(long channels, long height, long width) { return channels * (height + 2) * (width + 2) + SLACK; }

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
