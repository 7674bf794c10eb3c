"""The cost of blaze's boundaries and of missing values, side by side in one
run (`benches/boundaries.sh` builds the programs and runs this).

1. `a*x + y` on N float64 (a scalar `a`, arrays `x`, `y`): the kernel inside
   `blaze eval` (its `--timings` execute, a fresh output each time), the
   same kernel called from Rust on inputs read in place (`Kernel::call`, a
   new array; `Kernel::call_into`, into an output already touched), through
   the C ABI (`blaze_kernel_call` into the caller's output, already
   touched; `blaze_kernel_call_alloc`, blaze's memory handed over), a plain
   single-threaded C loop into an output it already touched, NumPy and
   numexpr. Every program times only its call, on inputs prepared before.
   Ratios are given to `blaze eval` and to the C loop.
2. `sum(where(x > 0.5, x, na) * 2 + 1)` on M float64 with blaze, pandas
   (`(s.where(s > 0.5) * 2 + 1).sum()`) and `numpy.ma`, and blaze's dense
   `sum(where(x > 0.5, x, 0.0) * 2 + 1)`; the values of blaze, pandas and
   `numpy.ma` must agree. The time of a whole process (start, imports,
   load, compute) is given apart for blaze and pandas.

The machine is shared and noisy: every measurement is the best of `repeat`
runs, taken in `rounds` rounds that interleave all the engines, and the
medians of the rounds are reported, with ratios of the medians.
"""

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

import numexpr as ne
import numpy as np
import pandas as pd

import common
from common import best


def run_json(cmd):
    """Runs a benchmark program; returns the JSON line it prints."""
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{r.stderr}{r.stdout}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def wall(cmd):
    """The wall time of a whole process and its stdout."""
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    t = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{r.stderr}")
    return t, r.stdout


def array(data, name, shape, make):
    """`data/name.npy`, made by `make()` when absent or of another shape."""
    path = os.path.join(data, name + ".npy")
    if os.path.exists(path) and np.load(path, mmap_mode="r").shape == shape:
        return np.load(path)
    a = make()
    np.save(path, a)
    return a


def agree(u, v, rtol=1e-9):
    return math.isclose(u, v, rel_tol=rtol)


def table(title, rows, *bases):
    """Prints rows of (label, seconds, note) with the ratio to each of
    `bases`, pairs of (name, seconds)."""
    print(f"\n{title}")
    print(f"{'path':<58}{'ms':>10}" + "".join(f"{'÷ ' + b[0]:>16}" for b in bases))
    for label, t, note in rows:
        ms = f"{t * 1e3:.2f}" if t is not None else "-"
        ratios = "".join(f"{t / b[1]:>16.3g}" if t is not None else f"{'-':>16}" for b in bases)
        print(f"{label:<58}{ms:>10}{ratios}  {note}")


def axpy(args):
    """Part 1: `a*x + y` through every boundary."""
    data = os.path.join(args.data, "boundaries")
    os.makedirs(data, exist_ok=True)
    rng = np.random.default_rng(1)
    shape = (args.n,)
    x = array(data, "x", shape, lambda: rng.random(shape))
    y = array(data, "y", shape, lambda: rng.random(shape))
    np.save(os.path.join(data, "a.npy"), np.array(args.a))
    a = args.a
    xp, yp = os.path.join(data, "x.npy"), os.path.join(data, "y.npy")
    reps, threads = str(args.repeat), str(args.threads)
    cols = {k: [] for k in ["eval", "eval_compile", "call", "call_into", "rust_first",
                            "capi", "capi_alloc", "capi_first", "loop", "numpy", "numexpr"]}
    sums = {}
    for _ in range(args.rounds):
        t, _ = common.blaze(args.blaze, "a*x + y", ["a", "x", "y"], data, args.repeat,
                            args.threads)
        if t["fallbacks"]:
            sys.exit(f"`a*x + y` ran on the reference kernels: {t['fallbacks']}")
        cols["eval"].append(t["execute"])
        cols["eval_compile"].append(t["compile"])
        r = run_json([args.call_bench, "--x", xp, "--y", yp, "--a", repr(a),
                      "--repeat", reps, "--threads", threads])
        for k in ["call", "call_into"]:
            cols[k].append(r[k])
        cols["rust_first"].append(r["first_call"])
        sums["Kernel::call"] = r["checksum"]
        r = run_json([args.capi, xp, yp, repr(a), reps, threads])
        cols["capi"].append(r["call"])
        cols["capi_alloc"].append(r["call_alloc"])
        cols["capi_first"].append(r["first_call"])
        sums["blaze_kernel_call"] = r["checksum"]
        r = run_json([args.loop, xp, yp, repr(a), reps])
        cols["loop"].append(r["loop"])
        sums["C loop"] = r["checksum"]
        cols["numpy"].append(best(lambda: a * x + y, args.repeat))
        cols["numexpr"].append(best(lambda: ne.evaluate("a*x + y", local_dict={"a": a, "x": x, "y": y}), args.repeat))
    med = {k: statistics.median(v) for k, v in cols.items()}

    out = np.load(os.path.join(data, "out.npy"))
    want = a * x + y
    if not np.allclose(out, want, rtol=1e-12, atol=0):  # blaze may fuse a*x + y
        sys.exit("blaze eval's `a*x + y` differs from NumPy's")
    reference = float(np.sum(want))
    for path, s in sums.items():
        if not agree(s, reference):
            sys.exit(f"{path}: the sum of the result is {s!r}, NumPy's is {reference!r}")

    t = args.threads
    table(f"a*x + y, n = {args.n:,} float64 ({3 * 8 * args.n / 1e6:.0f} MB moved); "
          f"compile: blaze eval {med['eval_compile'] * 1e3:.0f} ms, first Rust call "
          f"{med['rust_first'] * 1e3:.0f} ms, first C call {med['capi_first'] * 1e3:.0f} ms",
          [("blaze eval, --timings execute (fresh output)", med["eval"], f"{t} threads"),
           ("Kernel::call (Rust, new array)", med["call"], f"{t} threads"),
           ("Kernel::call_into (Rust, output touched)", med["call_into"], f"{t} threads"),
           ("blaze_kernel_call (C ABI, output touched)", med["capi"], f"{t} threads"),
           ("blaze_kernel_call_alloc (C ABI, blaze's output)", med["capi_alloc"], f"{t} threads"),
           ("C loop, -O2 -march=native, output touched", med["loop"], "1 thread"),
           ("NumPy a*x + y (fresh output)", med["numpy"], "1 thread"),
           ("numexpr a*x + y", med["numexpr"], f"{t} threads")],
          ("blaze eval", med["eval"]), ("C loop", med["loop"]))
    print(f"every path's result agrees (sum {reference:.10g})")


PANDAS_PROCESS = """
import sys, numpy as np, pandas as pd
s = pd.Series(np.load(sys.argv[1]))
print(repr(float((s.where(s > 0.5) * 2 + 1).sum())))
"""


def missing(args):
    """Part 2: a program with missing values."""
    data = os.path.join(args.data, "boundaries-na")
    os.makedirs(data, exist_ok=True)
    rng = np.random.default_rng(2)
    shape = (args.m,)
    x = array(data, "x", shape, lambda: rng.random(shape))
    xp = os.path.join(data, "x.npy")
    s = pd.Series(x)
    na_expr = "sum(where(x > 0.5, x, na) * 2 + 1)"
    dense_expr = "sum(where(x > 0.5, x, 0.0) * 2 + 1)"
    cols = {k: [] for k in ["na", "dense", "pandas", "ma", "blaze_proc", "pandas_proc"]}
    fallbacks, values = None, {}
    for _ in range(args.rounds):
        t, _ = common.blaze(args.blaze, na_expr, ["x"], data, args.na_repeat, args.threads)
        cols["na"].append(t["execute"])
        fallbacks = t["fallbacks"]
        values["blaze"] = float(np.load(os.path.join(data, "out.npy")))
        t, _ = common.blaze(args.blaze, dense_expr, ["x"], data, args.na_repeat, args.threads)
        cols["dense"].append(t["execute"])
        values["blaze dense"] = float(np.load(os.path.join(data, "out.npy")))
        cols["pandas"].append(best(lambda: (s.where(s > 0.5) * 2 + 1).sum(), args.na_repeat))
        cols["ma"].append(best(lambda: (np.ma.array(x, mask=~(x > 0.5)) * 2 + 1).sum(),
                               args.na_repeat))
        tp, _ = wall([args.blaze, "eval", "-e", na_expr, "--in", f"x={xp}",
                      "--threads", str(args.threads)])
        cols["blaze_proc"].append(tp)
        tp, out = wall([sys.executable, "-c", PANDAS_PROCESS, xp])
        cols["pandas_proc"].append(tp)
        values["pandas (process)"] = float(out)
    med = {k: statistics.median(v) for k, v in cols.items()}
    values["pandas"] = float((s.where(s > 0.5) * 2 + 1).sum())
    values["numpy.ma"] = float((np.ma.array(x, mask=~(x > 0.5)) * 2 + 1).sum())
    mask = x > 0.5
    values["NumPy dense"] = float(np.sum(np.where(mask, x, 0.0) * 2 + 1))

    t = args.threads
    table(f"{na_expr}, n = {args.m:,} float64 ({mask.mean():.1%} present)",
          [("blaze eval, ?float64, --timings execute", med["na"], f"{t} threads"),
           ("blaze eval, dense where(x > 0.5, x, 0.0)", med["dense"], f"{t} threads"),
           ("pandas (s.where(s > 0.5) * 2 + 1).sum(), compute", med["pandas"], "1 thread"),
           ("numpy.ma, compute", med["ma"], "1 thread"),
           ("blaze eval, ?float64, whole process", med["blaze_proc"], "start, load, compile"),
           ("pandas, whole process", med["pandas_proc"], "start, imports, load")],
          ("blaze ?float64", med["na"]))
    print(f"pandas compute ÷ blaze ?float64 execute: {med['pandas'] / med['na']:.2f}; "
          f"blaze ?float64 ÷ blaze dense: {med['na'] / med['dense']:.1f}")
    print("blaze ran on the reference kernels: " + ("; ".join(fallbacks) if fallbacks else "nothing"))
    print("values: " + ", ".join(f"{k} {v!r}" for k, v in values.items()))
    for k in ["pandas", "pandas (process)", "numpy.ma"]:
        if not agree(values["blaze"], values[k]):
            sys.exit(f"blaze's value {values['blaze']!r} differs from {k}'s {values[k]!r}")
    if not agree(values["blaze dense"], values["NumPy dense"]):
        sys.exit(f"blaze's dense value {values['blaze dense']!r} differs from NumPy's "
                 f"{values['NumPy dense']!r}")
    print("blaze, pandas and numpy.ma agree (relative tolerance 1e-9); blaze dense agrees with NumPy")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--blaze", required=True, help="the release `blaze` binary")
    p.add_argument("--call-bench", required=True, help="the Rust bench `call`")
    p.add_argument("--capi", required=True, help="the C program calling the C ABI")
    p.add_argument("--loop", required=True, help="the plain C loop")
    p.add_argument("--n", type=int, default=20_000_000, help="elements of x and y (a*x + y)")
    p.add_argument("--m", type=int, default=10_000_000, help="elements of x (missing values)")
    p.add_argument("--a", type=float, default=2.5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeat", type=int, default=7)
    p.add_argument("--na-repeat", type=int, default=3,
                   help="best of this many runs for the missing-value programs")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--data", default="target/bench-data")
    p.add_argument("--only", choices=["axpy", "missing"], help="run one part")
    args = p.parse_args()
    ne.set_num_threads(args.threads)
    print(f"numpy {np.__version__}, numexpr {ne.__version__}, pandas {pd.__version__}, "
          f"{os.cpu_count()} cores, median of {args.rounds} rounds of best of {args.repeat} "
          f"({args.na_repeat} for missing values)")
    if args.only in (None, "axpy"):
        axpy(args)
    if args.only in (None, "missing"):
        missing(args)


if __name__ == "__main__":
    main()
