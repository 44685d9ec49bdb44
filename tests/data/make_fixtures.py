#!/usr/bin/env python3
"""Generate the image-decoder test fixtures in this directory.

Dev tool only: the C++ unit tests read the committed output files and never
run this script.  Requires Pillow (``pip install pillow``); everything else is
the Python standard library.

    python3 tests/data/make_fixtures.py            # (re)write all fixtures
    python3 tests/data/make_fixtures.py --check    # verify, don't write

The script is deterministic: no timestamps, fixed seeds.  Re-running with the
same Pillow build reproduces the files byte for byte.  A different Pillow /
libjpeg-turbo / libwebp version may produce different (but equivalent) bytes
for the lossy and lossless-compressed formats; the verification at the end
checks semantic content, not bytes.

Common design ("content" fixtures): after a correct decode, with the EXIF
orientation applied, each is 64 wide x 32 high, RGB, LEFT half (x < 32) pure
red (255,0,0), RIGHT half (x >= 32) pure blue (0,0,255).  See README.md.
"""

import hashlib
import io
import os
import struct
import sys
import zlib

from PIL import Image, ImageOps

HERE = os.path.dirname(os.path.abspath(__file__))

W, H = 64, 32
RED = (255, 0, 0)
BLUE = (0, 0, 255)
GREEN = (0, 255, 0)
WHITE = (255, 255, 255)

# Points the C++ tests sample: (x, y) -> expected RGB for the content fixtures.
SAMPLE_LEFT = (8, 16)
SAMPLE_RIGHT = (56, 16)

MAX_FILE = 300 * 1024
MAX_TOTAL = 600 * 1024


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def rb_image():
    """Upright 64x32 RGB: left half red, right half blue."""
    im = Image.new("RGB", (W, H), BLUE)
    im.paste(RED, (0, 0, W // 2, H))
    return im


def gray_image():
    """64x32 8-bit gray: left half 0 (black), right half 255 (white)."""
    im = Image.new("L", (W, H), 255)
    im.paste(0, (0, 0, W // 2, H))
    return im


def save_pil(im, **kw):
    buf = io.BytesIO()
    im.save(buf, **kw)
    return buf.getvalue()


def png_chunk(ctype, data):
    return (struct.pack(">I", len(data)) + ctype + data
            + struct.pack(">I", zlib.crc32(ctype + data) & 0xFFFFFFFF))


PNG_SIG = b"\x89PNG\r\n\x1a\n"


def png_ihdr(width, height, bit_depth, color_type):
    # compression 0, filter 0, interlace 0
    return png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height,
                                          bit_depth, color_type, 0, 0, 0))


def png_from_rows(width, height, bit_depth, color_type, row_fn, level=9):
    """Minimal PNG writer.  row_fn(y) -> raw (unfiltered) scanline bytes.
    Every scanline uses filter type 0.  Streams into zlib so huge images
    don't need the whole raw buffer in memory."""
    comp = zlib.compressobj(level, zlib.DEFLATED, 15, 9)
    parts = []
    for y in range(height):
        parts.append(comp.compress(b"\x00" + row_fn(y)))
    parts.append(comp.flush())
    return (PNG_SIG + png_ihdr(width, height, bit_depth, color_type)
            + png_chunk(b"IDAT", b"".join(parts)) + png_chunk(b"IEND", b""))


def jpeg_segments(data):
    """Yield (marker, offset_of_marker, segment_length) for the JPEG header
    segments up to and including SOS."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    i = 2
    while i < len(data):
        assert data[i] == 0xFF, "bad marker at %d" % i
        while data[i] == 0xFF:          # fill bytes
            i += 1
        marker = data[i]
        i += 1
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            continue
        seglen = struct.unpack(">H", data[i:i + 2])[0]
        yield marker, i - 2, seglen
        if marker == 0xDA:              # SOS: entropy data follows
            return
        i += seglen


def jpeg_sof(data):
    """(marker, precision, height, width, ncomp, offset_of_length_field)."""
    for marker, off, _ in jpeg_segments(data):
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7,
                      0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            p = off + 2
            prec, h, w, nc = struct.unpack(">BHHB", data[p + 2:p + 8])
            return marker, prec, h, w, nc, p
    raise AssertionError("no SOF marker")


def jpeg_adobe(data):
    """Return the Adobe APP14 transform byte, or None if no Adobe marker."""
    for marker, off, seglen in jpeg_segments(data):
        if marker == 0xEE:
            body = data[off + 4:off + 2 + seglen]
            if body[:5] == b"Adobe":
                return body[11]
    return None


def exif_bytes(orientation):
    ex = Image.Exif()
    ex[0x0112] = orientation            # Orientation
    return ex.tobytes()


# --------------------------------------------------------------------------
# fixture builders: name -> bytes
# --------------------------------------------------------------------------

def build():
    out = {}
    rb = rb_image()
    gray = gray_image()

    # ---- JPEG ------------------------------------------------------------
    out["rb_baseline.jpg"] = save_pil(rb, format="JPEG", quality=95)
    out["rb_progressive.jpg"] = save_pil(rb, format="JPEG", quality=95,
                                         progressive=True)
    # Pillow RGB->CMYK is naive: C=255-R, M=255-G, Y=255-B, K=0.  On save it
    # writes an Adobe APP14 marker (transform 0) and the samples INVERTED
    # (Adobe/Photoshop convention), see the verification below.
    out["rb_cmyk.jpg"] = save_pil(rb.convert("CMYK"), format="JPEG",
                                  quality=95)
    out["gray.jpg"] = save_pil(gray, format="JPEG", quality=95)

    # EXIF orientation: store the upright image pre-transformed so that the
    # display transform of the tag restores it.
    #   6: display = rotate stored 90 deg CW  -> stored = upright rotated CCW
    #   3: display = rotate stored 180 deg    -> stored = upright rotated 180
    #   8: display = rotate stored 90 deg CCW -> stored = upright rotated CW
    # (PIL's ROTATE_90 is counter-clockwise, ROTATE_270 is clockwise.)
    stored = {
        6: rb.transpose(Image.Transpose.ROTATE_90),    # 32x64: blue top, red bottom
        3: rb.transpose(Image.Transpose.ROTATE_180),   # 64x32: blue left, red right
        8: rb.transpose(Image.Transpose.ROTATE_270),   # 32x64: red top, blue bottom
    }
    for o, im in stored.items():
        out["rb_exif_%d.jpg" % o] = save_pil(im, format="JPEG", quality=95,
                                             exif=exif_bytes(o))

    # ---- PNG -------------------------------------------------------------
    out["rb_rgb8.png"] = save_pil(rb, format="PNG", optimize=False)

    # 16-bit RGB (color type 2, depth 16), big-endian samples 0 / 65535.
    half = W // 2
    row16 = (struct.pack(">3H", 65535, 0, 0) * half
             + struct.pack(">3H", 0, 0, 65535) * half)
    out["rb_rgb16.png"] = png_from_rows(W, H, 16, 2, lambda y: row16)

    # Palette with exactly two entries (0 = red, 1 = blue).  Pillow writes a
    # 2-entry palette as bit depth 1, so this also covers packed pixels.
    pal = Image.new("P", (W, H), 1)
    pal.putpalette(list(RED) + list(BLUE))
    pal.paste(0, (0, 0, half, H))
    out["rb_palette.png"] = save_pil(pal, format="PNG", optimize=False)

    # RGBA: left opaque red; right fully transparent with RGB (0,0,0)
    # stored -> composited over white the right half must be WHITE.
    rgba = Image.new("RGBA", (W, H), (0, 0, 0, 0))
    rgba.paste((255, 0, 0, 255), (0, 0, half, H))
    out["rb_rgba.png"] = save_pil(rgba, format="PNG", optimize=False)

    out["gray.png"] = save_pil(gray, format="PNG", optimize=False)
    row_g16 = struct.pack(">H", 0) * half + struct.pack(">H", 65535) * half
    out["gray16.png"] = png_from_rows(W, H, 16, 0, lambda y: row_g16)

    # ---- WebP ------------------------------------------------------------
    out["rb.webp"] = save_pil(rb, format="WEBP", lossless=True, method=6)
    out["rb_lossy.webp"] = save_pil(rb, format="WEBP", quality=90, method=6)

    # ---- GIF: 2 frames, frame 1 = red/blue, frame 2 = all green -----------
    def gif_frame(im):
        p = Image.new("P", im.size)
        p.putpalette(list(RED) + list(BLUE) + list(GREEN))
        return im.quantize(palette=p, dither=Image.Dither.NONE)
    frames = [gif_frame(rb), gif_frame(Image.new("RGB", (W, H), GREEN))]
    out["rb.gif"] = save_pil(frames[0], format="GIF", save_all=True,
                             append_images=frames[1:], duration=500, loop=0,
                             optimize=False, disposal=1)

    # ---- BMP / TIFF ------------------------------------------------------
    out["rb.bmp"] = save_pil(rb, format="BMP")                 # 24-bit BI_RGB
    out["rb.tif"] = save_pil(rb, format="TIFF", compression="raw")

    # ---- decompression bombs ---------------------------------------------
    # Header-only PNG bomb: IHDR says 50000x50000 RGB8, the IDAT holds just
    # one (complete) zlib stream for a single scanline, then IEND.
    bomb_idat = zlib.compress(b"\x00" + b"\x00" * 3 * 16, 9)
    out["bomb_header.png"] = (PNG_SIG + png_ihdr(50000, 50000, 8, 2)
                              + png_chunk(b"IDAT", bomb_idat)
                              + png_chunk(b"IEND", b""))

    # Header-only JPEG bomb: a small valid baseline JPEG whose SOF0 height
    # and width are patched to 50000x50000 (scan data left as is).
    small = save_pil(Image.new("RGB", (16, 16), RED), format="JPEG",
                     quality=75)
    marker, _, _, _, _, p = jpeg_sof(small)
    assert marker == 0xC0, "expected baseline SOF0"
    b = bytearray(small)
    struct.pack_into(">HH", b, p + 3, 50000, 50000)     # height, width
    out["bomb_header.jpg"] = bytes(b)

    # Genuinely decodable bomb: 10000x10000 8-bit gray, all zeros, zlib -9.
    # 100,000,000 pixels, ~100 KB on disk.
    zero_row = bytes(10000)
    out["bomb_real.png"] = png_from_rows(10000, 10000, 8, 0,
                                         lambda y: zero_row)

    # ---- non-images ------------------------------------------------------
    out["not_image.pdf"] = minimal_pdf()
    base = out["rb_baseline.jpg"]
    out["truncated.jpg"] = base[:len(base) * 40 // 100]
    out["garbage.bin"] = garbage(256)
    out["empty.bin"] = b""
    return out


def minimal_pdf():
    """A valid one-page PDF 1.4 with a correct xref table."""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 64 32] >>",
    ]
    pdf = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(pdf)
    pdf += b"xref\n0 %d\n" % (len(objs) + 1)
    pdf += b"0000000000 65535 f \n"
    for off in offsets:
        pdf += b"%010d 00000 n \n" % off
    pdf += (b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objs) + 1, xref))
    return bytes(pdf)


# Leading bytes of formats a decoder (OpenCV imgcodecs or a sniffer) might
# recognise.  garbage.bin must not start with any of them.
KNOWN_SIGNATURES = [
    b"\xff\xd8", PNG_SIG[:4], b"GIF8", b"BM", b"II*\x00", b"MM\x00*",
    b"II+\x00", b"MM\x00+", b"RIFF", b"%PDF", b"\x00\x00\x00\x0cjP",
    b"\xff\x4f\xff\x51", b"#?", b"\x59\xa6\x6a\x95", b"\x76\x2f\x31\x01",
    b"8BPS", b"qoif", b"\x00\x00\x01\x00", b"\x00\x00\x02\x00",
    b"\x0a", b"\x00\x00\x00", b"PF", b"Pf", b"PF4",
] + [b"P%d" % i for i in range(1, 8)]


def garbage(n):
    """Deterministic pseudo-random bytes: SHA-256 in counter mode."""
    out = bytearray()
    ctr = 0
    while len(out) < n:
        out += hashlib.sha256(b"image-decoder-garbage-%d" % ctr).digest()
        ctr += 1
    data = bytes(out[:n])
    assert not any(data.startswith(s) for s in KNOWN_SIGNATURES), data[:8]
    return data


# --------------------------------------------------------------------------
# verification (Pillow only)
# --------------------------------------------------------------------------

def near(px, want, tol):
    return all(abs(a - b) <= tol for a, b in zip(px, want))


def check_rb(name, im, tol, right=BLUE):
    assert im.size == (W, H), (name, im.size)
    assert im.mode == "RGB", (name, im.mode)
    l, r = im.getpixel(SAMPLE_LEFT), im.getpixel(SAMPLE_RIGHT)
    assert near(l, RED, tol), (name, "left", l)
    assert near(r, right, tol), (name, "right", r)
    # whole-half check (looser near the boundary for lossy codecs)
    for y in range(H):
        for x in list(range(0, 24)) + list(range(40, W)):
            want = RED if x < 32 else right
            px = im.getpixel((x, y))
            assert near(px, want, tol), (name, x, y, px)
    return l, r


def png_ihdr_of(data):
    assert data[:8] == PNG_SIG and data[12:16] == b"IHDR"
    w, h, depth, ctype = struct.unpack(">IIBB", data[16:26])
    crc = struct.unpack(">I", data[29:33])[0]
    assert crc == zlib.crc32(data[12:29]) & 0xFFFFFFFF, "IHDR CRC"
    return w, h, depth, ctype


def verify(files):
    notes = []

    def open_(name):
        im = Image.open(io.BytesIO(files[name]))
        im.load()
        return im

    # plain content fixtures
    for name, fmt, tol in [
        ("rb_baseline.jpg", "JPEG", 8), ("rb_progressive.jpg", "JPEG", 8),
        ("rb_rgb8.png", "PNG", 0), ("rb_palette.png", "PNG", 0),
        ("rb.webp", "WEBP", 0), ("rb_lossy.webp", "WEBP", 12),
        ("rb.bmp", "BMP", 0), ("rb.tif", "TIFF", 0),
    ]:
        im = open_(name)
        assert im.format == fmt, (name, im.format)
        l, r = check_rb(name, im.convert("RGB"), tol)
        notes.append("%-20s %s mode=%s left=%s right=%s"
                     % (name, fmt, im.mode, l, r))

    # JPEG flavours
    assert jpeg_sof(files["rb_baseline.jpg"])[0] == 0xC0
    assert jpeg_sof(files["rb_progressive.jpg"])[0] == 0xC2
    for n in ("rb_baseline.jpg", "rb_progressive.jpg"):
        assert Image.open(io.BytesIO(files[n])).getexif().get(0x0112) is None

    # CMYK JPEG
    cm = files["rb_cmyk.jpg"]
    sof = jpeg_sof(cm)
    assert sof[0] == 0xC0 and sof[4] == 4, sof
    adobe = jpeg_adobe(cm)
    assert adobe == 0, adobe            # Adobe marker, transform 0 (no YCCK)
    im = open_("rb_cmyk.jpg")
    assert im.mode == "CMYK"
    # Pillow un-inverts when reading Adobe CMYK, so the logical values are
    # red = C0 M255 Y255 K0; the file stores the inverted 255,0,0,255.
    assert near(im.getpixel(SAMPLE_LEFT), (0, 255, 255, 0), 8)
    assert near(im.getpixel(SAMPLE_RIGHT), (255, 255, 0, 0), 8)
    l, r = check_rb("rb_cmyk.jpg", im.convert("RGB"), 8)
    # Read the raw (as stored) samples by ignoring the Adobe inversion.
    raw = Image.open(io.BytesIO(cm))
    raw.tile = [(raw.tile[0][0], raw.tile[0][1], raw.tile[0][2],
                 ("CMYK", ""))]
    raw.load()
    notes.append("%-20s CMYK, SOF0, 4 comps, Adobe APP14 transform=%d; "
                 "stored samples left=%s right=%s (inverted); Pillow RGB "
                 "left=%s right=%s" % ("rb_cmyk.jpg", adobe,
                                       raw.getpixel(SAMPLE_LEFT),
                                       raw.getpixel(SAMPLE_RIGHT), l, r))

    # gray
    for name, tol in (("gray.jpg", 4), ("gray.png", 0)):
        im = open_(name)
        assert im.mode == "L" and im.size == (W, H), (name, im.mode)
        assert abs(im.getpixel(SAMPLE_LEFT) - 0) <= tol
        assert abs(im.getpixel(SAMPLE_RIGHT) - 255) <= tol
    assert png_ihdr_of(files["gray.png"]) == (W, H, 8, 0)

    # EXIF orientation
    for o, raw_size in ((6, (H, W)), (3, (W, H)), (8, (H, W))):
        name = "rb_exif_%d.jpg" % o
        im = open_(name)
        assert im.getexif().get(0x0112) == o, name
        assert im.size == raw_size, (name, im.size)
        up = ImageOps.exif_transpose(im)
        l, r = check_rb(name, up.convert("RGB"), 8)
        notes.append("%-20s stored %dx%d, Orientation=%d -> exif_transpose "
                     "%dx%d left=%s right=%s"
                     % (name, im.size[0], im.size[1], o, up.size[0],
                        up.size[1], l, r))
    # undoing the orientation must be necessary: raw 3 is blue-left.
    raw3 = open_("rb_exif_3.jpg").convert("RGB")
    assert near(raw3.getpixel(SAMPLE_LEFT), BLUE, 8)

    # 16-bit PNGs: check IHDR bytes and sample values
    assert png_ihdr_of(files["rb_rgb16.png"]) == (W, H, 16, 2)
    assert png_ihdr_of(files["gray16.png"]) == (W, H, 16, 0)
    raw16 = zlib.decompress(files["rb_rgb16.png"][33 + 8:-12])
    stride = 1 + W * 6
    assert len(raw16) == H * stride
    px = lambda x, y: struct.unpack(">3H", raw16[y * stride + 1 + 6 * x:
                                                 y * stride + 7 + 6 * x])
    assert px(*SAMPLE_LEFT) == (65535, 0, 0) and px(*SAMPLE_RIGHT) == (0, 0, 65535)
    im = open_("rb_rgb16.png")
    check_rb("rb_rgb16.png", im.convert("RGB"), 0)
    im = open_("gray16.png")
    assert im.getpixel(SAMPLE_LEFT) == 0 and im.getpixel(SAMPLE_RIGHT) == 65535
    notes.append("%-20s IHDR depth=16 type=2 (Pillow opens as mode %s)"
                 % ("rb_rgb16.png", open_("rb_rgb16.png").mode))
    notes.append("%-20s IHDR depth=16 type=0 (Pillow mode %s)"
                 % ("gray16.png", im.mode))

    # palette PNG
    ihdr = png_ihdr_of(files["rb_palette.png"])
    assert ihdr[3] == 3, ihdr
    notes.append("%-20s IHDR depth=%d type=3 (palette)"
                 % ("rb_palette.png", ihdr[2]))

    # RGBA PNG
    assert png_ihdr_of(files["rb_rgba.png"]) == (W, H, 8, 6)
    im = open_("rb_rgba.png")
    assert im.mode == "RGBA"
    assert im.getpixel(SAMPLE_LEFT) == (255, 0, 0, 255)
    assert im.getpixel(SAMPLE_RIGHT) == (0, 0, 0, 0)
    white = Image.new("RGBA", im.size, WHITE + (255,))
    comp = Image.alpha_composite(white, im).convert("RGB")
    check_rb("rb_rgba.png", comp, 0, right=WHITE)
    black = Image.new("RGBA", im.size, (0, 0, 0, 255))
    wrong = Image.alpha_composite(black, im).convert("RGB")
    assert wrong.getpixel(SAMPLE_RIGHT) == (0, 0, 0)     # the bug to catch

    # WebP flavours
    assert files["rb.webp"][12:16] == b"VP8L", files["rb.webp"][12:16]
    assert files["rb_lossy.webp"][12:16] in (b"VP8 ", b"VP8X")

    # GIF
    im = Image.open(io.BytesIO(files["rb.gif"]))
    assert im.format == "GIF" and im.n_frames == 2 and im.is_animated
    im.seek(0)
    check_rb("rb.gif", im.convert("RGB"), 0)
    im.seek(1)
    f2 = im.convert("RGB")
    assert f2.getpixel(SAMPLE_LEFT) == GREEN and f2.getpixel(SAMPLE_RIGHT) == GREEN

    # BMP / TIFF details
    bmp = files["rb.bmp"]
    assert bmp[:2] == b"BM" and struct.unpack("<H", bmp[28:30])[0] == 24
    assert struct.unpack("<I", bmp[30:34])[0] == 0          # BI_RGB
    im = open_("rb.tif")
    assert im.info.get("compression") == "raw", im.info
    assert files["rb.tif"][:4] == b"II*\x00"

    # bombs
    assert png_ihdr_of(files["bomb_header.png"]) == (50000, 50000, 8, 2)
    sof = jpeg_sof(files["bomb_header.jpg"])
    assert sof[:5] == (0xC0, 8, 50000, 50000, 3), sof
    # Pillow itself refuses both header bombs at open() (2.5e9 pixels is
    # above its default MAX_IMAGE_PIXELS * 2), before allocating anything.
    for n in ("bomb_header.png", "bomb_header.jpg"):
        try:
            Image.open(io.BytesIO(files[n]))
        except Image.DecompressionBombError:
            pass
        else:
            raise AssertionError("Pillow did not flag %s" % n)
    assert png_ihdr_of(files["bomb_real.png"]) == (10000, 10000, 8, 0)
    d = zlib.decompressobj()
    total = 0
    data = files["bomb_real.png"][41:-12]
    for i in range(0, len(data), 4096):
        chunk = d.decompress(data[i:i + 4096])
        assert not chunk.strip(b"\x00")
        total += len(chunk)
    total += len(d.flush())
    assert total == 10000 * 10001 and d.eof, total

    # non-images
    pdf = files["not_image.pdf"]
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    base, tr = files["rb_baseline.jpg"], files["truncated.jpg"]
    assert base.startswith(tr) and len(tr) == len(base) * 40 // 100
    # rb_baseline.jpg is tiny (~680 bytes, ~600 of them DQT/DHT tables), so
    # the 40% cut lands inside the Huffman tables, before SOS: no decoder
    # can produce an image from it.
    assert b"\xff\xda" not in tr and b"\xff\xd9" not in tr
    assert len(files["garbage.bin"]) == 256 and files["empty.bin"] == b""
    for n in ("not_image.pdf", "garbage.bin", "empty.bin"):
        try:
            Image.open(io.BytesIO(files[n]))
        except Exception:
            pass
        else:
            raise AssertionError("Pillow recognised %s" % n)

    # sizes
    total = 0
    for name, data in files.items():
        assert len(data) < MAX_FILE, (name, len(data))
        total += len(data)
    assert total < MAX_TOTAL, total
    return notes


def main():
    check_only = "--check" in sys.argv[1:]
    files = build()
    if check_only:
        for name, data in files.items():
            with open(os.path.join(HERE, name), "rb") as f:
                if f.read() != data:
                    print("DIFFERS from a fresh build:", name)
    else:
        for name, data in files.items():
            with open(os.path.join(HERE, name), "wb") as f:
                f.write(data)
    for line in verify(files):
        print(line)
    print()
    total = 0
    for name in sorted(files):
        print("%8d  %s" % (len(files[name]), name))
        total += len(files[name])
    print("%8d  total (%d files)" % (total, len(files)))


if __name__ == "__main__":
    main()
