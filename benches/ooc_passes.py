"""Out-of-core programs that need two passes over the rows, side by side:
blaze streaming a `.npy` file within a memory limit (a pass computes the
column means, a second pass streams the file again), dask.array over the
same file (memory-mapped, ~128 MB chunks) and NumPy on a memory map, in one
run. Every engine runs in its own process under `/usr/bin/time` for its wall
time and peak RSS; dask's `compute()` (or `store`) time is also measured
inside its process. Results are checked against NumPy's. The helpers (data,
timing, page cache) are the ones of `ooc.py`.
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ooc import drop_caches, make  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402


def timed(cmd):
    """Wall seconds, peak RSS (bytes) and standard error of a command."""
    t = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", "/tmp/blaze-bench-rss"] + cmd,
                       capture_output=True, text=True)
    wall = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd[:4])} failed:\n{r.stderr[-2000:]}")
    rss = int(open("/tmp/blaze-bench-rss").read().split()[-1]) * 1024
    return wall, rss, r.stderr

NUMPY = """
import numpy as np, sys
A = np.load(sys.argv[1], mmap_mode="r")
{code}
np.save(sys.argv[2], np.asarray(r))
"""

DASK = """
import time, dask.array as da, numpy as np, sys
A = da.from_array(np.load(sys.argv[1], mmap_mode="r"), chunks=({chunk}, -1))
{code}
t = time.perf_counter()
if r.ndim == 2 and r.shape[0] == A.shape[0]:
    out = np.lib.format.open_memmap(sys.argv[2], mode="w+", dtype=r.dtype, shape=r.shape)
    da.store(r, out)
    out.flush()
else:
    np.save(sys.argv[2], r.compute())
print(f"compute {{time.perf_counter() - t:.3f}}", file=sys.stderr)
"""

CASES = [
    ("A - mean(A, axis=0)", "r = A - A.mean(axis=0)"),
    ("(A - mean(A, axis=0)).T @ (A - mean(A, axis=0))", "C = A - A.mean(axis=0)\nr = C.T @ C"),
]


def compare(got_path, want_path):
    """The largest difference relative to the largest magnitude, in slabs."""
    got = np.load(got_path, mmap_mode="r")
    want = np.load(want_path, mmap_mode="r")
    if got.shape != want.shape:
        sys.exit(f"shapes differ: {got.shape} against {want.shape}")
    err, scale = 0.0, 0.0
    step = 1 << 16
    for i in range(0, want.shape[0], step):
        w, g = np.asarray(want[i:i + step]), np.asarray(got[i:i + step])
        err = max(err, float(np.max(np.abs(w - g))))
        scale = max(scale, float(np.max(np.abs(w))))
    return err / max(scale, 1e-300)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--blaze", required=True)
    p.add_argument("--data", default="target/bench-data")
    p.add_argument("--rows", type=int, default=400_000)
    p.add_argument("--cols", type=int, default=500)
    p.add_argument("--limit", default="256MiB", help="blaze's --memory-limit")
    p.add_argument("--cold", action="store_true")
    p.add_argument("--skip-numpy", action="store_true")
    args = p.parse_args()
    os.makedirs(args.data, exist_ok=True)
    path = os.path.join(args.data, f"passes_{args.rows}x{args.cols}.npy")
    make(path, args.rows, args.cols)
    size = os.path.getsize(path)
    chunk = max(1, (128 << 20) // (8 * args.cols))
    ref = os.path.join(args.data, "passes.ref.npy")
    out = os.path.join(args.data, "passes.out.npy")
    dout = os.path.join(args.data, "passes.dask.npy")
    print(f"# {'cold' if args.cold else 'warm'} page cache; {size / 1e9:.2f} GB file; "
          f"dask {chunk}-row chunks; wall time and peak RSS of each process")
    print(f"{'expression':<50} {'engine':<7} {'seconds':>8} {'compute':>8} "
          f"{'peak RSS':>10} {'vs blaze':>9} {'error':>9}")
    for expr, code in CASES:
        rows = []
        drop_caches(args.cold, path)
        wall, rss, _ = timed([args.blaze, "eval", "-e", expr, "--in", f"A={path}",
                              "--memory-limit", args.limit, "--out", out])
        rows.append(("blaze", wall, None, rss))
        if not args.skip_numpy:
            drop_caches(args.cold, path)
            wall, rss, _ = timed([sys.executable, "-c", NUMPY.format(code=code), path, ref])
            rows.append(("numpy", wall, None, rss))
        drop_caches(args.cold, path)
        script = DASK.format(code=code, chunk=chunk)
        wall, rss, err = timed([sys.executable, "-c", script, path, dout])
        compute = float(err.split("compute")[-1].split()[0])
        rows.append(("dask", wall, compute, rss))
        want = ref if not args.skip_numpy else dout
        errors = {"blaze": compare(out, want), "dask": compare(dout, want), "numpy": 0.0}
        for name in errors:
            if errors[name] > 1e-9:
                sys.exit(f"{expr}: {name} differs from the reference by {errors[name]:.2e}")
        tb = rows[0][1]
        for name, wall, compute, rss in rows:
            c = f"{compute:8.2f}" if compute is not None else f"{'':>8}"
            label = f"{expr} ({args.limit})" if name == "blaze" else expr
            print(f"{label:<50} {name:<7} {wall:8.2f} {c} {rss / (1 << 30):8.2f}Gi "
                  f"{wall / tb:8.2f}x {errors[name]:9.1e}", flush=True)
        for f in (ref, out, dout):
            if os.path.exists(f):
                os.remove(f)


if __name__ == "__main__":
    main()
