"""Makes the Zarr fixtures of runtime/tests/zarr.rs with zarr-python (3.x):
arrays in formats 2 and 3 with zarr-python's default codecs and variants,
each with the expected values as NumPy `.npy` next to it.

    python3 -m venv /tmp/zvenv && /tmp/zvenv/bin/pip install zarr numpy
    /tmp/zvenv/bin/python tests/data/zarr/make_fixtures.py
"""

import os
import shutil

import numcodecs
import numpy as np
import zarr
from zarr.codecs import BytesCodec, GzipCodec

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(7)


def fresh(name):
    path = os.path.join(here, name)
    shutil.rmtree(path, ignore_errors=True)
    return path


def save(name, values):
    np.save(os.path.join(here, name + ".npy"), values)


# Format 3, zarr-python's defaults (bytes + zstd); partial edge chunks.
a = rng.standard_normal((37, 5))
z = zarr.create_array(fresh("v3_default.zarr"), shape=a.shape, chunks=(8, 2), dtype="f8")
z[:] = a
save("v3_default", a)

# Format 3, some chunks never written: they read as the fill value.
b = np.full((20, 3), 7, dtype="i4")
b[:10] = np.arange(30, dtype="i4").reshape(10, 3)
z = zarr.create_array(fresh("v3_missing.zarr"), shape=b.shape, chunks=(5, 3), dtype="i4", fill_value=7)
z[:10] = b[:10]
save("v3_missing", b)

# Format 3, uncompressed big-endian float32.
c = rng.standard_normal((11, 4)).astype("f4")
z = zarr.create_array(fresh("v3_raw_big.zarr"), shape=c.shape, chunks=(4, 4), dtype=">f4",
                      compressors=None, serializer=BytesCodec(endian="big"))
z[:] = c
save("v3_raw_big", c)

# Format 3, gzip, complex.
d = (rng.standard_normal((9, 2)) + 1j * rng.standard_normal((9, 2))).astype("c16")
z = zarr.create_array(fresh("v3_gzip.zarr"), shape=d.shape, chunks=(4, 1), dtype="c16",
                      compressors=GzipCodec(level=5))
z[:] = d
save("v3_gzip", d)

# Format 2, zarr-python's defaults (zstd).
e = rng.integers(-1000, 1000, size=(23, 6)).astype("i8")
z = zarr.create_array(fresh("v2_default.zarr"), shape=e.shape, chunks=(5, 4), dtype="i8", zarr_format=2)
z[:] = e
save("v2_default", e)

# Format 2, zlib, Fortran-order chunks, 1-D bools too.
f = rng.standard_normal((13, 3))
z = zarr.create_array(fresh("v2_zlib_f.zarr"), shape=f.shape, chunks=(6, 2), dtype="f8", zarr_format=2,
                      compressors=numcodecs.Zlib(level=4), order="F")
z[:] = f
save("v2_zlib_f", f)
g = rng.random(17) > 0.5
z = zarr.create_array(fresh("v2_bool.zarr"), shape=g.shape, chunks=(5,), dtype="bool", zarr_format=2)
z[:] = g
save("v2_bool", g)
