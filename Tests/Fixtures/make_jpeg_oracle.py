"""JPEG fixtures and Pillow's pixels for them (run with Pillow 13 from the repository root:
.venv/bin/python Tests/Fixtures/make_jpeg_oracle.py; it needs gcc and libjpeg's headers
(libjpeg62-turbo-dev) for the four files Pillow cannot write).

Writes Tests/Fixtures/jpeg/*.jpg and Tests/Fixtures/jpeg/oracle.json. For every file the oracle
holds its size and the SHA-256 and CRC-32 (zlib's; what the Swift test compares, having no SHA-256)
of Pillow's `Image.open(f).convert(mode).tobytes()` for modes L,
RGB and RGBA, without and with `ImageOps.exif_transpose` first (`L`, `RGB`, `RGBA`,
`L+exif`, ...). `cuts` lists, for three files, the prefix lengths (0 to the whole file) that Pillow
decodes (it refuses a truncated file unless
`ImageFile.LOAD_TRUNCATED_IMAGES` is set, and accepts one that lacks only what follows the last
pixel row). `damaged` describes files made from a fixture by the test itself (the same edit is
made here) and Pillow's verdict on them.

Files (pixels are seeded noise over gradients, so every block has detail):
- baseline-420/422/444: RGB quality 90 with 4:2:0, 4:2:2 and 4:4:4 chroma subsampling, 21 x 14
  (not a multiple of the 16-pixel MCU); optimized: optimize=True (Huffman tables for the image);
  progressive: progressive=True; rgb-stored: keep_rgb=True (Adobe transform 0, no YCbCr);
  restart-blocks: restart_marker_blocks=2; restart-rows-progressive: restart_marker_rows=1 and
  progressive; one-pixel: 1 x 1.
- gray, gray-progressive: mode L. cmyk: mode CMYK (Pillow writes Adobe's inverted CMYK).
- By the C helper with libjpeg (Pillow cannot write them): ycck (Adobe transform 2, what
  Photoshop writes for CMYK), arithmetic (arithmetic coding), subsampling-440 (luma 1 x 2),
  subsampling-411 (luma 4 x 1).
- orientation-N (N = 2..8): a 7 x 4 image with EXIF Orientation N (little-endian TIFF; 6 also
  big-endian as orientation-6-motorola), orientation-xmp-8: no EXIF, XMP tiff:Orientation="8";
  orientation-exif1-xmp6: EXIF Orientation 1 and XMP 6 (EXIF wins: nothing turns).
"""
import hashlib
import json
import os
import re
import subprocess
import tempfile
import zlib

import numpy as np
from PIL import Image, ImageFile, ImageOps

out = "Tests/Fixtures/jpeg/"
rng = np.random.default_rng(20261208)
os.makedirs(out, exist_ok=True)


def pixels(width, height, channels=3):
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1), (x * 37 + y * 11) % 256, (x + y) * 9 % 256], -1)
    noise = rng.integers(-40, 41, size=(height, width, 4))
    return np.clip(base + noise, 0, 255).astype(np.uint8)[:, :, :channels]


def rgb(width=21, height=14):
    return Image.fromarray(pixels(width, height), "RGB")


files = {}


def save(name, image, **options):
    image.save(out + name + ".jpg", **options)
    files[name] = options


save("baseline-420", rgb(), quality=90, subsampling=2)
save("baseline-422", rgb(), quality=90, subsampling=1)
save("baseline-444", rgb(), quality=90, subsampling=0)
save("optimized", rgb(), quality=90, optimize=True)
save("progressive", rgb(), quality=90, progressive=True)
save("rgb-stored", rgb(), quality=90, keep_rgb=True)
save("restart-blocks", rgb(), quality=90, restart_marker_blocks=2)
save("restart-rows-progressive", rgb(), quality=90, restart_marker_rows=1, progressive=True)
save("one-pixel", rgb(1, 1), quality=90)
save("gray", rgb().convert("L"), quality=90)
save("gray-progressive", rgb().convert("L"), quality=90, progressive=True)
save("cmyk", Image.fromarray(pixels(21, 14, 4), "CMYK"), quality=90)
small = rgb(7, 4)
for n in range(2, 9):
    exif = Image.Exif()
    exif[0x0112] = n
    save(f"orientation-{n}", small, quality=95, subsampling=0, exif=exif.tobytes())
motorola = Image.Exif()
motorola.endian = ">"
motorola[0x0112] = 6
save("orientation-6-motorola", small, quality=95, subsampling=0, exif=motorola.tobytes())
save("orientation-xmp-8", small, quality=95, subsampling=0, xmp=b'<rdf:Description tiff:Orientation="8"/>')
one = Image.Exif()
one[0x0112] = 1
save("orientation-exif1-xmp6", small, quality=95, subsampling=0, exif=one.tobytes(), xmp=b"<tiff:Orientation>6</tiff:Orientation>")

helper = r"""
#include <stdio.h>
#include <stdlib.h>
#include <jpeglib.h>
/* helper OUT KIND WIDTH HEIGHT < raw samples (CMYK for ycck, RGB otherwise) */
int main(int argc, char **argv) {
    struct jpeg_compress_struct c; struct jpeg_error_mgr e;
    const char *kind = argv[2]; int w = atoi(argv[3]), h = atoi(argv[4]);
    int comps = kind[0] == 'y' ? 4 : 3;
    unsigned char *raw = malloc((size_t)w * h * comps);
    if (fread(raw, 1, (size_t)w * h * comps, stdin) != (size_t)w * h * comps) return 2;
    FILE *f = fopen(argv[1], "wb");
    c.err = jpeg_std_error(&e); jpeg_create_compress(&c); jpeg_stdio_dest(&c, f);
    c.image_width = w; c.image_height = h; c.input_components = comps;
    c.in_color_space = comps == 4 ? JCS_CMYK : JCS_RGB;
    jpeg_set_defaults(&c); jpeg_set_quality(&c, 90, TRUE);
    if (comps == 4) jpeg_set_colorspace(&c, JCS_YCCK);
    if (kind[0] == 'a') c.arith_code = TRUE;
    if (kind[0] == '4') {
        c.comp_info[0].h_samp_factor = kind[2] == '0' ? 1 : 4;
        c.comp_info[0].v_samp_factor = kind[2] == '0' ? 2 : 1;
        c.comp_info[1].h_samp_factor = c.comp_info[1].v_samp_factor = 1;
        c.comp_info[2].h_samp_factor = c.comp_info[2].v_samp_factor = 1;
    }
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = raw + (size_t)c.next_scanline * w * comps;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c); jpeg_destroy_compress(&c); fclose(f); return 0;
}
"""
with tempfile.TemporaryDirectory() as temporary:
    source = os.path.join(temporary, "helper.c")
    binary = os.path.join(temporary, "helper")
    open(source, "w").write(helper)
    subprocess.run(["gcc", "-O1", "-o", binary, source, "-ljpeg"], check=True)
    for name, kind in [("ycck", "ycck"), ("arithmetic", "arith"), ("subsampling-440", "440"), ("subsampling-411", "411")]:
        # CMYK goes in with Adobe's inverted polarity, as Pillow writes it ("CMYK;I").
        samples = 255 - pixels(21, 14, 4) if kind == "ycck" else pixels(21, 14, 3)
        subprocess.run([binary, out + name + ".jpg", kind, "21", "14"], input=samples.tobytes(), check=True)
        files[name] = {"libjpeg": kind}


def digest(data):
    return hashlib.sha256(data).hexdigest()


def pillow(data, mode, transpose):
    with Image.open(__import__("io").BytesIO(data)) as image:
        if transpose:
            image = ImageOps.exif_transpose(image)
        converted = image.convert(mode)
        data = converted.tobytes()
        return {"width": converted.width, "height": converted.height, "sha256": digest(data), "crc32": zlib.crc32(data)}


def verdict(data, mode="RGB"):
    try:
        return pillow(data, mode, False)
    except Exception as error:  # Pillow's refusal, recorded as such
        return {"error": re.sub(r" at 0x[0-9a-f]+", "", f"{type(error).__name__}: {error}")}


assert not ImageFile.LOAD_TRUNCATED_IMAGES
oracle = {"pillow": Image.__version__, "files": {}, "cuts": {}, "damaged": {}}
for name in sorted(files):
    data = open(out + name + ".jpg", "rb").read()
    made = {key: f"{len(value)} bytes" if isinstance(value, bytes) else value for key, value in files[name].items()}
    entry = {"bytes": len(data), "made_with": made}
    for mode in ("L", "RGB", "RGBA"):
        entry[mode] = pillow(data, mode, False)
        entry[mode + "+exif"] = pillow(data, mode, True)
    oracle["files"][name] = entry

# Prefixes: every length from 0 for two small files (the test decodes each one).
for name in ("baseline-420", "progressive", "cmyk"):
    data = open(out + name + ".jpg", "rb").read()
    accepted = [cut for cut in range(0, len(data) + 1) if "error" not in verdict(data[:cut])]
    oracle["cuts"][name] = {"bytes": len(data), "accepted": accepted}


def segments(data):
    """(marker, start, end) of each marker segment before the first scan's data."""
    found, at = [], 2
    while at + 4 <= len(data):
        marker, length = data[at + 1], int.from_bytes(data[at + 2 : at + 4], "big")
        found.append((marker, at, at + 2 + length))
        if marker == 0xDA:
            break
        at += 2 + length
    return found


base = open(out + "baseline-420.jpg", "rb").read()
sof = next(s for s in segments(base) if s[0] == 0xC0)
sos = next(s for s in segments(base) if s[0] == 0xDA)
precision = bytearray(base)
precision[sof[1] + 4] = 12
zero_width = bytearray(base)
zero_width[sof[1] + 7 : sof[1] + 9] = b"\0\0"
half = sos[2] + (len(base) - 2 - sos[2]) // 2
oracle["damaged"] = {
    "precision-12": {"edit": "the SOF0 precision byte set to 12", "pillow": verdict(bytes(precision))},
    "zero-width": {"edit": "the SOF0 width set to 0", "pillow": verdict(bytes(zero_width))},
    "data-cut-then-eoi": {
        "edit": f"the scan data cut at byte {half} and FF D9 appended",
        "cut": half,
        "pillow": verdict(base[:half] + b"\xff\xd9"),
    },
}
json.dump(oracle, open(out + "oracle.json", "w"), indent=1, sort_keys=True)
print(f"{len(files)} files; Pillow {Image.__version__}")
for name, entry in oracle["damaged"].items():
    print(name, entry["pillow"])
