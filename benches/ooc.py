"""Out-of-core workloads side by side, in one run: blaze streaming a `.npy`
file within a memory limit, dask.array over the same file (memory-mapped,
~128 MB chunks) and NumPy on a memory map, with the machine's limits
measured in the same run: `dd` reading the file, `dd oflag=direct` writing
as many bytes, and blaze's in-memory `A.T @ A` (dsyrk on the array read
whole).

Every engine runs in its own process under `/usr/bin/time` for its wall
time and peak RSS; dask's `compute()` (or `store`) time is also measured
inside its process. Each figure is the median of `--runs` runs. Results
are checked against NumPy's. Page cache warm (the file read once before
each run) and, with `--cold`, dropped before each run (needs root).

Durability is the same on both sides of a disk-to-disk run: blaze syncs
its result before renaming it into place; dask stores into a NumPy memory
map, flushes it (`msync`) and `fsync`s the file, inside its timed part.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

ENGINES = {
    "numpy": """
import numpy as np, sys, time
A = np.load(sys.argv[1], mmap_mode="r")
t = time.perf_counter()
{numpy}
r = np.asarray(r)
print(f"compute {{time.perf_counter() - t:.3f}}", file=sys.stderr)
np.save(sys.argv[2], r)
""",
    "dask": """
import dask, dask.array as da, numpy as np, os, sys, time
A = da.from_array(np.load(sys.argv[1], mmap_mode="r"), chunks=({chunk}, -1))
{dask}
t = time.perf_counter()
if sys.argv[2].endswith(".ref.npy"):
    np.save(sys.argv[2], np.asarray(r.compute()))
else:
    out = np.lib.format.open_memmap(sys.argv[2], mode="w+", dtype=r.dtype, shape=r.shape)
    da.store(r, out)
    out.flush()
    fd = os.open(sys.argv[2], os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
print(f"compute {{time.perf_counter() - t:.3f}}", file=sys.stderr)
""",
}


def timed(cmd, env=None):
    """Wall seconds, peak RSS (bytes) and the compute seconds a script
    printed (or None) of a command."""
    t = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", "/tmp/blaze-bench-rss"] + cmd,
                       capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd[:4])} failed:\n{r.stderr[-2000:]}")
    rss = int(open("/tmp/blaze-bench-rss").read().split()[-1]) * 1024
    os.remove("/tmp/blaze-bench-rss")
    compute = None
    for line in r.stderr.splitlines():
        if line.startswith("compute "):
            compute = float(line.split()[1])
    return wall, rss, compute


def drop_caches(cold, path):
    if cold:
        # The same clean start for every engine: no page cache, and free
        # memory compacted again after the peers' large processes.
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        with open("/proc/sys/vm/compact_memory", "w") as f:
            f.write("1\n")
    else:
        # Warm: what the last process wrote is on the disk (its writeback
        # does not run during the next one), and the file read once.
        os.sync()
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


def median_of(runs, f):
    """Medians of wall, RSS and compute time over `runs` calls of `f`."""
    got = [f() for _ in range(runs)]
    med = lambda xs: statistics.median(xs) if all(x is not None for x in xs) else None
    return med([g[0] for g in got]), med([g[1] for g in got]), med([g[2] for g in got])


def dd_seconds(args):
    t = time.perf_counter()
    subprocess.run(["dd"] + args, check=True, capture_output=True)
    return time.perf_counter() - t


def check(expr, name, ref, got_path):
    want = np.load(ref, mmap_mode="r")
    got = np.load(got_path, mmap_mode="r")
    if want.shape != got.shape:
        sys.exit(f"{expr}: blaze's shape {got.shape} differs from {name}'s {want.shape}")
    err, scale = 0.0, 0.0
    step = 1 << 16
    for i in range(0, max(want.shape[0], 1), step):
        w, g = np.asarray(want[i:i + step]), np.asarray(got[i:i + step])
        if w.size:
            err = max(err, float(np.max(np.abs(w - g))))
            scale = max(scale, float(np.max(np.abs(w))))
    if not err <= 1e-9 * max(scale, 1e-300):
        sys.exit(f"{expr}: blaze differs from {name} by {err / scale:.2e} (relative)")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--blaze", required=True)
    p.add_argument("--data", default="target/bench-data")
    p.add_argument("--rows", type=int, default=1_000_000, help="rows of the big array (A.T @ A)")
    p.add_argument("--cols", type=int, default=1000, help="columns of the big array")
    p.add_argument("--small-rows", type=int, default=400_000, help="rows of the elementwise array")
    p.add_argument("--small-cols", type=int, default=500, help="columns of the elementwise array")
    p.add_argument("--limit", default="1GiB", help="blaze's --memory-limit for A.T @ A")
    p.add_argument("--small-limit", default="256MiB", help="blaze's --memory-limit otherwise")
    p.add_argument("--runs", type=int, default=3, help="runs per figure (the median is shown)")
    p.add_argument("--cold", action="store_true", help="also with the page cache dropped")
    p.add_argument("--only", default="",
                   help="only the workloads whose expression has one of these ';'-separated texts")
    p.add_argument("--skip-numpy", action="store_true", help="skip NumPy on a memory map")
    args = p.parse_args()
    os.makedirs(args.data, exist_ok=True)
    big = os.path.join(args.data, "ooc_big.npy")
    small = os.path.join(args.data, "ooc_small.npy")
    cases = [
        ("A.T @ A", big, args.limit, "r = A.T @ A", "r = A.T @ A", False),
        ("sum(sqrt(A*A + 1), axis=0)", small, args.small_limit,
         "r = np.sqrt(A*A + 1).sum(axis=0)", "r = da.sqrt(A*A + 1).sum(axis=0)", False),
        ("2*A + 1", small, args.small_limit, "r = 2*A + 1", "r = 2*A + 1", True),
    ]
    cases = [c for c in cases if any(o in c[0] for o in args.only.split(";"))]
    if any(c[1] == big for c in cases):
        make(big, args.rows, args.cols)
    if any(c[1] == small for c in cases):
        make(small, args.small_rows, args.small_cols)
    temps = ["ooc.ref.npy", "ooc.out.npy", "ooc.dask.npy", "ooc.dd"]
    temps = [os.path.join(args.data, t) for t in temps]
    print(f"# medians of {args.runs} runs; 2 cores; `wall` is each process's wall time, "
          f"`compute` the time inside it (dask: compute() or store + fsync)")
    print(f"{'expression':<28} {'cache':<5} {'engine':<12} {'wall s':>7} {'compute s':>9} "
          f"{'peak RSS':>9} {'vs blaze':>9}")
    modes = [False, True] if args.cold else [False]
    for expr, path, limit, np_code, dask_code, to_disk in cases:
        size = os.path.getsize(path)
        ref, out, dask_out, dd_out = temps
        for cold in modes:
            cache = "cold" if cold else "warm"
            rows = []

            def blaze():
                drop_caches(cold, path)
                cmd = [args.blaze, "eval", "-e", expr, "--in", f"A={path}",
                       "--memory-limit", limit, "--out", out]
                return timed(cmd)
            rows.append((f"blaze {limit}", *median_of(args.runs, blaze)))
            for name, code in [("dask", dask_code), ("numpy", np_code)]:
                if name == "numpy" and (args.skip_numpy or to_disk):
                    continue
                script = ENGINES[name].format(numpy=np_code, dask=code,
                                              chunk=max(1, (128 << 20) // (8 * args.small_cols
                                                        if path == small else 8 * args.cols)))
                dest = dask_out if (to_disk and name == "dask") else ref

                def run(script=script, dest=dest):
                    drop_caches(cold, path)
                    return timed([sys.executable, "-c", script, path, dest])
                rows.append((name, *median_of(args.runs, run)))
                if dest == ref:
                    check(expr, name, ref, out)
                elif name == "dask":
                    check(expr, name, dask_out, out)
            # The limits, in the same run.
            if path == big and not cold:
                def memory():
                    cmd = [args.blaze, "eval", "-e", expr, "--in", f"A={path}", "--out", out,
                           "--timings"]
                    r = subprocess.run(cmd, capture_output=True, text=True)
                    for text in (r.stderr, r.stdout):
                        at = text.find("{")
                        if at >= 0:
                            t = json.JSONDecoder().raw_decode(text[at:])[0]
                            if "execute" in t:
                                return (t["execute"], None, None)
                    sys.exit(f"no execute time in blaze --timings:\n{r.stderr[-2000:]}")
                rows.append(("in-memory", *median_of(args.runs, memory)))
            def dd_read(cold=cold):
                drop_caches(cold, path)
                return (dd_seconds([f"if={path}", "of=/dev/null", "bs=64M"]), None, None)
            rows.append(("dd read", *median_of(args.runs, dd_read)))
            if to_disk:
                def dd_write():
                    count = -(-size // (64 << 20))
                    s = dd_seconds(["if=/dev/zero", f"of={dd_out}", "bs=64M", f"count={count}",
                                    "oflag=direct"])
                    os.remove(dd_out)
                    return (s * size / (count * (64 << 20)), None, None)
                rows.append(("dd write", *median_of(args.runs, dd_write)))
            tb = rows[0][1]
            for name, wall, rss, compute in rows:
                rss_s = f"{rss / (1 << 30):7.2f}Gi" if rss else f"{'':9}"
                comp = f"{compute:9.2f}" if compute is not None else f"{'':9}"
                print(f"{expr:<28} {cache:<5} {name:<12} {wall:7.2f} {comp} {rss_s} "
                      f"{wall / tb:8.2f}x", flush=True)
        print(f"# {expr}: {size / 1e9:.2f} GB", flush=True)
    for t in temps:
        if os.path.exists(t):
            os.remove(t)


if __name__ == "__main__":
    main()
