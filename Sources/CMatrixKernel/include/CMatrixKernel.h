/*
 * Small C helpers for Millrace's Tensors module. The matrix products themselves moved to oneDNN
 * (the CDNNL module): its dnnl_sgemm ran 1.4-2.5x faster than the hand-written AVX2 6x16 kernel
 * that lived here on every shape measured (AMD EPYC Zen 5 with AVX-512, one thread, GFLOP/s
 * oneDNN vs AVX2 kernel: 256^3 222-241 vs 111; 512^3 211-215 vs 100-113; the convolution's
 * 32x1024x27 128-160 vs 73-83 and 64x1024x288 156-213 vs 69-81; the MLP's 64x256x784 179-230
 * vs 104-106; 64x10x256 87-118 vs 52-53), so that kernel was removed.
 */
#ifndef MILLRACE_CMATRIXKERNEL_H
#define MILLRACE_CMATRIXKERNEL_H

#ifdef __cplusplus
extern "C" {
#endif
/* Keeps freed large blocks mapped for reuse (glibc's mallopt, which Swift's Glibc module does
 * not export): tensors allocated every training step then reuse mapped memory. Returns 1 when
 * the allocator took the settings, 0 otherwise (not glibc). */
int millrace_keep_freed_memory(void);

/* total[i][j] += the sum over chunks c, up the chunk tree, of sum over rows r of chunk c (rows
 * starts[c]..<starts[c+1], in order, one fused multiply-add each) of a[r*lda + i] * b[r*ldb + j], for
 * i in [i_begin, i_end) and j in [0, q): a layer's weight gradient dY^T X summed per gradient chunk.
 * The tree is the caller's: `pairs` holds `pair_count` (target, addend) chunk slots, run in order as
 * slot target += slot addend with slot c starting as chunk c's value, and slot 0 is the sum (Swift's
 * ChunkTree.kernelSchedule). The bits are the same on every path
 * (path: 2 AVX-512, 1 AVX2+FMA, 0 scalar fmaf, -1 the best this CPU has) and for any split of the i
 * range. `scratch` holds millrace_chunked_outer_scratch(chunks) floats, one per concurrent call. */
void millrace_add_chunked_outer_products(const float *a, long lda, const float *b, long ldb, const long *starts, long chunks,
                                         const long *pairs, long pair_count, long i_begin, long i_end, long q, float *total, long ldt,
                                         int path, float *scratch);

/* The floats of scratch millrace_add_chunked_outer_products needs for `chunks` chunks. */
long millrace_chunked_outer_scratch(long chunks);

/* The path millrace_add_chunked_outer_products takes on this CPU (2, 1 or 0). */
int millrace_chunked_outer_path(void);

/* output[o][y][x] = the sum, one fused multiply-add each in the order c, ky, kx from 0, of
 * weight[o][c][ky][kx] * input[c][y + ky - 1][x + kx - 1] (zero outside the image): a 3x3
 * convolution with stride 1 and padding 1 of one image [channels][height][width] into
 * [outputs][height][width], without bias. The bits are the same on every path (2 AVX-512, 1
 * AVX2+FMA, 0 scalar fmaf, -1 the best this CPU has). `scratch` holds
 * millrace_convolve3x3_scratch(channels, height, width) floats, one per concurrent call. */
void millrace_convolve3x3(const float *input, long channels, long height, long width, const float *weight, long outputs, float *output,
                          int path, float *scratch);

/* gradient[o][c][ky][kx] += the sum over images i and pixels (y, x) of dy[i][o][y][x] *
 * input[i][c][y + ky - 1][x + kx - 1] (zero outside the image): the weight gradient of
 * millrace_convolve3x3 for `images` consecutive images. Each sum runs in 16 lanes (lane j takes the
 * pixels x = 16r + j of every row, one fused multiply-add each, images then rows in order, from 0),
 * the lanes added in a fixed tree; the same bits on every path. `scratch` holds
 * millrace_convolve3x3_weight_gradient_scratch(images, channels, height, width) floats. */
void millrace_add_convolve3x3_weight_gradient(const float *input, const float *dy, long images, long channels, long height, long width,
                                              long outputs, float *gradient, int path, float *scratch);

/* The floats of scratch millrace_add_convolve3x3_weight_gradient needs. */
long millrace_convolve3x3_weight_gradient_scratch(long images, long channels, long height, long width);

/* The floats of scratch millrace_convolve3x3 needs. */
long millrace_convolve3x3_scratch(long channels, long height, long width);

/* One step of a busy-wait loop: the x86 `pause` hint (eases the spinning core off the shared
 * cache line and lets a sibling hyperthread run), nothing elsewhere. */
static inline void millrace_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}
#ifdef __cplusplus
}
#endif

#endif
