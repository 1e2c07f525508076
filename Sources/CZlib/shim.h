/* zlib (Debian's zlib1g-dev) for gzip-compressed CSV input and CRC32 checksums. */
#include <zlib.h>
