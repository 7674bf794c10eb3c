"""Out-of-core workloads side by side: blaze streaming a `.npy` file within a
memory limit, dask.array over the same file (memory-mapped, ~128 MB
chunks) and NumPy on a memory map, in one run. Every engine runs in its own
process under `/usr/bin/time` for its wall time and peak RSS; results are
checked against NumPy's. With `--cold`, the page cache is dropped before
every run (needs root); otherwise the file is read once first (warm).
"""

import argparse
import os
import subprocess
import sys
import time

import numpy as np

ENGINES = {
    "numpy": """
import numpy as np, sys
A = np.load(sys.argv[1], mmap_mode="r")
{numpy}
np.save(sys.argv[2], np.asarray(r))
""",
    "dask": """
import dask, dask.array as da, numpy as np, sys
A = da.from_array(np.load(sys.argv[1], mmap_mode="r"), chunks=({chunk}, -1))
{dask}
if sys.argv[2].endswith(".ref.npy"):
    np.save(sys.argv[2], np.asarray(r.compute()))
else:
    out = np.lib.format.open_memmap(sys.argv[2], mode="w+", dtype=r.dtype, shape=r.shape)
    da.store(r, out)
    out.flush()
""",
}


def timed(cmd):
    """Wall seconds and peak RSS (bytes) of a command."""
    t = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", "/tmp/blaze-bench-rss"] + cmd,
                       capture_output=True, text=True)
    wall = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd[:4])} failed:\n{r.stderr[-2000:]}")
    rss = int(open("/tmp/blaze-bench-rss").read().split()[-1]) * 1024
    return wall, rss


def drop_caches(cold, path):
    if cold:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
    else:
        # Warm: read the file once.
        with open(path, "rb") as f:
            while f.read(1 << 24):
                pass


def make(path, rows, cols):
    if os.path.exists(path):
        a = np.load(path, mmap_mode="r")
        if a.shape == (rows, cols):
            return
    print(f"# writing {path}: {rows} x {cols} float64 ({rows * cols * 8 / 1e9:.1f} GB)", flush=True)
    out = np.lib.format.open_memmap(path + ".tmp.npy", mode="w+", dtype="f8", shape=(rows, cols))
    rng = np.random.default_rng(0)
    step = max(1, (64 << 20) // (8 * cols))
    for i in range(0, rows, step):
        out[i:i + step] = rng.standard_normal((min(step, rows - i), cols))
    out.flush()
    del out
    os.replace(path + ".tmp.npy", path)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--blaze", required=True)
    p.add_argument("--data", default="target/bench-data")
    p.add_argument("--rows", type=int, default=1_000_000, help="rows of the big array (A.T @ A)")
    p.add_argument("--small-rows", type=int, default=200_000, help="rows of the elementwise array")
    p.add_argument("--cols", type=int, default=1000)
    p.add_argument("--limit", default="1GiB", help="blaze's --memory-limit for A.T @ A")
    p.add_argument("--small-limit", default="256MiB", help="blaze's --memory-limit otherwise")
    p.add_argument("--cold", action="store_true")
    p.add_argument("--only", default="")
    p.add_argument("--skip-numpy", action="store_true", help="skip NumPy on a memory map")
    args = p.parse_args()
    os.makedirs(args.data, exist_ok=True)
    big = os.path.join(args.data, "ooc_big.npy")
    small = os.path.join(args.data, "ooc_small.npy")
    make(big, args.rows, args.cols)
    make(small, args.small_rows, args.cols)
    chunk = max(1, (128 << 20) // (8 * args.cols))
    cases = [
        ("A.T @ A", big, args.limit, "r = A.T @ A", "r = A.T @ A", False),
        ("sum(sqrt(A*A + 1), axis=0)", small, args.small_limit,
         "r = np.sqrt(A*A + 1).sum(axis=0)", "r = da.sqrt(A*A + 1).sum(axis=0)", False),
        ("2*A + 1", small, args.small_limit, "r = 2*A + 1", "r = 2*A + 1", True),
    ]
    print(f"# {'cold' if args.cold else 'warm'} page cache; dask {chunk}-row chunks; "
          f"2 cores; wall time and peak RSS of each process")
    print(f"{'expression':<28} {'file':>8} {'engine':<8} {'seconds':>8} {'peak RSS':>10} {'vs blaze':>9}")
    for expr, path, limit, np_code, dask_code, to_disk in cases:
        if args.only not in expr:
            continue
        size = os.path.getsize(path)
        ref = os.path.join(args.data, "ooc.ref.npy")
        out = os.path.join(args.data, "ooc.out.npy")
        results = []
        drop_caches(args.cold, path)
        cmd = [args.blaze, "eval", "-e", expr, "--in", f"A={path}", "--memory-limit", limit,
               "--out", out]
        results.append(("blaze", *timed(cmd)))
        got = np.load(out, mmap_mode="r")
        for name, code in [("dask", dask_code), ("numpy", np_code)]:
            if name == "numpy" and args.skip_numpy:
                continue
            script = ENGINES[name].format(numpy=np_code, dask=code, chunk=chunk)
            dest = os.path.join(args.data, f"ooc.{name}.npy") if (to_disk and name == "dask") else ref
            drop_caches(args.cold, path)
            results.append((name, *timed([sys.executable, "-c", script, path, dest])))
            if dest == ref:
                want = np.load(ref, mmap_mode="r")
                # Compare in slabs (the arrays may be large).
                err, scale = 0.0, 0.0
                for i in range(0, want.shape[0], 1 << 16):
                    w, g = np.asarray(want[i:i + 1 << 16]), np.asarray(got[i:i + 1 << 16])
                    err = max(err, float(np.max(np.abs(w - g))))
                    scale = max(scale, float(np.max(np.abs(w))))
                if not err <= 1e-9 * max(scale, 1e-300):
                    sys.exit(f"{expr}: blaze differs from {name} by {err / scale:.2e} (relative)")
        tb = results[0][1]
        for name, wall, rss in results:
            label = f"{expr} ({limit})" if name == "blaze" else ""
            print(f"{label or expr:<28} {size / 1e9:7.2f}G {name:<8} {wall:8.2f} "
                  f"{rss / (1 << 30):8.2f}Gi {wall / tb:8.2f}x", flush=True)


if __name__ == "__main__":
    main()
