/*
 * libjpeg decode with error handling kept in C (see CJPEG.h). Why C: libjpeg signals errors by
 * calling error_exit, which must not return; it longjmps here, and a longjmp must never unwind
 * Swift frames. Every buffer comes from libjpeg's image pool, so jpeg_destroy_decompress frees
 * it on every path, the error path included.
 */
#include "CJPEG.h"

#include <setjmp.h>
#include <stdio.h> /* jpeglib.h needs FILE and size_t first */
#include <string.h>

#include <jpeglib.h>
/* After jpeglib.h: its jconfig.h decides which messages (the arithmetic-coding ones) exist. */
#include <jerror.h>

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    int status;
    millrace_jpeg_result *result;
} error_manager;

typedef struct {
    struct jpeg_source_mgr pub;
    const uint8_t *data;
    size_t size;
    int rows_done;            /* every output row was read: only trailing markers may be missing */
    error_manager *errors;
} memory_source;

static const JOCTET fake_end[2] = {0xFF, JPEG_EOI};

static size_t consumed(j_decompress_ptr cinfo) {
    const memory_source *source = (const memory_source *)cinfo->src;
    return source->size - source->pub.bytes_in_buffer;
}

static void fail(j_common_ptr cinfo, int status) {
    error_manager *errors = (error_manager *)cinfo->err;
    errors->status = status;
    if (cinfo->is_decompressor && ((j_decompress_ptr)cinfo)->src != NULL) errors->result->byte_offset = consumed((j_decompress_ptr)cinfo);
    longjmp(errors->jump, 1);
}

static void on_error_exit(j_common_ptr cinfo) {
    error_manager *errors = (error_manager *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    snprintf(errors->result->message, sizeof errors->result->message, "%s", text);
    fail(cinfo, cinfo->err->msg_code == JERR_OUT_OF_MEMORY ? MILLRACE_JPEG_OUT_OF_MEMORY : MILLRACE_JPEG_LIBJPEG_ERROR);
}

/* libjpeg never prints: a message is either an error (kept in the result) or dropped. */
static void on_output_message(j_common_ptr cinfo) { (void)cinfo; }

/*
 * Warnings that mean the entropy-coded data is damaged become errors: libjpeg would go on and
 * fill the damaged blocks with guesses (Pillow keeps those pixels silently). Warnings about
 * metadata or bytes between segments (an unknown JFIF version or Adobe transform, a bad ICC
 * marker, extraneous bytes before a marker) leave the pixels intact and are ignored, as Pillow
 * ignores them.
 */
static void on_emit_message(j_common_ptr cinfo, int level) {
    if (level >= 0) return; /* trace messages */
    switch (cinfo->err->msg_code) {
    case JWRN_HIT_MARKER:
    case JWRN_HUFF_BAD_CODE:
    case JWRN_ARITH_BAD_CODE:
    case JWRN_MUST_RESYNC:
    case JWRN_NOT_SEQUENTIAL:
    case JWRN_BOGUS_PROGRESSION:
    case JWRN_JPEG_EOF:
        on_error_exit(cinfo);
        break;
    default:
        cinfo->err->num_warnings++;
        break;
    }
}

static void source_init(j_decompress_ptr cinfo) { (void)cinfo; }

/* The whole file is in the buffer from the start, so this is only called at its end. */
static boolean source_fill(j_decompress_ptr cinfo) {
    memory_source *source = (memory_source *)cinfo->src;
    if (source->rows_done) {
        /* Every row is out; libjpeg is looking for the EOI marker: supply it, as Pillow, whose
         * decoder stops once the last row is out, accepts such a file. */
        source->pub.next_input_byte = fake_end;
        source->pub.bytes_in_buffer = 2;
        return TRUE;
    }
    snprintf(source->errors->result->message, sizeof source->errors->result->message,
             "the data ends after %zu bytes, before the image does: the file is truncated", source->size);
    source->errors->status = MILLRACE_JPEG_TRUNCATED;
    source->errors->result->byte_offset = source->size;
    longjmp(source->errors->jump, 1);
}

static void source_skip(j_decompress_ptr cinfo, long count) {
    memory_source *source = (memory_source *)cinfo->src;
    if (count <= 0) return;
    while ((size_t)count > source->pub.bytes_in_buffer) {
        count -= (long)source->pub.bytes_in_buffer;
        (void)source_fill(cinfo);
    }
    source->pub.next_input_byte += count;
    source->pub.bytes_in_buffer -= (size_t)count;
}

static void source_term(j_decompress_ptr cinfo) { (void)cinfo; }

static void on_progress(j_common_ptr cinfo) {
    j_decompress_ptr decompress = (j_decompress_ptr)cinfo;
    if (decompress->input_scan_number > MILLRACE_JPEG_MAX_SCANS) {
        error_manager *errors = (error_manager *)cinfo->err;
        snprintf(errors->result->message, sizeof errors->result->message,
                 "the file has more than %d scans (a legitimate progressive JPEG has about ten)", MILLRACE_JPEG_MAX_SCANS);
        fail(cinfo, MILLRACE_JPEG_LIBJPEG_ERROR);
    }
}

/* --- EXIF and XMP orientation, read as Pillow's Image.getexif does ------------------------- */

static uint32_t read_value(const uint8_t *p, int little, int bytes) {
    uint32_t value = 0;
    for (int i = 0; i < bytes; i++) value = value << 8 | p[little ? bytes - 1 - i : i];
    return value;
}

/*
 * The Orientation tag (0x0112) of IFD0 in an EXIF segment's TIFF data, or 0 when absent. As
 * Pillow reads it: the "Exif\0\0" header (once or twice) is dropped, the byte order is "II" or
 * "MM", IFD0's entries are read until the data runs out, the last Orientation entry wins, and
 * only a single BYTE, SHORT or LONG value is a number (-1: present, but not one of them).
 */
static int exif_orientation(const uint8_t *data, size_t size) {
    for (int k = 0; k < 2 && size >= 6 && memcmp(data, "Exif\0\0", 6) == 0; k++) {
        data += 6;
        size -= 6;
    }
    if (size < 8) return 0;
    int little;
    if (memcmp(data, "II*\0", 4) == 0) little = 1;
    else if (memcmp(data, "MM\0*", 4) == 0) little = 0;
    else return 0;
    const uint32_t ifd = read_value(data + 4, little, 4);
    if (ifd > size || size - ifd < 2) return 0;
    const uint32_t entries = read_value(data + ifd, little, 2);
    int orientation = 0;
    for (uint32_t i = 0; i < entries; i++) {
        const size_t at = (size_t)ifd + 2 + (size_t)i * 12;
        if (at + 12 > size) break;
        if (read_value(data + at, little, 2) != 0x0112) continue;
        const uint32_t type = read_value(data + at + 2, little, 2);
        const uint32_t count = read_value(data + at + 4, little, 4);
        if (count != 1) orientation = -1;
        else if (type == 1) orientation = data[at + 8];
        else if (type == 3) orientation = (int)read_value(data + at + 8, little, 2);
        else if (type == 4) orientation = (int)read_value(data + at + 8, little, 4);
        else orientation = -1;
    }
    return orientation;
}

/* The first digit after `tiff:Orientation="` or `tiff:Orientation>` in XMP (Pillow's
 * rb'tiff:Orientation(="|>)([0-9])'), or 0. */
static int xmp_orientation(const uint8_t *data, size_t size) {
    static const char key[] = "tiff:Orientation";
    const size_t length = sizeof key - 1;
    for (size_t i = 0; i + length < size; i++) {
        if (memcmp(data + i, key, length) != 0) continue;
        const uint8_t *after = data + i + length;
        const size_t left = size - i - length;
        if (left >= 3 && after[0] == '=' && after[1] == '"' && after[2] >= '0' && after[2] <= '9') return after[2] - '0';
        if (left >= 2 && after[0] == '>' && after[1] >= '0' && after[1] <= '9') return after[1] - '0';
    }
    return 0;
}

/* Pillow takes EXIF from the first "Exif\0\0" APP1 segment and XMP from the last XMP one; XMP
 * counts only when EXIF holds no Orientation tag. Values other than 2-8 change nothing. */
static int orientation_of(j_decompress_ptr cinfo) {
    static const char xmp[] = "http://ns.adobe.com/xap/1.0/";
    int exif = 0, seen_exif = 0, from_xmp = 0;
    for (jpeg_saved_marker_ptr m = cinfo->marker_list; m != NULL; m = m->next) {
        if (m->marker != JPEG_APP0 + 1) continue;
        if (!seen_exif && m->data_length >= 6 && memcmp(m->data, "Exif\0\0", 6) == 0) {
            seen_exif = 1;
            exif = exif_orientation(m->data, m->data_length);
        } else if (m->data_length >= sizeof xmp && memcmp(m->data, xmp, sizeof xmp) == 0) {
            from_xmp = xmp_orientation(m->data + sizeof xmp, m->data_length - sizeof xmp);
        }
    }
    const int value = exif != 0 ? exif : from_xmp;
    return value >= 2 && value <= 8 ? value : 1;
}

/* --- Pixel conversion -------------------------------------------------------------------- */

static inline uint8_t luma(const uint8_t *rgb) {
    return (uint8_t)(((uint32_t)rgb[0] * 19595 + (uint32_t)rgb[1] * 38470 + (uint32_t)rgb[2] * 7471 + 0x8000) >> 16);
}

/* Pillow's cmyk2rgb on the values its "CMYK;I" raw mode makes of libjpeg's (255 - v):
 * with nk = 255 - K, out = nk - MULDIV255(C, nk), MULDIV255(a, b) = (t + (t >> 8)) >> 8 for
 * t = a * b + 128. */
static inline uint8_t cmyk_channel(uint8_t raw, uint8_t raw_k) {
    const uint32_t c = 255u - raw, nk = raw_k;
    const uint32_t t = c * nk + 128;
    return (uint8_t)(nk - (((t >> 8) + t) >> 8));
}

/* One row of `width` pixels of `components` samples (1 gray, 3 RGB, 4 inverted CMYK) to
 * `channels` samples. */
static void convert_row(const uint8_t *in, int components, uint8_t *out, int channels, size_t width) {
    uint8_t rgb[3];
    for (size_t x = 0; x < width; x++, in += components, out += channels) {
        if (components == 1) {
            if (channels == 1) {
                out[0] = in[0];
            } else {
                out[0] = out[1] = out[2] = in[0];
                if (channels == 4) out[3] = 255;
            }
            continue;
        }
        const uint8_t *color = in;
        if (components == 4) {
            rgb[0] = cmyk_channel(in[0], in[3]);
            rgb[1] = cmyk_channel(in[1], in[3]);
            rgb[2] = cmyk_channel(in[2], in[3]);
            color = rgb;
        }
        if (channels == 1) {
            out[0] = luma(color);
        } else {
            out[0] = color[0];
            out[1] = color[1];
            out[2] = color[2];
            if (channels == 4) out[3] = 255;
        }
    }
}

/* Pillow's Image.transpose for exif_transpose's orientation: the pixel of `source` (width x
 * height) that lands at (x, y) of the output. */
static void orient(const uint8_t *source, size_t width, size_t height, int channels, int orientation, uint8_t *out) {
    const int swapped = orientation >= 5;
    const size_t out_width = swapped ? height : width, out_height = swapped ? width : height;
    for (size_t y = 0; y < out_height; y++) {
        for (size_t x = 0; x < out_width; x++) {
            size_t sx, sy;
            switch (orientation) {
            case 2: sx = width - 1 - x; sy = y; break;                  /* FLIP_LEFT_RIGHT */
            case 3: sx = width - 1 - x; sy = height - 1 - y; break;     /* ROTATE_180 */
            case 4: sx = x; sy = height - 1 - y; break;                 /* FLIP_TOP_BOTTOM */
            case 5: sx = y; sy = x; break;                              /* TRANSPOSE */
            case 6: sx = y; sy = height - 1 - x; break;                 /* ROTATE_270 */
            case 7: sx = width - 1 - y; sy = height - 1 - x; break;     /* TRANSVERSE */
            default: sx = width - 1 - y; sy = x; break;                 /* 8: ROTATE_90 */
            }
            memcpy(out + (y * out_width + x) * (size_t)channels, source + (sy * width + sx) * (size_t)channels, (size_t)channels);
        }
    }
}

/* --- Decoding ---------------------------------------------------------------------------- */

static void fill_header(j_decompress_ptr cinfo, millrace_jpeg_result *result) {
    result->width = cinfo->image_width;
    result->height = cinfo->image_height;
    result->components = cinfo->num_components;
    result->color_space = (int)cinfo->jpeg_color_space;
    result->progressive = cinfo->progressive_mode ? 1 : 0;
    result->arithmetic = cinfo->arith_code ? 1 : 0;
    result->max_h_sampling = cinfo->max_h_samp_factor;
    result->max_v_sampling = cinfo->max_v_samp_factor;
    if (cinfo->num_components > 1) {
        result->chroma_h_sampling = cinfo->comp_info[1].h_samp_factor;
        result->chroma_v_sampling = cinfo->comp_info[1].v_samp_factor;
    }
}

/* Decodes, or with header_only reads only the markers before the first scan. The setjmp must
 * live in the frame that continues after it, so both entry points share this one function. */
static int read_jpeg(const uint8_t *data, size_t size, int channels, int apply_orientation, uint64_t max_pixels,
                     void *out, size_t out_capacity, millrace_jpeg_result *result, int header_only) {
    memset(result, 0, sizeof *result);
    result->orientation = 1;
    if (data == NULL || size < 3 || data[0] != 0xFF || data[1] != 0xD8 || data[2] != 0xFF) {
        snprintf(result->message, sizeof result->message, "not a JPEG file: the start-of-image marker (FF D8 FF) is missing");
        return MILLRACE_JPEG_NOT_JPEG;
    }
    if (channels != 1 && channels != 3 && channels != 4) {
        snprintf(result->message, sizeof result->message, "channels must be 1, 3 or 4, not %d", channels);
        return MILLRACE_JPEG_INVALID_ARGUMENT;
    }
    struct jpeg_decompress_struct cinfo;
    error_manager errors;
    memory_source source;
    struct jpeg_progress_mgr progress;
    cinfo.err = jpeg_std_error(&errors.pub);
    errors.pub.error_exit = on_error_exit;
    errors.pub.output_message = on_output_message;
    errors.pub.emit_message = on_emit_message;
    errors.status = MILLRACE_JPEG_OK;
    errors.result = result;
    if (setjmp(errors.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return errors.status;
    }
    jpeg_create_decompress(&cinfo);
    memset(&source, 0, sizeof source);
    source.pub.init_source = source_init;
    source.pub.fill_input_buffer = source_fill;
    source.pub.skip_input_data = source_skip;
    source.pub.resync_to_restart = jpeg_resync_to_restart;
    source.pub.term_source = source_term;
    source.pub.next_input_byte = data;
    source.pub.bytes_in_buffer = size;
    source.data = data;
    source.size = size;
    source.errors = &errors;
    cinfo.src = &source.pub;
    progress.progress_monitor = on_progress;
    cinfo.progress = &progress;
    if (header_only || apply_orientation) jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF);

    (void)jpeg_read_header(&cinfo, TRUE);
    fill_header(&cinfo, result);
    result->byte_offset = consumed(&cinfo);
    if (header_only || apply_orientation) result->orientation = orientation_of(&cinfo);
    const int orientation = apply_orientation ? result->orientation : 1;
    const int swapped = orientation >= 5;
    result->output_width = swapped ? result->height : result->width;
    result->output_height = swapped ? result->width : result->height;
    const int components = cinfo.num_components;
    if (components != 1 && components != 3 && components != 4) {
        snprintf(result->message, sizeof result->message,
                 "the image has %d colour components; only 1 (gray), 3 (colour) and 4 (CMYK) are decoded", components);
        jpeg_destroy_decompress(&cinfo);
        return MILLRACE_JPEG_LIBJPEG_ERROR;
    }
    if (header_only) {
        jpeg_destroy_decompress(&cinfo);
        return MILLRACE_JPEG_OK;
    }
    const uint64_t pixels = (uint64_t)result->width * (uint64_t)result->height;
    if (pixels > max_pixels) {
        snprintf(result->message, sizeof result->message, "the header declares %u x %u pixels, over the limit of %llu pixels",
                 result->width, result->height, (unsigned long long)max_pixels);
        jpeg_destroy_decompress(&cinfo);
        return MILLRACE_JPEG_TOO_LARGE;
    }
    const size_t width = result->width, height = result->height;
    result->required_bytes = width * height * (size_t)channels;
    if (out == NULL || out_capacity < result->required_bytes) {
        jpeg_destroy_decompress(&cinfo);
        return MILLRACE_JPEG_BUFFER_TOO_SMALL;
    }
    /* libjpeg's defaults are Pillow's: JDCT_ISLOW and fancy upsampling. */
    cinfo.out_color_space = components == 1 ? JCS_GRAYSCALE : components == 3 ? JCS_RGB : JCS_CMYK;
    (void)jpeg_start_decompress(&cinfo);
    if (cinfo.output_width != width || cinfo.output_height != height || cinfo.output_components != components) {
        snprintf(result->message, sizeof result->message, "internal: libjpeg decodes %u x %u x %d, expected %zu x %zu x %d",
                 cinfo.output_width, cinfo.output_height, cinfo.output_components, width, height, components);
        jpeg_destroy_decompress(&cinfo);
        return MILLRACE_JPEG_LIBJPEG_ERROR;
    }
    const size_t row_bytes = width * (size_t)channels;
    uint8_t *target = out;
    if (orientation != 1) {
        /* The permanent pool: jpeg_finish_decompress frees the image pool, and the rows are
         * turned after it (jpeg_destroy_decompress frees this one). */
        target = (*cinfo.mem->alloc_large)((j_common_ptr)&cinfo, JPOOL_PERMANENT, result->required_bytes);
    }
    const int direct = components == channels && components != 4; /* CMYK is always converted */
    const JDIMENSION batch = cinfo.rec_outbuf_height > 0 ? (JDIMENSION)cinfo.rec_outbuf_height : 1;
    JSAMPARRAY rows = (*cinfo.mem->alloc_sarray)((j_common_ptr)&cinfo, JPOOL_IMAGE, (JDIMENSION)(width * (size_t)components), batch);
    JSAMPROW pointers[16];
    while (cinfo.output_scanline < cinfo.output_height) {
        const JDIMENSION first = cinfo.output_scanline;
        JDIMENSION want = cinfo.output_height - first;
        if (want > batch) want = batch;
        if (want > 16) want = 16;
        if (direct) {
            for (JDIMENSION k = 0; k < want; k++) pointers[k] = target + (size_t)(first + k) * row_bytes;
        } else {
            for (JDIMENSION k = 0; k < want; k++) pointers[k] = rows[k];
        }
        const JDIMENSION got = jpeg_read_scanlines(&cinfo, pointers, want);
        if (!direct) {
            for (JDIMENSION k = 0; k < got; k++) convert_row(rows[k], components, target + (size_t)(first + k) * row_bytes, channels, width);
        }
        if (got == 0) {
            snprintf(result->message, sizeof result->message, "internal: libjpeg returned no rows at row %u", first);
            jpeg_destroy_decompress(&cinfo);
            return MILLRACE_JPEG_LIBJPEG_ERROR;
        }
    }
    source.rows_done = 1;
    (void)jpeg_finish_decompress(&cinfo);
    if (orientation != 1) orient(target, width, height, channels, orientation, out);
    result->byte_offset = consumed(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return MILLRACE_JPEG_OK;
}

int millrace_jpeg_decode(const uint8_t *data, size_t size, int channels, int apply_orientation, uint64_t max_pixels,
                         void *out, size_t out_capacity, millrace_jpeg_result *result) {
    return read_jpeg(data, size, channels, apply_orientation, max_pixels, out, out_capacity, result, 0);
}

int millrace_jpeg_read_header(const uint8_t *data, size_t size, millrace_jpeg_result *result) {
    return read_jpeg(data, size, 3, 0, UINT64_MAX, NULL, 0, result, 1);
}
