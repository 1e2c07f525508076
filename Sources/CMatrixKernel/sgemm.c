/*
 * Blocked single-precision GEMM (the BLIS loop order: NC / KC / MC blocks, packed panels, a
 * 6 x 16 register-tiled micro-kernel). Why C: the AVX2+FMA kernel needs
 * __attribute__((target)) and run-time CPU detection, which Swift cannot express without
 * unsafeFlags, and it keeps the package free of any BLAS dependency.
 */
#include "CMatrixKernel.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define MILLRACE_X86 1
#endif

enum { MR = 6, NR = 16, KC = 256, MC = 144, NC = 4080 };

typedef void (*micro_kernel_fn)(ptrdiff_t kc, const float *a, const float *b,
                                float *c, ptrdiff_t ldc, float beta);

/* The portable micro-kernel: plain loops that compilers vectorise for the baseline ISA. */
static void micro_kernel_portable(ptrdiff_t kc, const float *a, const float *b,
                                  float *c, ptrdiff_t ldc, float beta) {
    float acc[MR][NR];
    memset(acc, 0, sizeof acc);
    for (ptrdiff_t p = 0; p < kc; p++) {
        for (int i = 0; i < MR; i++) {
            const float ai = a[i];
            for (int j = 0; j < NR; j++) acc[i][j] += ai * b[j];
        }
        a += MR;
        b += NR;
    }
    for (int i = 0; i < MR; i++) {
        float *ci = c + i * ldc;
        if (beta == 0.0f) {
            for (int j = 0; j < NR; j++) ci[j] = acc[i][j];
        } else {
            for (int j = 0; j < NR; j++) ci[j] = acc[i][j] + beta * ci[j];
        }
    }
}

#ifdef MILLRACE_X86
#define ROW(i)                                                         \
    do {                                                               \
        const __m256 ai = _mm256_broadcast_ss(a + (i));                \
        c##i##0 = _mm256_fmadd_ps(ai, b0, c##i##0);                    \
        c##i##1 = _mm256_fmadd_ps(ai, b1, c##i##1);                    \
    } while (0)

#define STORE(i)                                                                  \
    do {                                                                          \
        float *ci = c + (i) * ldc;                                                \
        if (beta == 0.0f) {                                                       \
            _mm256_storeu_ps(ci, c##i##0);                                        \
            _mm256_storeu_ps(ci + 8, c##i##1);                                    \
        } else {                                                                  \
            _mm256_storeu_ps(ci, _mm256_fmadd_ps(vbeta, _mm256_loadu_ps(ci), c##i##0));     \
            _mm256_storeu_ps(ci + 8, _mm256_fmadd_ps(vbeta, _mm256_loadu_ps(ci + 8), c##i##1)); \
        }                                                                         \
    } while (0)

__attribute__((target("avx2,fma")))
static void micro_kernel_avx2(ptrdiff_t kc, const float *a, const float *b,
                              float *c, ptrdiff_t ldc, float beta) {
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
    __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
    __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
    __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
    /* Bring the C tile towards L1 while the k-loop runs, so the final update does not stall. */
    for (int i = 0; i < MR; i++) {
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + NR - 1), _MM_HINT_T0);
    }
    for (ptrdiff_t p = 0; p < kc; p++) {
        const __m256 b0 = _mm256_load_ps(b);
        const __m256 b1 = _mm256_load_ps(b + 8);
        _mm_prefetch((const char *)(b + 8 * NR), _MM_HINT_T0);
        ROW(0); ROW(1); ROW(2); ROW(3); ROW(4); ROW(5);
        a += MR;
        b += NR;
    }
    const __m256 vbeta = _mm256_set1_ps(beta);
    STORE(0); STORE(1); STORE(2); STORE(3); STORE(4); STORE(5);
}
#undef ROW
#undef STORE

/* Transposes eight rows of eight floats in registers: afterwards r[q] holds column q. */
__attribute__((target("avx2,fma")))
static inline void transpose8x8(__m256 r[8]) {
    const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

/* Packs one NR-column panel of a transposed B: panel[p * NR + j] = b[j * ldb + p] for j < cols,
 * zero for cols <= j < NR, p < kc. Eight source rows by eight columns at a time are transposed in
 * registers, so the panel is written in whole 32-byte rows instead of one float every 64 bytes. */
__attribute__((target("avx2,fma")))
static void pack_b_panel_transposed_avx2(const float *b, ptrdiff_t ldb, ptrdiff_t cols, ptrdiff_t kc, float *panel) {
    ptrdiff_t p = 0;
    for (; p + 8 <= kc; p += 8) {
        for (int half = 0; half < NR; half += 8) {
            const float *source = b + half * ldb + p;
            __m256 r[8];
            for (int t = 0; t < 8; t++) r[t] = half + t < cols ? _mm256_loadu_ps(source + t * ldb) : _mm256_setzero_ps();
            transpose8x8(r);
            float *out = panel + p * NR + half;
            for (int q = 0; q < 8; q++) _mm256_storeu_ps(out + q * NR, r[q]);
        }
    }
    for (; p < kc; p++) {
        for (int j = 0; j < NR; j++) panel[p * NR + j] = j < cols ? b[j * ldb + p] : 0.0f;
    }
}

/* Packs one full MR-row panel of A stored row by row: panel[p * MR + i] = alpha * a[i * lda + p]
 * for i < MR, p < kc, eight columns at a time through the register transpose (rows 6 and 7 are
 * zeros). Each transposed column is stored eight wide, its two zero lanes overwritten by the next
 * column; the last one is stored six wide so nothing past the panel is touched. */
__attribute__((target("avx2,fma")))
static void pack_a_panel_avx2(const float *a, ptrdiff_t lda, ptrdiff_t kc, float alpha, float *panel) {
    const __m256 scale = _mm256_set1_ps(alpha);
    ptrdiff_t p = 0;
    for (; p + 8 <= kc; p += 8) {
        __m256 r[8];
        for (int i = 0; i < MR; i++) r[i] = _mm256_mul_ps(scale, _mm256_loadu_ps(a + i * lda + p));
        r[6] = r[7] = _mm256_setzero_ps();
        transpose8x8(r);
        float *out = panel + p * MR;
        for (int q = 0; q < 7; q++) _mm256_storeu_ps(out + q * MR, r[q]);
        _mm_storeu_ps(out + 7 * MR, _mm256_castps256_ps128(r[7]));
        _mm_storel_pi((__m64 *)(out + 7 * MR + 4), _mm256_extractf128_ps(r[7], 1));
    }
    for (; p < kc; p++) {
        for (int i = 0; i < MR; i++) panel[p * MR + i] = alpha * a[i * lda + p];
    }
}
#endif

static int force_portable = 0;

void millrace_sgemm_force_portable(int force) { force_portable = force; }

static micro_kernel_fn choose_kernel(void) {
#ifdef MILLRACE_X86
    if (!force_portable && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return micro_kernel_avx2;
#endif
    return micro_kernel_portable;
}

const char *millrace_sgemm_kernel_name(void) {
    return choose_kernel() == micro_kernel_portable ? "portable" : "avx2-fma";
}

/* Packs op(A)[i0 .. i0+mc, p0 .. p0+kc) * alpha into MR-row panels, zero-padded to MR rows.
 * The loops run along the source's contiguous dimension. */
static void pack_a(int trans, const float *a, ptrdiff_t lda, ptrdiff_t i0, ptrdiff_t p0,
                   ptrdiff_t mc, ptrdiff_t kc, float alpha, float *dst) {
    for (ptrdiff_t ir = 0; ir < mc; ir += MR) {
        const ptrdiff_t rows = mc - ir < MR ? mc - ir : MR;
        float *panel = dst + ir * kc;
        if (trans) {
            /* op(A)[row, col] = a[col * lda + row]: rows are contiguous for a fixed col. */
            for (ptrdiff_t p = 0; p < kc; p++) {
                const float *source = a + (p0 + p) * lda + i0 + ir;
                float *out = panel + p * MR;
                for (ptrdiff_t i = 0; i < rows; i++) out[i] = alpha * source[i];
                for (ptrdiff_t i = rows; i < MR; i++) out[i] = 0.0f;
            }
        } else {
            /* op(A)[row, col] = a[row * lda + col]: cols are contiguous for a fixed row. */
#ifdef MILLRACE_X86
            if (rows == MR && choose_kernel() == micro_kernel_avx2) {
                pack_a_panel_avx2(a + (i0 + ir) * lda + p0, lda, kc, alpha, panel);
                continue;
            }
#endif
            for (ptrdiff_t i = 0; i < rows; i++) {
                const float *source = a + (i0 + ir + i) * lda + p0;
                for (ptrdiff_t p = 0; p < kc; p++) panel[p * MR + i] = alpha * source[p];
            }
            for (ptrdiff_t i = rows; i < MR; i++) {
                for (ptrdiff_t p = 0; p < kc; p++) panel[p * MR + i] = 0.0f;
            }
        }
    }
}

/* Packs op(B)[p0 .. p0+kc, j0 .. j0+nc) into NR-column panels, zero-padded to NR columns. */
static void pack_b(int trans, const float *b, ptrdiff_t ldb, ptrdiff_t p0, ptrdiff_t j0,
                   ptrdiff_t kc, ptrdiff_t nc, float *dst) {
    for (ptrdiff_t jr = 0; jr < nc; jr += NR) {
        const ptrdiff_t cols = nc - jr < NR ? nc - jr : NR;
        float *panel = dst + jr * kc;
        if (!trans) {
            /* op(B)[row, col] = b[row * ldb + col]: a panel row is contiguous. */
            for (ptrdiff_t p = 0; p < kc; p++) {
                const float *source = b + (p0 + p) * ldb + j0 + jr;
                float *out = panel + p * NR;
                if (cols == NR) {
                    memcpy(out, source, NR * sizeof(float));
                } else {
                    for (ptrdiff_t j = 0; j < cols; j++) out[j] = source[j];
                    for (ptrdiff_t j = cols; j < NR; j++) out[j] = 0.0f;
                }
            }
        } else {
            /* op(B)[row, col] = b[col * ldb + row]: rows are contiguous for a fixed col. */
#ifdef MILLRACE_X86
            if (choose_kernel() == micro_kernel_avx2) {
                pack_b_panel_transposed_avx2(b + (j0 + jr) * ldb + p0, ldb, cols, kc, panel);
                continue;
            }
#endif
            for (ptrdiff_t j = 0; j < cols; j++) {
                const float *source = b + (j0 + jr + j) * ldb + p0;
                for (ptrdiff_t p = 0; p < kc; p++) panel[p * NR + j] = source[p];
            }
            for (ptrdiff_t j = cols; j < NR; j++) {
                for (ptrdiff_t p = 0; p < kc; p++) panel[p * NR + j] = 0.0f;
            }
        }
    }
}

static ptrdiff_t round_up(ptrdiff_t x, ptrdiff_t to) { return (x + to - 1) / to * to; }

/* Each thread keeps one 64-byte aligned scratch buffer for packed panels, grown when a product
 * needs more and freed when the thread ends: a convolution calls sgemm a few hundred times per
 * training step, and none of those calls allocates once the buffer has its size. */
typedef struct {
    float *data;
    size_t capacity;
} thread_buffer;

static pthread_key_t buffer_key;
static pthread_once_t buffer_key_once = PTHREAD_ONCE_INIT;
static int buffer_key_ready = 0;

static void free_thread_buffer(void *pointer) {
    thread_buffer *buffer = pointer;
    free(buffer->data);
    free(buffer);
}

static void make_buffer_key(void) { buffer_key_ready = pthread_key_create(&buffer_key, free_thread_buffer) == 0; }

/* At least `floats` floats of this thread's buffer, or NULL when memory cannot be had. */
static float *thread_scratch(size_t floats) {
    pthread_once(&buffer_key_once, make_buffer_key);
    if (!buffer_key_ready) return NULL;
    thread_buffer *buffer = pthread_getspecific(buffer_key);
    if (!buffer) {
        buffer = calloc(1, sizeof *buffer);
        if (!buffer) return NULL;
        if (pthread_setspecific(buffer_key, buffer) != 0) {
            free(buffer);
            return NULL;
        }
    }
    if (buffer->capacity < floats) {
        free(buffer->data);
        buffer->data = aligned_alloc(64, (size_t)round_up((ptrdiff_t)(floats * sizeof(float)), 64));
        buffer->capacity = buffer->data ? floats : 0;
    }
    return buffer->data;
}

static void scale_c(ptrdiff_t m, ptrdiff_t n, float beta, float *c, ptrdiff_t ldc) {
    for (ptrdiff_t i = 0; i < m; i++) {
        float *ci = c + i * ldc;
        if (beta == 0.0f) {
            memset(ci, 0, (size_t)n * sizeof(float));
        } else if (beta != 1.0f) {
            for (ptrdiff_t j = 0; j < n; j++) ci[j] *= beta;
        }
    }
}

int millrace_sgemm(int transpose_a, int transpose_b,
                   ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                   float alpha, const float *a, ptrdiff_t lda,
                   const float *b, ptrdiff_t ldb,
                   float beta, float *c, ptrdiff_t ldc) {
    if (m <= 0 || n <= 0) return 0;
    if (k <= 0 || alpha == 0.0f) {
        scale_c(m, n, beta, c, ldc);
        return 0;
    }
    const micro_kernel_fn kernel = choose_kernel();
    const ptrdiff_t kc_max = k < KC ? k : KC;
    const ptrdiff_t mc_max = round_up(m < MC ? m : MC, MR);
    const ptrdiff_t nc_max = round_up(n < NC ? n : NC, NR);
    /* Both packed panels live in this thread's scratch buffer (B first; A starts 64-byte aligned). */
    const ptrdiff_t b_floats = round_up(nc_max * kc_max, 16);
    float *packed_b = thread_scratch((size_t)(b_floats + mc_max * kc_max));
    if (!packed_b) return -1;
    float *packed_a = packed_b + b_floats;
    float edge[MR * NR];

    for (ptrdiff_t jc = 0; jc < n; jc += NC) {
        const ptrdiff_t nc = n - jc < NC ? n - jc : NC;
        for (ptrdiff_t pc = 0; pc < k; pc += KC) {
            const ptrdiff_t kc = k - pc < KC ? k - pc : KC;
            const float beta_block = pc == 0 ? beta : 1.0f;
            pack_b(transpose_b, b, ldb, pc, jc, kc, nc, packed_b);
            for (ptrdiff_t ic = 0; ic < m; ic += MC) {
                const ptrdiff_t mc = m - ic < MC ? m - ic : MC;
                pack_a(transpose_a, a, lda, ic, pc, mc, kc, alpha, packed_a);
                for (ptrdiff_t jr = 0; jr < nc; jr += NR) {
                    const ptrdiff_t cols = nc - jr < NR ? nc - jr : NR;
                    const float *bp = packed_b + jr * kc;
                    for (ptrdiff_t ir = 0; ir < mc; ir += MR) {
                        const ptrdiff_t rows = mc - ir < MR ? mc - ir : MR;
                        const float *ap = packed_a + ir * kc;
                        float *cp = c + (ic + ir) * ldc + jc + jr;
                        if (rows == MR && cols == NR) {
                            kernel(kc, ap, bp, cp, ldc, beta_block);
                        } else {
                            /* Edge tile: compute into a scratch tile, then merge the valid part. */
                            kernel(kc, ap, bp, edge, NR, 0.0f);
                            for (ptrdiff_t i = 0; i < rows; i++) {
                                float *ci = cp + i * ldc;
                                const float *ei = edge + i * NR;
                                if (beta_block == 0.0f) {
                                    for (ptrdiff_t j = 0; j < cols; j++) ci[j] = ei[j];
                                } else {
                                    for (ptrdiff_t j = 0; j < cols; j++) ci[j] = ei[j] + beta_block * ci[j];
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    return 0;
}
