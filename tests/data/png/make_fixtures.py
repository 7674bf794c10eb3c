"""Makes the PNG fixtures of runtime/tests/png.rs and crates/cli/tests/png.rs
with NumPy and Pillow.

    python make_fixtures.py      # writes the fixtures next to this file

Small images of every PNG colour type and bit depth (grey 1/2/4/8/16 bits,
grey + alpha, RGB, RGBA, palettes, `tRNS` transparency, Adam7 interlacing)
are encoded by the small writer below, which follows the PNG specification
(so every combination can be made, which Pillow's encoder cannot), and a few
by Pillow's own encoder. Every image is then decoded by Pillow, and
`expected.json` holds what Pillow decodes, as RGBA samples: `rgba8` (8 bits
a sample; 16-bit samples by their high byte, as Pillow reads 16-bit colour
images), and `rgba16` (16 bits a sample; 8-bit samples times 257). Pillow's
decoding is checked against the pixels the script wrote first.

`images/` holds the acceptance's image folders: two folders of three 600 ×
800 RGBA images (smooth gradients, which compress well), and
`images.json` the sums and samples of the mean image NumPy computes over
them. `bad/` holds broken files (truncated, corrupt, not a PNG).
"""

import io
import json
import os
import struct
import zlib

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))

# ------------------------------------------------------------ a PNG writer


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def pack_row(samples, depth):
    """One scanline's bytes: samples (1-D, ints) at `depth` bits."""
    if depth == 16:
        return samples.astype(">u2").tobytes()
    if depth == 8:
        return samples.astype(np.uint8).tobytes()
    per = 8 // depth
    out = bytearray()
    for i in range(0, len(samples), per):
        byte = 0
        for k in range(per):
            v = int(samples[i + k]) if i + k < len(samples) else 0
            byte |= v << (8 - depth * (k + 1))
        out.append(byte)
    return bytes(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def encode(pixels, color, depth, interlace=False, palette=None, trns=None):
    """A PNG file of `pixels` (H x W x samples, raw sample values: palette
    indices for colour type 3), colour type `color`, bit depth `depth`."""
    h, w = pixels.shape[:2]
    px = pixels.reshape(h, w, -1)

    def scanlines(img):
        out = b""
        for row in img:
            out += b"\x00" + pack_row(row.reshape(-1), depth)
        return out

    if interlace:
        raw = b""
        for x0, y0, dx, dy in ADAM7:
            sub = px[y0::dy, x0::dx]
            if sub.shape[0] and sub.shape[1]:
                raw += scanlines(sub)
    else:
        raw = scanlines(px)
    out = b"\x89PNG\r\n\x1a\n"
    out += chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color, 0, 0, int(interlace)))
    if palette is not None:
        out += chunk(b"PLTE", np.asarray(palette, np.uint8).tobytes())
    if trns is not None:
        out += chunk(b"tRNS", trns)
    out += chunk(b"IDAT", zlib.compress(raw, 9))
    out += chunk(b"IEND", b"")
    return out


# ------------------------------------------------------------ the images

H, W = 7, 5  # odd sizes: every Adam7 pass is partial
rng = np.random.default_rng(13)


def samples(bits, channels):
    return rng.integers(0, 2**bits, size=(H, W, channels), dtype=np.int64)


def scale(v, bits):
    """A sample of `bits` bits as 8 bits (PNG's expansion: v * 255 / max)."""
    return (v * 255 // (2**bits - 1)).astype(np.int64)


def rgba_of(color, s, bits, palette=None, trns=None):
    """The RGBA pixels (16 bits a sample) a decoder gives: what we expect."""
    full = 65535
    if bits == 16:
        wide = s
    elif color == 3:
        wide = s  # indices
    else:
        wide = scale(s, bits) * 257
    if color == 0:
        g = wide[..., 0]
        a = np.full_like(g, full)
        if trns is not None:
            a = np.where(s[..., 0] == trns, 0, full)
        return np.stack([g, g, g, a], axis=-1)
    if color == 4:
        g = wide[..., 0]
        return np.stack([g, g, g, wide[..., 1]], axis=-1)
    if color == 2:
        a = np.full(wide.shape[:2], full)
        if trns is not None:
            a = np.where((s == np.array(trns)).all(axis=-1), 0, full)
        return np.concatenate([wide, a[..., None]], axis=-1)
    if color == 6:
        return wide
    # palette
    pal = np.asarray(palette, np.int64) * 257
    idx = s[..., 0]
    alpha = np.full(len(pal), full)
    if trns is not None:
        alpha[: len(trns)] = np.asarray(list(trns), np.int64) * 257
    return np.concatenate([pal[idx], alpha[idx][..., None]], axis=-1)


def pillow_rgba8(data):
    im = Image.open(io.BytesIO(data))
    im.load()
    if im.mode in ("I;16", "I;16B", "I"):
        g = (np.asarray(im).astype(np.int64) >> 8)
        return np.stack([g, g, g, np.full_like(g, 255)], axis=-1), im
    return np.asarray(im.convert("RGBA")).astype(np.int64), im


cases = {}


def add(name, data, rgba16, grey=None):
    """Writes `name.png`, checks Pillow decodes `rgba16 >> 8`, records both."""
    with open(os.path.join(HERE, name + ".png"), "wb") as f:
        f.write(data)
    pil, im = pillow_rgba8(data)
    want8 = rgba16 >> 8
    assert pil.shape == want8.shape, (name, pil.shape, want8.shape)
    assert (pil == want8).all(), (name, pil, want8)
    case = {
        "height": int(rgba16.shape[0]),
        "width": int(rgba16.shape[1]),
        "pillow_mode": im.mode,
        "rgba8": pil.reshape(-1).tolist(),
        "rgba16": rgba16.reshape(-1).tolist(),
    }
    if grey is not None:
        case["grey16"] = grey.reshape(-1).tolist()
    cases[name] = case


for bits in (1, 2, 4, 8, 16):
    s = samples(bits, 1)
    wide = s if bits == 16 else scale(s, bits) * 257
    add(f"grey{bits}", encode(s, 0, bits), rgba_of(0, s, bits), grey=wide[..., 0])
s = samples(8, 1)
s[0, 0] = 77
add("grey8_trns", encode(s, 0, 8, trns=struct.pack(">H", 77)), rgba_of(0, s, 8, trns=77))
for bits in (8, 16):
    s = samples(bits, 2)
    add(f"grey_alpha{bits}", encode(s, 4, bits), rgba_of(4, s, bits))
    s = samples(bits, 3)
    add(f"rgb{bits}", encode(s, 2, bits), rgba_of(2, s, bits))
    s = samples(bits, 4)
    add(f"rgba{bits}", encode(s, 6, bits), rgba_of(6, s, bits))
s = samples(8, 3)
s[1, 1] = (10, 20, 30)
add("rgb8_trns", encode(s, 2, 8, trns=struct.pack(">HHH", 10, 20, 30)), rgba_of(2, s, 8, trns=(10, 20, 30)))
for bits in (1, 2, 4, 8):
    n = 2**bits
    palette = rng.integers(0, 256, size=(n, 3))
    s = samples(bits, 1)
    add(f"palette{bits}", encode(s, 3, bits, palette=palette), rgba_of(3, s, bits, palette=palette))
palette = rng.integers(0, 256, size=(16, 3))
trns = bytes(rng.integers(0, 256, size=9, dtype=np.uint8))
s = samples(4, 1)
add("palette4_trns", encode(s, 3, 4, palette=palette, trns=trns), rgba_of(3, s, 4, palette=palette, trns=trns))

# interlaced (Adam7)
s = samples(8, 4)
add("rgba8_interlaced", encode(s, 6, 8, interlace=True), rgba_of(6, s, 8))
s = samples(16, 3)
add("rgb16_interlaced", encode(s, 2, 16, interlace=True), rgba_of(2, s, 16))
s = samples(2, 1)
wide = scale(s, 2) * 257
add("grey2_interlaced", encode(s, 0, 2, interlace=True), rgba_of(0, s, 2), grey=wide[..., 0])
palette = rng.integers(0, 256, size=(256, 3))
s = samples(8, 1)
add("palette8_interlaced", encode(s, 3, 8, interlace=True, palette=palette), rgba_of(3, s, 8, palette=palette))

# Pillow's own encoder (adaptive filters, its zlib settings)
big = rng.integers(0, 256, size=(13, 11, 4)).astype(np.uint8)
for mode, name in (("RGBA", "pillow_rgba"), ("RGB", "pillow_rgb"), ("L", "pillow_grey"), ("P", "pillow_palette")):
    im = Image.fromarray(big, "RGBA")
    im = im.convert(mode) if mode != "P" else im.convert("RGB").quantize(colors=37)
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    rgba = np.asarray(im.convert("RGBA")).astype(np.int64)
    add(name, buf.getvalue(), rgba * 257)

with open(os.path.join(HERE, "expected.json"), "w") as f:
    json.dump(cases, f, sort_keys=True, separators=(",", ":"))
    f.write("\n")

# ------------------------------------------------------------ broken files

bad = os.path.join(HERE, "bad")
os.makedirs(bad, exist_ok=True)
good = open(os.path.join(HERE, "pillow_rgba.png"), "rb").read()
with open(os.path.join(bad, "truncated.png"), "wb") as f:
    f.write(good[: len(good) // 2])
with open(os.path.join(bad, "header_only.png"), "wb") as f:
    f.write(good[:20])
corrupt = bytearray(good)
idat = corrupt.index(b"IDAT")
for k in range(idat + 20, idat + 60):
    corrupt[k] ^= 0x5A
with open(os.path.join(bad, "corrupt.png"), "wb") as f:
    f.write(bytes(corrupt))
with open(os.path.join(bad, "not_png.png"), "wb") as f:
    f.write(b"r,g,b\n1,2,3\n")

# ------------------------------------------------------------ image folders

IH, IW = 600, 800
y, x = np.mgrid[0:IH, 0:IW]
stack = []
for d, folder in enumerate(("a", "b")):
    os.makedirs(os.path.join(HERE, "images", folder), exist_ok=True)
    for k in range(3):
        t = 3 * d + k
        r = (x * (1 + t) // 8) % 256
        g = (y * (2 + t) // 9) % 256
        b = ((x + y) // (3 + t)) % 256
        a = 255 - (y // (20 + 5 * t)) % 64
        img = np.stack([r, g, b, a], axis=-1).astype(np.uint8)
        Image.fromarray(img, "RGBA").save(os.path.join(HERE, "images", folder, f"img{k + 1}.png"), optimize=True)
        stack.append(img)
I = np.stack(stack).reshape(2, 3, IH, IW, 4).astype(np.int64)
mean = I.mean(axis=(0, 1))  # 600 x 800 x 4
points = [(0, 0), (IH - 1, IW - 1), (123, 456), (599, 0), (0, 799), (300, 400), (17, 701)]
summary = {
    "shape": [2, 3, IH, IW],
    "sum": {c: int(I[..., k].sum()) for k, c in enumerate("rgba")},
    "mean_image_sum": {c: float(mean[..., k].sum()) for k, c in enumerate("rgba")},
    "mean_image_max": {c: float(mean[..., k].max()) for k, c in enumerate("rgba")},
    "mean_image_points": [
        {"row": i, "col": j, "rgba": [float(v) for v in mean[i, j]]} for i, j in points
    ],
}
with open(os.path.join(HERE, "images.json"), "w") as f:
    json.dump(summary, f, indent=1)
    f.write("\n")
