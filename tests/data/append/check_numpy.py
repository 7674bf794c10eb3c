"""`blaze eval --append` checked by NumPy and zarr-python.

Makes a `.npy` file with NumPy and Zarr arrays (formats 2 and 3) with
zarr-python, appends to each twice with blaze (in memory, then streamed
with a memory limit), and reads them back with NumPy and zarr-python: every
row must be there, the old ones first. Also reads a `.npy` file under a
view (`N * 2 * 3 * float64`) and checks blaze's sums against NumPy's
reshape. Usage: python check_numpy.py path/to/blaze
"""

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import zarr

blaze = sys.argv[1] if len(sys.argv) > 1 else "target/release/blaze"


def run(*args):
    subprocess.run([blaze, *args], check=True, capture_output=True)


with tempfile.TemporaryDirectory(prefix="blaze-append-check-") as d:
    d = Path(d)
    old = np.arange(30, dtype="f8").reshape(10, 3)
    new = np.arange(21, dtype="f8").reshape(7, 3) + 1000
    np.save(d / "new.npy", new)
    np.save(d / "r.npy", old)
    z3 = zarr.create_array(d / "r3.zarr", shape=old.shape, chunks=(4, 2), dtype="f8")
    z3[:] = old
    z2 = zarr.create_array(d / "r2.zarr", shape=old.shape, chunks=(3, 3), dtype="f8",
                           zarr_format=2)
    z2[:] = old
    want = np.concatenate([old, new, new])
    for out in ["r.npy", "r3.zarr", "r2.zarr"]:
        run("eval", "-e", "A", "--in", f"A={d / 'new.npy'}", "--out", str(d / out), "--append")
        run("eval", "-e", "A", "--in", f"A={d / 'new.npy'}", "--out", str(d / out), "--append",
            "--memory-limit", "1KiB")
        got = np.load(d / out) if out.endswith(".npy") else zarr.open_array(d / out, mode="r")[:]
        assert got.shape == want.shape and (got == want).all(), (out, got)
        print(f"{out}: {got.shape[0]} rows read back, equal")
    # A view: the file's rows as 2 * 3.
    a = np.arange(60, dtype="f8").reshape(10, 6)
    np.save(d / "a.npy", a)
    run("eval", "-e", "sum(A, axis=0)", "--in", f"A={d / 'a.npy'}:N * 2 * 3 * float64",
        "--out", str(d / "s.npy"))
    s = np.load(d / "s.npy")
    assert (s == a.reshape(10, 2, 3).sum(axis=0)).all(), s
    print("view: sum over N * 2 * 3 equals NumPy's")
