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
