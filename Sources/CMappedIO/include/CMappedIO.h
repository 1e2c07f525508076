/*
 * Reads from memory-mapped files that survive the file being truncated while it is mapped.
 *
 * A page of a mapping that lies past the end of its file (the file was truncated after it was
 * mapped) raises SIGBUS when it is touched. Each function here runs its reads under a guard: a
 * SIGBUS raised by the calling thread while the guard is up returns MILLRACE_MAPPED_FAULT instead
 * of killing the process. The handler is installed on the first call (SA_SIGINFO | SA_NODEFER |
 * SA_ONSTACK); a SIGBUS that no guard expects goes to the handler that was installed before it
 * (or, with none, the default action: the process ends as it would have). Swift cannot call
 * setjmp, hence C.
 */
#ifndef MILLRACE_CMAPPEDIO_H
#define MILLRACE_CMAPPEDIO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The outcomes. */
#define MILLRACE_MAPPED_OK 0
#define MILLRACE_MAPPED_FAULT 1

/* memcpy(destination, source, count) under the guard. */
int millrace_mapped_copy(void *destination, const void *source, size_t count);

/* Writes `channels` planes of `plane` bytes each (channels first, as stored) as floats:
 * destination[c * plane + i] = ((float)source[c * plane + i] / 255.0f - means[c]) * inverses[c],
 * or source / 255.0f when `means` is NULL: each operation rounded once, in that order, so that the
 * values are bit for bit those of a 256-entry table built the same way. (The vector paths get the
 * correctly rounded quotient without a division: see CORRECTED in mapped_read.c.) `path`: 2
 * AVX-512, 1 AVX2 with FMA, 0 baseline, -1 (or one this CPU lacks) the best this CPU has; the
 * bits are the same on each. Under the guard. */
int millrace_mapped_unit_scale(const uint8_t *source, float *destination, size_t channels, size_t plane, const float *means,
                               const float *inverses, int path);

/* Asks the processor to bring the `count` bytes at `start` into its caches (prefetch
 * instructions, one per 64-byte line): a hint that never faults and never blocks. */
void millrace_mapped_prefetch(const void *start, size_t count);

/* The best conversion path this CPU has: 2 AVX-512, 1 AVX2 with FMA, 0 baseline. */
int millrace_mapped_unit_scale_path(void);

#ifdef __cplusplus
}
#endif

#endif
