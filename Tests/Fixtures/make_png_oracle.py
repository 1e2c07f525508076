"""PNG fixtures and Pillow's / NumPy's pixels for them (run with Pillow 13 and NumPy 2:
/work/venv-bench/bin/python Tests/Fixtures/make_png_oracle.py, from the repository root).

Writes under Tests/Fixtures/png/:
- gama-rgb.png, gama-rgba.png, gama-palette.png, gama-gray-alpha.png: 8-bit images saved by
  Pillow, then a gAMA chunk (gamma 0.45455, 0.3, 2.2 and 0.45455) inserted right after IHDR with
  its CRC from zlib.crc32. Each `NAME.L` file holds Pillow's `Image.open(NAME).convert("L")`
  bytes (row-major): Pillow ignores gAMA and converts colour with
  (R * 19595 + G * 38470 + B * 7471 + 0x8000) >> 16 (checked against all 2^24 colours).
- rgb16.png: 16-bit RGB written by Pillow from a NumPy array; rgb16.u16le holds the array's
  samples (what the file stores), and gray16.png / gray16.u16le the same for 16-bit gray.
"""
import struct
import zlib

import numpy as np
from PIL import Image

out = "Tests/Fixtures/png/"
rng = np.random.default_rng(20261129)


def with_gama(path, gamma):
    data = open(path, "rb").read()
    assert data[12:16] == b"IHDR"
    body = b"gAMA" + struct.pack(">I", round(gamma * 100000))
    chunk = struct.pack(">I", 4) + body + struct.pack(">I", zlib.crc32(body))
    data = data[:33] + chunk + data[33:]
    open(path, "wb").write(data)


def save(image, name, gamma):
    image.save(out + name)
    with_gama(out + name, gamma)
    gray = Image.open(out + name).convert("L")
    assert "gamma" in Image.open(out + name).info
    open(out + name[:-4] + ".L", "wb").write(gray.tobytes())


edges = np.array([[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 255, 0], [0, 0, 255], [1, 2, 3], [128, 128, 128], [254, 1, 127]], dtype=np.uint8)
rgb = rng.integers(0, 256, size=(24, 20, 3), dtype=np.uint8)
rgb[0, :8] = edges
save(Image.fromarray(rgb, "RGB"), "gama-rgb.png", 0.45455)
rgba = rng.integers(0, 256, size=(17, 13, 4), dtype=np.uint8)
save(Image.fromarray(rgba, "RGBA"), "gama-rgba.png", 0.3)
palette = Image.fromarray(rng.integers(0, 256, size=(16, 16), dtype=np.uint8), "P")
palette.putpalette(rng.integers(0, 256, size=768, dtype=np.uint8).tobytes())
palette.info["transparency"] = bytes(rng.integers(0, 256, size=256, dtype=np.uint8))
palette.save(out + "gama-palette.png", transparency=palette.info["transparency"])
with_gama(out + "gama-palette.png", 2.2)
open(out + "gama-palette.L", "wb").write(Image.open(out + "gama-palette.png").convert("L").tobytes())
la = rng.integers(0, 256, size=(9, 11, 2), dtype=np.uint8)
save(Image.fromarray(la, "LA"), "gama-gray-alpha.png", 0.45455)

rgb16 = rng.integers(0, 65536, size=(7, 5, 3), dtype=np.uint16)
rgb16[0, 0] = [0, 65535, 256]
# Pillow cannot write 16-bit RGB from an array; write the file with zlib by hand (filter 0).
raw = b"".join(b"\x00" + row.astype(">u2").tobytes() for row in rgb16)
def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 5, 7, 16, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
open(out + "rgb16.png", "wb").write(png)
open(out + "rgb16.u16le", "wb").write(rgb16.astype("<u2").tobytes())
gray16 = rng.integers(0, 65536, size=(6, 9), dtype=np.uint16)
Image.fromarray(gray16).save(out + "gray16.png")
assert np.array_equal(np.asarray(Image.open(out + "gray16.png")), gray16)
open(out + "gray16.u16le", "wb").write(gray16.astype("<u2").tobytes())
