#include "CMatrixKernel.h"

/* <stdlib.h> pulls in <features.h>, which defines __GLIBC__: without a libc header first the test
 * below is always false and the settings silently vanish. */
#include <stdlib.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

int millrace_keep_freed_memory(void) {
#if defined(__GLIBC__)
    return mallopt(M_MMAP_THRESHOLD, 512 << 20) == 1 && mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1;
#else
    return 0;
#endif
}
