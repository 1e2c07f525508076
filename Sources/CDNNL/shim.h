/*
 * oneDNN's C API for Millrace (Debian's libdnnl-dev: oneDNN 2.x on Debian 12, 3.x on Debian 13).
 * Millrace calls only dnnl_sgemm and dnnl_version, whose C symbols and signatures are the same in
 * oneDNN 2.x and 3.x, so this module compiles against either without version checks.
 */
#ifndef MILLRACE_CDNNL_SHIM_H
#define MILLRACE_CDNNL_SHIM_H

#include <oneapi/dnnl/dnnl.h>

#include <dlfcn.h>

/*
 * Makes oneDNN calls from the calling thread run on that thread alone.
 *
 * Debian builds oneDNN with OpenMP, which would otherwise fan every call out to a team of
 * OpenMP threads sized by OMP_NUM_THREADS or the processor count: results would then depend on
 * that count, and the team's spinning threads would compete with Millrace's own workers.
 * OpenMP's thread limit is a per-thread setting, so it is set to 1 once on each calling thread.
 * The function is looked up at run time (libgomp is loaded with libdnnl) so that Millrace needs
 * no OpenMP link flags, and a oneDNN built for another threading runtime still works.
 * Returns 1 when OpenMP's limit was set (now or earlier on this thread), 0 when there is none.
 */
static inline int millrace_dnnl_use_calling_thread_only(void) {
    static _Thread_local int state = -1;
    if (state < 0) {
        void (*set_threads)(int) = (void (*)(int))dlsym(RTLD_DEFAULT, "omp_set_num_threads");
        if (set_threads) set_threads(1);
        state = set_threads ? 1 : 0;
    }
    return state;
}

#endif
