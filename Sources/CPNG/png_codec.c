/*
 * libpng decode/encode with error handling kept in C (see CPNG.h). Why C: libpng signals errors
 * by longjmp, which must never unwind Swift frames; a setjmp in a C frame catches it here.
 */
#include "CPNG.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    jmp_buf jump;
    char *message;
    size_t message_size;
} error_state;

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t offset;
} memory_reader;

static void on_error(png_structp png, png_const_charp text) {
    error_state *state = (error_state *)png_get_error_ptr(png);
    snprintf(state->message, state->message_size, "%s", text);
    longjmp(state->jump, 1);
}

static void on_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

static void read_memory(png_structp png, png_bytep out, size_t length) {
    memory_reader *reader = (memory_reader *)png_get_io_ptr(png);
    if (reader->size - reader->offset < length) {
        png_error(png, "unexpected end of data: the file is truncated");
    }
    memcpy(out, reader->data + reader->offset, length);
    reader->offset += length;
}

static void fill_header(png_structp png, png_infop info, millrace_png_result *result) {
    result->width = png_get_image_width(png, info);
    result->height = png_get_image_height(png, info);
    result->color_type = png_get_color_type(png, info);
    result->bit_depth = png_get_bit_depth(png, info);
    result->interlaced = png_get_interlace_type(png, info) == PNG_INTERLACE_ADAM7;
    result->has_transparency = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
}

/* Sets up the transforms that turn the file's format into `channels` x (8 or 16) bits. */
static void set_transforms(png_structp png, png_infop info, int channels, int sixteen_bit) {
    const int color_type = png_get_color_type(png, info);
    const int bit_depth = png_get_bit_depth(png, info);
    const int has_trns = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
    const int is_color = (color_type & PNG_COLOR_MASK_COLOR) != 0;
    const int has_alpha = (color_type & PNG_COLOR_MASK_ALPHA) != 0 || has_trns;

    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (has_trns) png_set_tRNS_to_alpha(png);
    if (sixteen_bit) {
        if (bit_depth < 16) png_set_expand_16(png);
        png_set_swap(png); /* big-endian file samples to this little-endian host */
    } else if (bit_depth == 16) {
        png_set_strip_16(png);
    }
    switch (channels) {
    case 1:
        /* Colour images are decoded to RGB here and turned to gray after decoding
         * (gray_from_rgb): libpng's rgb_to_gray would apply the gamma of a gAMA chunk. */
        if (has_alpha) png_set_strip_alpha(png);
        break;
    case 3:
        if (!is_color) png_set_gray_to_rgb(png);
        if (has_alpha) png_set_strip_alpha(png);
        break;
    default:
        if (!is_color) png_set_gray_to_rgb(png);
        if (!has_alpha) png_set_add_alpha(png, sixteen_bit ? 0xffff : 0xff, PNG_FILLER_AFTER);
        break;
    }
}

/*
 * ITU-R 601-2 luma exactly as Pillow's convert("L") computes it (Convert.c, L24):
 * (R * 19595 + G * 38470 + B * 7471 + 0x8000) >> 16, i.e. (299 R + 587 G + 114 B) / 1000 rounded
 * to nearest in 16.16 fixed point; no gamma. `count` pixels of 3 samples, 8- or 16-bit, from
 * `rgb` to `gray` (which may alias the start of `rgb`: each output lies at or before its input).
 */
static void gray_from_rgb(const void *rgb, void *gray, size_t count, int sixteen_bit) {
    if (sixteen_bit) {
        const uint16_t *in = rgb;
        uint16_t *out = gray;
        for (size_t i = 0; i < count; i++, in += 3) {
            out[i] = (uint16_t)(((uint64_t)in[0] * 19595 + (uint64_t)in[1] * 38470 + (uint64_t)in[2] * 7471 + 0x8000) >> 16);
        }
    } else {
        const uint8_t *in = rgb;
        uint8_t *out = gray;
        for (size_t i = 0; i < count; i++, in += 3) {
            out[i] = (uint8_t)(((uint32_t)in[0] * 19595 + (uint32_t)in[1] * 38470 + (uint32_t)in[2] * 7471 + 0x8000) >> 16);
        }
    }
}

static int begin(const uint8_t *data, size_t size, millrace_png_result *result) {
    memset(result, 0, sizeof *result);
    if (data == NULL || size < 8 || png_sig_cmp((png_const_bytep)data, 0, 8) != 0) {
        snprintf(result->message, sizeof result->message, "not a PNG file: the 8-byte PNG signature is missing");
        return MILLRACE_PNG_NOT_PNG;
    }
    return MILLRACE_PNG_OK;
}

/* Decodes, or with header_only reads only the chunks before the image data. The setjmp must
 * live in the frame that continues after it, so both entry points share this one function. */
static int read_png(const uint8_t *data, size_t size, int channels, int sixteen_bit,
                    uint64_t max_pixels, void *out, size_t out_capacity,
                    millrace_png_result *result, int header_only) {
    int status = begin(data, size, result);
    if (status != MILLRACE_PNG_OK) return status;
    if (channels != 1 && channels != 3 && channels != 4) {
        snprintf(result->message, sizeof result->message, "channels must be 1, 3 or 4, not %d", channels);
        return MILLRACE_PNG_INVALID_ARGUMENT;
    }
    /* Refuse an oversized image from the IHDR fields alone (IHDR must be the first chunk), before
     * libpng reads further or anything is allocated. */
    if (!header_only && size >= 24 && memcmp(data + 12, "IHDR", 4) == 0) {
        const uint32_t w = (uint32_t)data[16] << 24 | (uint32_t)data[17] << 16 | (uint32_t)data[18] << 8 | data[19];
        const uint32_t h = (uint32_t)data[20] << 24 | (uint32_t)data[21] << 16 | (uint32_t)data[22] << 8 | data[23];
        if ((uint64_t)w * (uint64_t)h > max_pixels) {
            result->width = w;
            result->height = h;
            result->byte_offset = 16;
            snprintf(result->message, sizeof result->message,
                     "the header declares %u x %u pixels, over the limit of %llu pixels",
                     w, h, (unsigned long long)max_pixels);
            return MILLRACE_PNG_TOO_LARGE;
        }
    }
    error_state errors = {.message = result->message, .message_size = sizeof result->message};
    /* Read after longjmp, and changed between setjmp and longjmp: it must be volatile (C11
     * 7.13.2.1), or the value seen after the jump is indeterminate (it was 0 in practice). */
    volatile memory_reader reader = {.data = data, .size = size, .offset = 0};
    png_bytep *volatile rows = NULL;
    uint8_t *volatile rgb = NULL; /* colour decoded to RGB before conversion to gray */
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &errors, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_read_struct(png ? &png : NULL, NULL, NULL);
        return MILLRACE_PNG_OUT_OF_MEMORY;
    }
    if (setjmp(errors.jump)) {
        result->byte_offset = reader.offset;
        free(rows);
        free(rgb);
        png_destroy_read_struct(&png, &info, NULL);
        return MILLRACE_PNG_LIBPNG_ERROR;
    }
    png_set_read_fn(png, (void *)&reader, read_memory);
    png_read_info(png, info);
    fill_header(png, info, result);
    result->byte_offset = reader.offset;
    if (header_only) {
        png_destroy_read_struct(&png, &info, NULL);
        return MILLRACE_PNG_OK;
    }

    const uint64_t pixels = (uint64_t)result->width * (uint64_t)result->height;
    if (pixels > max_pixels) {
        snprintf(result->message, sizeof result->message,
                 "image of %u x %u pixels exceeds the limit of %llu pixels",
                 result->width, result->height, (unsigned long long)max_pixels);
        png_destroy_read_struct(&png, &info, NULL);
        return MILLRACE_PNG_TOO_LARGE;
    }
    const int to_gray = channels == 1 && (png_get_color_type(png, info) & PNG_COLOR_MASK_COLOR) != 0;
    set_transforms(png, info, channels, sixteen_bit);
    (void)png_set_interlace_handling(png);
    png_read_update_info(png, info);
    const size_t sample_bytes = sixteen_bit ? 2 : 1;
    const size_t decoded_row = png_get_rowbytes(png, info);
    const size_t row_bytes = (size_t)result->width * (size_t)channels * sample_bytes;
    const size_t expected_row = (size_t)result->width * (size_t)(to_gray ? 3 : channels) * sample_bytes;
    if (decoded_row != expected_row) {
        snprintf(result->message, sizeof result->message,
                 "internal: libpng produced %zu bytes per row, expected %zu", decoded_row, expected_row);
        png_destroy_read_struct(&png, &info, NULL);
        return MILLRACE_PNG_LIBPNG_ERROR;
    }
    result->required_bytes = row_bytes * result->height;
    if (out == NULL || out_capacity < result->required_bytes) {
        png_destroy_read_struct(&png, &info, NULL);
        return MILLRACE_PNG_BUFFER_TOO_SMALL;
    }
    rows = malloc(sizeof(png_bytep) * (result->height ? result->height : 1));
    if (!rows) {
        png_destroy_read_struct(&png, &info, NULL);
        return MILLRACE_PNG_OUT_OF_MEMORY;
    }
    uint8_t *target = out;
    if (to_gray) {
        rgb = malloc(decoded_row * (result->height ? result->height : 1));
        if (!rgb) {
            free(rows);
            png_destroy_read_struct(&png, &info, NULL);
            return MILLRACE_PNG_OUT_OF_MEMORY;
        }
        target = rgb;
    }
    for (uint32_t y = 0; y < result->height; y++) rows[y] = (png_bytep)target + (size_t)y * decoded_row;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    result->byte_offset = reader.offset;
    if (to_gray) gray_from_rgb(rgb, out, (size_t)result->width * result->height, sixteen_bit);
    free(rgb);
    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    return MILLRACE_PNG_OK;
}

int millrace_png_decode(const uint8_t *data, size_t size, int channels, int sixteen_bit,
                        uint64_t max_pixels, void *out, size_t out_capacity,
                        millrace_png_result *result) {
    return read_png(data, size, channels, sixteen_bit, max_pixels, out, out_capacity, result, 0);
}

int millrace_png_read_header(const uint8_t *data, size_t size, millrace_png_result *result) {
    return read_png(data, size, 4, 0, UINT64_MAX, NULL, 0, result, 1);
}

typedef struct {
    uint8_t *data;
    size_t size;
    size_t capacity;
    int failed;
} memory_writer;

static void write_memory(png_structp png, png_bytep bytes, size_t length) {
    memory_writer *writer = (memory_writer *)png_get_io_ptr(png);
    if (writer->size + length > writer->capacity) {
        size_t capacity = writer->capacity ? writer->capacity * 2 : 4096;
        while (capacity < writer->size + length) capacity *= 2;
        uint8_t *grown = realloc(writer->data, capacity);
        if (!grown) png_error(png, "out of memory while encoding");
        writer->data = grown;
        writer->capacity = capacity;
    }
    memcpy(writer->data + writer->size, bytes, length);
    writer->size += length;
}

static void flush_memory(png_structp png) { (void)png; }

int millrace_png_encode(uint32_t width, uint32_t height, int color_type, int bit_depth,
                        int interlaced, const uint8_t *rows, size_t row_bytes,
                        const uint8_t *palette, int palette_entries,
                        const uint16_t *trns, int trns_count,
                        uint8_t **out_data, size_t *out_size, char *message, size_t message_size) {
    error_state errors = {.message = message, .message_size = message_size};
    memory_writer writer = {0};
    png_bytep *volatile row_pointers = NULL;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &errors, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(png ? &png : NULL, NULL);
        return MILLRACE_PNG_OUT_OF_MEMORY;
    }
    if (setjmp(errors.jump)) {
        free(row_pointers);
        free(writer.data);
        png_destroy_write_struct(&png, &info);
        return MILLRACE_PNG_LIBPNG_ERROR;
    }
    png_set_write_fn(png, &writer, write_memory, flush_memory);
    png_set_IHDR(png, info, width, height, bit_depth, color_type,
                 interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (color_type == PNG_COLOR_TYPE_PALETTE && palette && palette_entries > 0) {
        png_color colors[256];
        for (int i = 0; i < palette_entries && i < 256; i++) {
            colors[i].red = palette[3 * i];
            colors[i].green = palette[3 * i + 1];
            colors[i].blue = palette[3 * i + 2];
        }
        png_set_PLTE(png, info, colors, palette_entries);
    }
    if (trns && trns_count > 0) {
        if (color_type == PNG_COLOR_TYPE_PALETTE) {
            png_byte alpha[256];
            for (int i = 0; i < trns_count && i < 256; i++) alpha[i] = (png_byte)trns[i];
            png_set_tRNS(png, info, alpha, trns_count, NULL);
        } else {
            png_color_16 value = {0};
            value.gray = trns[0];
            if (trns_count >= 3) {
                value.red = trns[0];
                value.green = trns[1];
                value.blue = trns[2];
            }
            png_set_tRNS(png, info, NULL, 0, &value);
        }
    }
    png_write_info(png, info);
    row_pointers = malloc(sizeof(png_bytep) * (height ? height : 1));
    if (!row_pointers) png_error(png, "out of memory while encoding");
    for (uint32_t y = 0; y < height; y++) row_pointers[y] = (png_bytep)(rows + (size_t)y * row_bytes);
    png_write_image(png, row_pointers);
    png_write_end(png, NULL);
    free(row_pointers);
    png_destroy_write_struct(&png, &info);
    *out_data = writer.data;
    *out_size = writer.size;
    return MILLRACE_PNG_OK;
}

void millrace_png_free(void *pointer) { free(pointer); }
