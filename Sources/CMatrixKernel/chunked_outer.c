#include "CMatrixKernel.h"

#include <math.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

/*
 * total[i][j] += tree sum over chunks c of ( sum over rows r of chunk c, in order, of a[r][i] * b[r][j] ).
 *
 * Every element is computed the same way on every path: acc = 0, then acc = fma(a[r][i], b[r][j], acc)
 * for each row of the chunk in order (one rounding per row), chunk c's value in slot c; then the
 * tree's additions, which this file does not define but receives from Swift (`pairs`, from
 * ChunkTree.forEachAddition in Sources/Tensors/ChunkTree+Additions.swift): slot target += slot
 * addend, in order; the root (slot 0) is added to total. The AVX-512, AVX2 and scalar paths do the same per-lane
 * arithmetic (fused multiply-add), so the bits do not depend on the CPU's vector width or on which
 * rows of i a thread takes.
 */

enum { ROWS = 8 }; /* output rows (i) per block: eight accumulators */

/* The chunks and their tree, as Swift gives them. */
typedef struct {
    const long *starts; /* chunk c is rows starts[c]..<starts[c+1] */
    long count;
    const long *pairs; /* the tree's additions: (target, addend) slot pairs, in order */
    long pair_count;
} chunking;

/* Runs additions `from`..<pair_count (slot target += slot addend, slots `stride` floats apart,
 * `width` floats each), then adds the root (slot 0) into `out`. */
static void reduce_slots(float *partials, chunking chunks, long from, long stride, long width, float *out) {
    for (long p = from; p < chunks.pair_count; p++) {
        float *target = partials + chunks.pairs[2 * p] * stride;
        const float *addend = partials + chunks.pairs[2 * p + 1] * stride;
        for (long k = 0; k < width; k++) target[k] += addend[k];
    }
    for (long k = 0; k < width; k++) out[k] += partials[k];
}

/* One element column j for rows i0..i0+n-1 (n <= ROWS), scalar: the reference arithmetic. */
static void scalar_columns(const float *a, long lda, const float *b, long ldb, chunking chunks, long i0, long n, long j0, long j1,
                           float *total, long ldt, float *partials) {
    for (long j = j0; j < j1; j++) {
        for (long c = 0; c < chunks.count; c++) {
            for (long k = 0; k < n; k++) {
                float acc = 0;
                for (long r = chunks.starts[c]; r < chunks.starts[c + 1]; r++) acc = fmaf(a[r * lda + i0 + k], b[r * ldb + j], acc);
                partials[c * ROWS + k] = acc;
            }
        }
        float root[ROWS] = {0}; /* zeroed, as the vector paths' root: root = 0 + tree sum */
        reduce_slots(partials, chunks, 0, ROWS, n, root);
        for (long k = 0; k < n; k++) total[(i0 + k) * ldt + j] += root[k];
    }
}

#if defined(__x86_64__)
/* One block: rows i0..i0+n-1 (n <= ROWS) and `vectors` (1 to 3) 16-lane vectors of columns from j,
 * `valid` columns in all (masked at the edge). Inlined with constant n and vectors, so the
 * accumulators stay in registers. */
__attribute__((target("avx512f"), always_inline)) static inline void avx512_block(const float *a, long lda, const float *b, long ldb,
                                                                                  chunking chunks, long i0, const int n, const int vectors,
                                                                                  long j, long valid, float *total, long ldt,
                                                                                  float *partials) {
    __mmask16 masks[3];
    for (int v = 0; v < 3; v++) {
        const long lanes = valid - 16 * v;
        masks[v] = lanes >= 16 ? (__mmask16)0xFFFF : (lanes <= 0 ? (__mmask16)0 : (__mmask16)((1u << lanes) - 1u));
    }
    const long width = 16 * vectors;
    long next = 0; /* the next addition of the schedule */
    for (long c = 0; c < chunks.count; c++) {
        __m512 acc[ROWS][3];
        for (int k = 0; k < ROWS; k++) {
            for (int v = 0; v < vectors; v++) acc[k][v] = _mm512_setzero_ps();
        }
        for (long r = chunks.starts[c]; r < chunks.starts[c + 1]; r++) {
            __m512 row[3];
            for (int v = 0; v < vectors; v++) row[v] = _mm512_maskz_loadu_ps(masks[v], b + r * ldb + j + 16 * v);
            const float *column = a + r * lda + i0;
            for (int k = 0; k < n; k++) {
                const __m512 value = _mm512_set1_ps(column[k]);
                for (int v = 0; v < vectors; v++) acc[k][v] = _mm512_fmadd_ps(value, row[v], acc[k][v]);
            }
        }
        /* The schedule's additions as the chunks come (a performance detail, the same bits): when
         * the next addition adds slot c into an earlier chunk's slot, it runs now from the
         * registers (slot target + chunk c: the operands reduce_slots would add, in schedule
         * order); otherwise chunk c is stored in slot c. For the chunk tree this is its first
         * level: chunk 2m+1 added into slot 2m. */
        const int adds = next < chunks.pair_count && chunks.pairs[2 * next + 1] == c && chunks.pairs[2 * next] < c;
        float *slot = partials + (adds ? chunks.pairs[2 * next] : c) * ROWS * width;
        next += adds;
        for (int k = 0; k < ROWS; k++) {
            for (int v = 0; v < vectors; v++) {
                float *at = slot + k * width + 16 * v;
                _mm512_storeu_ps(at, adds ? _mm512_add_ps(_mm512_loadu_ps(at), acc[k][v]) : acc[k][v]);
            }
        }
    }
    float root[ROWS * 48];
    for (int k = 0; k < ROWS * 48; k++) root[k] = 0;
    reduce_slots(partials, chunks, next, ROWS * width, ROWS * width, root);
    for (int k = 0; k < n; k++) {
        for (int v = 0; v < vectors; v++) {
            float *out = total + (i0 + k) * ldt + j + 16 * v;
            const __m512 sum = _mm512_add_ps(_mm512_maskz_loadu_ps(masks[v], out), _mm512_loadu_ps(root + k * width + 16 * v));
            _mm512_mask_storeu_ps(out, masks[v], sum);
        }
    }
}

__attribute__((target("avx512f"))) static void avx512_rows(const float *a, long lda, const float *b, long ldb, chunking chunks,
                                                           long i_begin, long i_end, long q, float *total, long ldt, float *partials) {
    long i0 = i_begin;
    for (; i0 + ROWS <= i_end; i0 += ROWS) {
        long j = 0;
        for (; j + 48 <= q; j += 48) avx512_block(a, lda, b, ldb, chunks, i0, ROWS, 3, j, q - j, total, ldt, partials);
        for (; j + 32 <= q; j += 32) avx512_block(a, lda, b, ldb, chunks, i0, ROWS, 2, j, q - j, total, ldt, partials);
        for (; j < q; j += 16) avx512_block(a, lda, b, ldb, chunks, i0, ROWS, 1, j, q - j, total, ldt, partials);
    }
    if (i0 < i_end) {
        for (long j = 0; j < q; j += 16) avx512_block(a, lda, b, ldb, chunks, i0, (int)(i_end - i0), 1, j, q - j, total, ldt, partials);
    }
}

__attribute__((target("avx2,fma"), always_inline)) static inline void avx2_block(const float *a, long lda, const float *b, long ldb,
                                                                                 chunking chunks, long i0, const int n, long j, long valid,
                                                                                 float *total, long ldt, float *partials) {
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(valid >= 8 ? 8 : (int)valid), lanes);
    for (long c = 0; c < chunks.count; c++) {
        __m256 acc[ROWS];
        for (int k = 0; k < ROWS; k++) acc[k] = _mm256_setzero_ps();
        for (long r = chunks.starts[c]; r < chunks.starts[c + 1]; r++) {
            const __m256 row = _mm256_maskload_ps(b + r * ldb + j, mask);
            const float *column = a + r * lda + i0;
            for (int k = 0; k < n; k++) acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(column[k]), row, acc[k]);
        }
        for (int k = 0; k < ROWS; k++) _mm256_storeu_ps(partials + (c * ROWS + k) * 8, acc[k]);
    }
    float root[ROWS * 8];
    for (int k = 0; k < ROWS * 8; k++) root[k] = 0;
    reduce_slots(partials, chunks, 0, ROWS * 8, ROWS * 8, root);
    for (int k = 0; k < n; k++) {
        float *out = total + (i0 + k) * ldt + j;
        _mm256_maskstore_ps(out, mask, _mm256_add_ps(_mm256_maskload_ps(out, mask), _mm256_loadu_ps(root + k * 8)));
    }
}

__attribute__((target("avx2,fma"))) static void avx2_rows(const float *a, long lda, const float *b, long ldb, chunking chunks,
                                                          long i_begin, long i_end, long q, float *total, long ldt, float *partials) {
    long i0 = i_begin;
    for (; i0 + ROWS <= i_end; i0 += ROWS) {
        for (long j = 0; j < q; j += 8) avx2_block(a, lda, b, ldb, chunks, i0, ROWS, j, q - j, total, ldt, partials);
    }
    if (i0 < i_end) {
        for (long j = 0; j < q; j += 8) avx2_block(a, lda, b, ldb, chunks, i0, (int)(i_end - i0), j, q - j, total, ldt, partials);
    }
}
#endif

/* Which path this CPU takes: 2 AVX-512, 1 AVX2 with FMA, 0 scalar (fmaf); every kernel here uses it. */
int millrace_vector_path(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
#endif
    return 0;
}

long millrace_chunked_outer_scratch(long chunks) { return chunks * ROWS * 48; }

void millrace_add_chunked_outer_products(const float *a, long lda, const float *b, long ldb, const long *starts, long chunk_count,
                                         const long *pairs, long pair_count, long i_begin, long i_end, long q, float *total, long ldt,
                                         int path, float *partials) {
    if (chunk_count <= 0 || i_end <= i_begin || q <= 0) return;
    if (path < 0) path = millrace_vector_path();
    const chunking chunks = {starts, chunk_count, pairs, pair_count};
#if defined(__x86_64__)
    if (path == 2) return avx512_rows(a, lda, b, ldb, chunks, i_begin, i_end, q, total, ldt, partials);
    if (path == 1) return avx2_rows(a, lda, b, ldb, chunks, i_begin, i_end, q, total, ldt, partials);
#endif
    for (long i0 = i_begin; i0 < i_end; i0 += ROWS) {
        const long n = i_end - i0 < ROWS ? i_end - i0 : ROWS;
        scalar_columns(a, lda, b, ldb, chunks, i0, n, 0, q, total, ldt, partials);
    }
}
