/* Guarded reads from memory-mapped files: see include/CMappedIO.h. */
#define _GNU_SOURCE
#include "CMappedIO.h"

#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>

/* The jump of the guard up on this thread, or NULL. */
static __thread sigjmp_buf *volatile guard_jump;
/* The SIGBUS action in place before this file's handler. */
static struct sigaction previous_action;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;

static void bus_handler(int signal_number, siginfo_t *info, void *context) {
    sigjmp_buf *jump = guard_jump;
    /* Only a fault the kernel raised on this thread's access (si_code > 0), never a SIGBUS sent
     * with kill, returns through a guard. */
    if (jump != NULL && info != NULL && info->si_code > 0) {
        guard_jump = NULL;
        siglongjmp(*jump, 1);
    }
    if (previous_action.sa_flags & SA_SIGINFO) {
        if (previous_action.sa_sigaction != NULL) previous_action.sa_sigaction(signal_number, info, context);
        return;
    }
    if (previous_action.sa_handler == SIG_IGN) return;
    if (previous_action.sa_handler == SIG_DFL) {
        /* The default action: returning re-runs the faulting access, which now ends the process. */
        signal(SIGBUS, SIG_DFL);
        if (info == NULL || info->si_code <= 0) raise(SIGBUS);
        return;
    }
    previous_action.sa_handler(signal_number);
}

static void install_handler(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = bus_handler;
    sigemptyset(&action.sa_mask);
    /* SA_NODEFER: SIGBUS stays unblocked after the jump out of the handler (sigsetjmp does not
     * save the signal mask, which costs a system call per read). */
    action.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    sigaction(SIGBUS, &action, &previous_action);
}

/* x / 255 rounded once, as a division (the baseline path, which has no fused multiply-add). */
#define DIVIDED(x) ((x) / 255.0f)

/* x / 255 rounded once, without a division: q = x * (1/255) is off by an ulp for 126 of the 256
 * bytes; one fused multiply-add step on the exact residual x - 255q (Markstein's correction)
 * gives the correctly rounded quotient for every byte (MappedFileTests checks all 256 on every
 * path). A division has a fifth of the throughput. */
#define CORRECTED(x)                                                                                      \
    ({                                                                                                    \
        const float value = (x);                                                                          \
        const float first = value * reciprocal;                                                           \
        fmaf(fmaf(-first, 255.0f, value), reciprocal, first);                                             \
    })

/* Asks for every cache line of the sample at once before converting it: a sample read in a
 * shuffled order is a few kilobytes from anywhere in the pack, and the conversion loop, which
 * reads 16 bytes per step, leaves too few misses in flight to hide memory's latency (prefetching
 * first ran 1.35-1.4x faster on AMD EPYC Zen 4/5). A prefetch never faults, even on a page past
 * the end of a truncated file. */
#define UNIT_SCALE_BODY(QUOTIENT)                                                                         \
    for (size_t line = 0; line < channels * plane; line += 64) __builtin_prefetch(source + line, 0, 3);   \
    const float reciprocal = 1.0f / 255.0f;                                                               \
    (void)reciprocal;                                                                                     \
    for (size_t c = 0; c < channels; c++) {                                                               \
        const uint8_t *from = source + c * plane;                                                         \
        float *to = destination + c * plane;                                                              \
        if (means != NULL) {                                                                              \
            const float mean = means[c], inverse = inverses[c];                                           \
            for (size_t i = 0; i < plane; i++) {                                                          \
                const float unit = QUOTIENT((float)from[i]);                                              \
                to[i] = (unit - mean) * inverse;                                                          \
            }                                                                                             \
        } else {                                                                                          \
            for (size_t i = 0; i < plane; i++) to[i] = QUOTIENT((float)from[i]);                          \
        }                                                                                                 \
    }

__attribute__((noinline)) static void unit_scale_baseline(const uint8_t *restrict source, float *restrict destination, size_t channels,
                                                          size_t plane, const float *means, const float *inverses) {
    UNIT_SCALE_BODY(DIVIDED)
}

#if defined(__x86_64__)
__attribute__((noinline, target("avx2,fma"))) static void unit_scale_avx2(const uint8_t *restrict source, float *restrict destination,
                                                                          size_t channels, size_t plane, const float *means,
                                                                          const float *inverses) {
    UNIT_SCALE_BODY(CORRECTED)
}

__attribute__((noinline, target("avx512f,avx512bw,avx512vl,fma"))) static void unit_scale_avx512(const uint8_t *restrict source,
                                                                                                 float *restrict destination,
                                                                                                 size_t channels, size_t plane,
                                                                                                 const float *means,
                                                                                                 const float *inverses) {
    UNIT_SCALE_BODY(CORRECTED)
}
#endif

void millrace_mapped_prefetch(const void *start, size_t count) {
    const char *bytes = start;
    for (size_t line = 0; line < count; line += 64) __builtin_prefetch(bytes + line, 0, 3);
}

int millrace_mapped_unit_scale_path(void) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")) return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
#endif
    return 0;
}

__attribute__((noinline)) static void copy_bytes(void *destination, const void *source, size_t count) {
    memcpy(destination, source, count);
}

int millrace_mapped_copy(void *destination, const void *source, size_t count) {
    pthread_once(&install_once, install_handler);
    sigjmp_buf jump;
    if (sigsetjmp(jump, 0) != 0) return MILLRACE_MAPPED_FAULT;
    guard_jump = &jump;
    copy_bytes(destination, source, count);
    guard_jump = NULL;
    return MILLRACE_MAPPED_OK;
}

int millrace_mapped_unit_scale(const uint8_t *source, float *destination, size_t channels, size_t plane, const float *means,
                               const float *inverses, int requested) {
    pthread_once(&install_once, install_handler);
    const int best = millrace_mapped_unit_scale_path();
    const int path = requested < 0 || requested > best ? best : requested;
    sigjmp_buf jump;
    if (sigsetjmp(jump, 0) != 0) return MILLRACE_MAPPED_FAULT;
    guard_jump = &jump;
#if defined(__x86_64__)
    if (path == 2) {
        unit_scale_avx512(source, destination, channels, plane, means, inverses);
    } else if (path == 1) {
        unit_scale_avx2(source, destination, channels, plane, means, inverses);
    } else {
        unit_scale_baseline(source, destination, channels, plane, means, inverses);
    }
#else
    (void)path;
    unit_scale_baseline(source, destination, channels, plane, means, inverses);
#endif
    guard_jump = NULL;
    return MILLRACE_MAPPED_OK;
}
