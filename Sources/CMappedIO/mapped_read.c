/* Guarded reads from memory-mapped files: see include/CMappedIO.h. */
#define _GNU_SOURCE
#include "CMappedIO.h"

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

#define UNIT_SCALE_BODY                                                                                   \
    for (size_t c = 0; c < channels; c++) {                                                               \
        const uint8_t *from = source + c * plane;                                                         \
        float *to = destination + c * plane;                                                              \
        if (means != NULL) {                                                                              \
            const float mean = means[c], inverse = inverses[c];                                           \
            for (size_t i = 0; i < plane; i++) to[i] = ((float)from[i] / 255.0f - mean) * inverse;        \
        } else {                                                                                          \
            for (size_t i = 0; i < plane; i++) to[i] = (float)from[i] / 255.0f;                           \
        }                                                                                                 \
    }

__attribute__((noinline)) static void unit_scale_baseline(const uint8_t *restrict source, float *restrict destination, size_t channels,
                                                          size_t plane, const float *means, const float *inverses) {
    UNIT_SCALE_BODY
}

__attribute__((noinline, target("avx2"))) static void unit_scale_avx2(const uint8_t *restrict source, float *restrict destination,
                                                                      size_t channels, size_t plane, const float *means,
                                                                      const float *inverses) {
    UNIT_SCALE_BODY
}

__attribute__((noinline, target("avx512f,avx512bw,avx512vl"))) static void unit_scale_avx512(const uint8_t *restrict source,
                                                                                             float *restrict destination, size_t channels,
                                                                                             size_t plane, const float *means,
                                                                                             const float *inverses) {
    UNIT_SCALE_BODY
}

int millrace_mapped_unit_scale_path(void) {
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")) return 2;
    if (__builtin_cpu_supports("avx2")) return 1;
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
    if (path == 2) {
        unit_scale_avx512(source, destination, channels, plane, means, inverses);
    } else if (path == 1) {
        unit_scale_avx2(source, destination, channels, plane, means, inverses);
    } else {
        unit_scale_baseline(source, destination, channels, plane, means, inverses);
    }
    guard_jump = NULL;
    return MILLRACE_MAPPED_OK;
}
