/*
 * A thin wrapper over libpng for Millrace. libpng reports errors with longjmp; every setjmp lives
 * in this C file, so no longjmp ever crosses a Swift frame. Errors come back as a status code, a
 * message (libpng's own words) and the byte offset reached in the input.
 */
#ifndef MILLRACE_CPNG_H
#define MILLRACE_CPNG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum millrace_png_status {
    MILLRACE_PNG_OK = 0,
    MILLRACE_PNG_NOT_PNG = 1,          /* the signature is missing */
    MILLRACE_PNG_TOO_LARGE = 2,        /* width * height exceeds the caller's pixel limit */
    MILLRACE_PNG_BUFFER_TOO_SMALL = 3, /* result.required_bytes says how much is needed */
    MILLRACE_PNG_LIBPNG_ERROR = 4,     /* corrupt or truncated data: see message */
    MILLRACE_PNG_OUT_OF_MEMORY = 5,
    MILLRACE_PNG_INVALID_ARGUMENT = 6,
};

typedef struct {
    uint32_t width;
    uint32_t height;
    int color_type;       /* PNG colour type of the file: 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA */
    int bit_depth;        /* of the file: 1, 2, 4, 8 or 16 */
    int interlaced;       /* 1 for Adam7 */
    int has_transparency; /* a tRNS chunk is present */
    size_t required_bytes;
    size_t byte_offset;   /* how far into the input decoding got (where an error happened) */
    char message[256];
} millrace_png_result;

/*
 * Decodes a PNG held in memory to `channels` (1 gray, 3 RGB, 4 RGBA) of 8-bit samples, or of
 * 16-bit native-endian samples when `sixteen_bit` is non-zero, row after row with no padding.
 * Conversions use libpng's transforms: palette and low-bit-depth expansion, tRNS to alpha,
 * strip 16 to 8 (or expand 8 to 16), gray to RGB, add an opaque alpha or strip alpha. Colour to
 * gray is ITU-R 601-2 luma computed as Pillow's convert("L") does, (R * 19595 + G * 38470 +
 * B * 7471 + 0x8000) >> 16, after alpha is dropped. No gamma correction is ever applied (a gAMA
 * chunk changes nothing). On error result->byte_offset is how far libpng had read: the end of
 * the last read that succeeded, within the chunk where the damage was found.
 * The header is checked against `max_pixels` before anything is allocated.
 */
int millrace_png_decode(const uint8_t *data, size_t size, int channels, int sixteen_bit,
                        uint64_t max_pixels, void *out, size_t out_capacity,
                        millrace_png_result *result);

/* Reads only the header (IHDR and the chunks before the image data). */
int millrace_png_read_header(const uint8_t *data, size_t size, millrace_png_result *result);

/*
 * Encodes `rows` (height rows of `row_bytes` each, in the PNG's own sample layout: packed below
 * 8 bits, big-endian at 16 bits) with libpng's writer. `palette` holds `palette_entries` RGB
 * triplets for colour type 3; `trns` holds `trns_count` alpha bytes for a palette, or one
 * 16-bit gray value (trns_count 1) or three 16-bit RGB values (trns_count 3) for types 0 and 2.
 * On success *out_data is a malloc'ed buffer the caller frees with millrace_png_free.
 */
int millrace_png_encode(uint32_t width, uint32_t height, int color_type, int bit_depth,
                        int interlaced, const uint8_t *rows, size_t row_bytes,
                        const uint8_t *palette, int palette_entries,
                        const uint16_t *trns, int trns_count,
                        uint8_t **out_data, size_t *out_size, char *message, size_t message_size);

void millrace_png_free(void *pointer);

#ifdef __cplusplus
}
#endif

#endif
