/*
 * A thin wrapper over libjpeg (libjpeg-turbo's libjpeg API) for Millrace. libjpeg reports errors
 * through error_exit, which here longjmps to a setjmp in this C target, so no longjmp ever
 * crosses a Swift frame. Errors come back as a status code, a message (libjpeg's own words, never
 * printed) and the byte offset the decoder had consumed.
 */
#ifndef MILLRACE_CJPEG_H
#define MILLRACE_CJPEG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum millrace_jpeg_status {
    MILLRACE_JPEG_OK = 0,
    MILLRACE_JPEG_NOT_JPEG = 1,          /* the SOI marker (FF D8 FF) is missing */
    MILLRACE_JPEG_TOO_LARGE = 2,         /* width * height exceeds the caller's pixel limit */
    MILLRACE_JPEG_BUFFER_TOO_SMALL = 3,  /* result.required_bytes says how much is needed */
    MILLRACE_JPEG_LIBJPEG_ERROR = 4,     /* corrupt or unsupported data: see message */
    MILLRACE_JPEG_OUT_OF_MEMORY = 5,
    MILLRACE_JPEG_INVALID_ARGUMENT = 6,
    MILLRACE_JPEG_TRUNCATED = 7,         /* the data ends before the image does */
};

typedef struct {
    uint32_t width;          /* as stored (the frame header) */
    uint32_t height;
    uint32_t output_width;   /* of the decoded pixels: swapped for orientations 5-8 when applied */
    uint32_t output_height;
    int components;          /* 1, 3 or 4 */
    int color_space;         /* of the file, libjpeg's J_COLOR_SPACE: 1 gray, 2 RGB, 3 YCbCr, 4 CMYK, 5 YCCK */
    int progressive;         /* 1 for a progressive (SOF2/SOF6/SOF10/SOF14) file */
    int arithmetic;          /* 1 for arithmetic coding */
    int max_h_sampling;      /* the largest component sampling factors (2 x 2 is 4:2:0 for YCbCr) */
    int max_v_sampling;
    int chroma_h_sampling;   /* the second component's factors (0 for gray) */
    int chroma_v_sampling;
    int orientation;         /* EXIF orientation 1-8 (XMP tiff:Orientation when EXIF has none); 1 when absent */
    size_t required_bytes;
    size_t byte_offset;      /* bytes consumed when decoding stopped (where an error was found) */
    char message[256];
} millrace_jpeg_result;

/*
 * Decodes a JPEG held in memory to `channels` (1 gray, 3 RGB, 4 RGBA) 8-bit samples, row after
 * row with no padding, with libjpeg's default settings (the accurate integer IDCT, fancy
 * upsampling), which are Pillow's. Colour conversions follow Pillow's `convert`: gray is
 * replicated for RGB, an opaque alpha is added for RGBA, colour to gray is
 * (R * 19595 + G * 38470 + B * 7471 + 0x8000) >> 16 of the RGB pixels, and CMYK (YCCK is turned
 * into CMYK by libjpeg) is read with Adobe's inverted polarity, as Pillow's "CMYK;I" raw mode
 * does, then R = 255 - K' - (255 - C') * (255 - K') / 255 rounded as Pillow's cmyk2rgb.
 * With `apply_orientation` the EXIF orientation (2-8) is applied as Pillow's
 * ImageOps.exif_transpose does. Data that ends early is refused (MILLRACE_JPEG_TRUNCATED) unless
 * every pixel row was already decoded (only markers after the image are missing: Pillow accepts
 * such a file); libjpeg's warnings about corrupt entropy-coded data are errors. The header is
 * checked against `max_pixels` before anything is allocated.
 */
int millrace_jpeg_decode(const uint8_t *data, size_t size, int channels, int apply_orientation,
                         uint64_t max_pixels, void *out, size_t out_capacity,
                         millrace_jpeg_result *result);

/* Reads only the markers before the first scan (the frame header, EXIF and XMP orientation). */
int millrace_jpeg_read_header(const uint8_t *data, size_t size, millrace_jpeg_result *result);

/* The largest number of scans a file may have (libjpeg-turbo's own fuzzing limit is 500):
 * a progressive file with thousands of tiny scans is a known way to make a decoder spin. */
#define MILLRACE_JPEG_MAX_SCANS 1000

#ifdef __cplusplus
}
#endif

#endif
