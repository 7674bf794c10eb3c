#!/usr/bin/env python3
"""Regenerates the .npy fixtures in this folder with real NumPy.

Usage (from the repository root):

    python3 -m venv /tmp/npyenv && /tmp/npyenv/bin/pip install numpy
    /tmp/npyenv/bin/python tests/data/npy/make_fixtures.py

Writes small deterministic arrays for every numeric dtype (C order, Fortran
order, big-endian, 0-d, zero-length, format versions 1.0, 2.0 and 3.0) and
`manifest.txt`, read by `runtime/tests/npy.rs`.  Each manifest line holds,
tab-separated:

    file  dtype  descr  fortran_order  shape  values

* `dtype` is NumPy's name (`float64`), `descr` the header's descr (`>f8`);
* `fortran_order` is `True` or `False`;
* `shape` is comma-separated (`2,3`), empty for a 0-d array;
* `values` are the elements flattened in C (row-major) order, space-separated:
  bools as `1`/`0`, integers in decimal, float32/float64 as NumPy's shortest
  round-trip decimal (`nan`, `inf`, `-inf`, `-0.0` included), float16 as its
  bit pattern in hex (`0x3c00`), complex as `re,im` with the float rules above.

`exact_*.npy` are written by `np.save` and compared byte for byte with what
blaze's writer produces for the same array.
"""

import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

DTYPES = [
    "bool",
    "int8", "int16", "int32", "int64",
    "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64",
    "complex64", "complex128",
]

SHORT = {
    "bool": "b1", "int8": "i1", "int16": "i2", "int32": "i4", "int64": "i8",
    "uint8": "u1", "uint16": "u2", "uint32": "u4", "uint64": "u8",
    "float16": "f2", "float32": "f4", "float64": "f8",
    "complex64": "c8", "complex128": "c16",
}


def values(dtype, n, seed=0):
    """n deterministic values of `dtype`, extremes and specials first."""
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return np.array([(k + seed) % 3 == 0 for k in range(n)], dtype=dt)
    if dt.kind in "iu":
        info = np.iinfo(dt)
        special = [int(info.min), int(info.max), 0, 1]
        if dt.kind == "i":
            special.append(-1)
        span = int(info.max) - int(info.min) + 1
        out = []
        for k in range(n):
            j = k + seed
            if j < len(special):
                out.append(special[j])
            else:
                out.append((j * 7919 + 12345) % span + int(info.min))
        return np.array(out, dtype=dt)
    if dt.kind == "f":
        info = np.finfo(dt)
        special = [np.nan, np.inf, -np.inf, -0.0, 0.1, float(info.max),
                   float(info.smallest_subnormal), 1.0 / 3.0, -2.5]
        out = []
        for k in range(n):
            j = k + seed
            out.append(special[j] if j < len(special) else j * 0.37 - 2.0)
        return np.array(out, dtype=dt)
    if dt.kind == "c":
        part = np.dtype("f%d" % (dt.itemsize // 2))
        re = values(part, n, seed)
        im = values(part, n, seed + 5)
        return (re.astype(dt) + 1j * im.astype(dt)).astype(dt)
    raise ValueError(dtype)


def fmt(dtype, x):
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return "1" if x else "0"
    if dt.kind in "iu":
        return str(int(x))
    if dt == np.float16:
        return "0x%04x" % int(np.array(x, dtype=np.float16).view(np.uint16))
    if dt.kind == "f":
        if np.isnan(x):
            return "nan"
        return str(x)
    if dt.kind == "c":
        part = np.dtype("f%d" % (dt.itemsize // 2))
        return "%s,%s" % (fmt(part, part.type(x.real)), fmt(part, part.type(x.imag)))
    raise ValueError(dtype)


manifest = []


def record(name, a):
    a_c = np.ascontiguousarray(a)
    flat = a_c.reshape(-1)
    vals = " ".join(fmt(a.dtype.newbyteorder("="), v) for v in flat)
    fortran = a.flags.f_contiguous and not a.flags.c_contiguous
    manifest.append("\t".join([
        name,
        a.dtype.name,
        a.dtype.str,
        "True" if fortran else "False",
        ",".join(str(d) for d in a.shape),
        vals,
    ]))


def save(name, a):
    with open(os.path.join(HERE, name), "wb") as f:
        np.lib.format.write_array(f, a, allow_pickle=False)
    record(name, a)


def save_version(name, a, version):
    with open(os.path.join(HERE, name), "wb") as f:
        np.lib.format.write_array(f, a, version=version, allow_pickle=False)
    record(name, a)


def main():
    for f in os.listdir(HERE):
        if f.endswith(".npy"):
            os.remove(os.path.join(HERE, f))
    for dtype in DTYPES:
        s = SHORT[dtype]
        dt = np.dtype(dtype)
        c = values(dt, 6).reshape(2, 3)
        save("%s_c.npy" % s, c)
        f = np.asfortranarray(values(dt, 12, seed=1).reshape(2, 3, 2))
        assert f.flags.f_contiguous and not f.flags.c_contiguous
        save("%s_f.npy" % s, f)
        if dt.itemsize > 1:
            be = values(dt, 6, seed=2).reshape(3, 2).astype(dt.newbyteorder(">"))
            save("%s_be.npy" % s, be)
            bef = np.asfortranarray(values(dt, 6, seed=3).reshape(2, 3)).astype(
                dt.newbyteorder(">"), order="F")
            assert bef.flags.f_contiguous and not bef.flags.c_contiguous
            save("%s_be_f.npy" % s, bef)
        save("%s_scalar.npy" % s, np.array(values(dt, 1, seed=4)[0], dtype=dt))
        save("%s_empty.npy" % s, np.zeros((0, 3), dtype=dt))
        save("%s_1d.npy" % s, values(dt, 5, seed=5))
    save_version("i2_v2.npy", values("int16", 6).reshape(3, 2), (2, 0))
    save_version("f4_v3.npy", values("float32", 4).reshape(4, 1), (3, 0))
    # Written by np.save: our writer must produce these files byte for byte.
    exact = {
        "exact_i4_2x3.npy": np.arange(6, dtype="<i4").reshape(2, 3),
        "exact_f8_scalar.npy": np.array(1.5, dtype="<f8"),
        "exact_b1_5.npy": np.array([True, False, True, True, False]),
        "exact_c16_0x2.npy": np.zeros((0, 2), dtype="<c16"),
    }
    for name, a in exact.items():
        np.save(os.path.join(HERE, name), a)
        record(name, a)
    with open(os.path.join(HERE, "manifest.txt"), "w") as m:
        m.write("# Written by make_fixtures.py (NumPy %s); see its docstring.\n"
                % np.__version__)
        m.write("\n".join(manifest) + "\n")


if __name__ == "__main__":
    main()
