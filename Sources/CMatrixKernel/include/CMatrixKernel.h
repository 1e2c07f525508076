/*
 * Single-precision matrix multiply for Millrace (row-major).
 *
 *   C[i, j] = alpha * sum_p op(A)[i, p] * op(B)[p, j] + beta * C[i, j]
 *
 * op(A)[i, p] is A[i * lda + p], or A[p * lda + i] when transpose_a is non-zero;
 * op(B)[p, j] is B[p * ldb + j], or B[j * ldb + p] when transpose_b is non-zero.
 * When beta is 0, C is not read (NaNs already in C do not propagate), as in BLAS.
 *
 * The kernel is cache blocked and register tiled (6 x 16); an AVX2+FMA micro-kernel is chosen
 * at run time when the processor supports it, otherwise a portable C micro-kernel runs.
 * One call runs on the calling thread; callers split large products across threads.
 */
#ifndef MILLRACE_CMATRIXKERNEL_H
#define MILLRACE_CMATRIXKERNEL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Returns 0 on success, -1 when the packing buffers could not be allocated.
int millrace_sgemm(int transpose_a, int transpose_b,
                   ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                   float alpha, const float *a, ptrdiff_t lda,
                   const float *b, ptrdiff_t ldb,
                   float beta, float *c, ptrdiff_t ldc);

/// The micro-kernel that millrace_sgemm uses on this processor: "avx2-fma" or "portable".
const char *millrace_sgemm_kernel_name(void);

/// Forces the portable micro-kernel (non-zero) or the automatic choice (zero); for tests.
void millrace_sgemm_force_portable(int force);

#ifdef __cplusplus
}
#endif

#endif

#ifdef __cplusplus
extern "C" {
#endif
/* Keeps freed large blocks mapped for reuse (glibc's mallopt, which Swift's Glibc module does
 * not export): tensors allocated every training step then reuse mapped memory. Returns 1 when
 * the allocator took the settings, 0 otherwise (not glibc). */
int millrace_keep_freed_memory(void);
#ifdef __cplusplus
}
#endif
