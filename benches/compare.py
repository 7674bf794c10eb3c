"""Runs the same expressions on the same arrays with blaze, NumPy and
numexpr, in one run, and prints best-of-N times and ratios.

blaze is run as `blaze eval --timings --repeat N --threads T`; its
`execute` time (best of N, compile excluded) is compared with the best of N
NumPy and numexpr runs. The machine is shared and noisy, so every
measurement is taken in R rounds that interleave the three engines, and the
medians of the rounds are reported, with the ratios of the medians. NumPy's
elementwise code uses one thread; numexpr uses T. A plain copy gives the
machine's memory bandwidth for reference.
"""

import statistics

import argparse
import json
import os
import subprocess
import sys
import time

import numexpr as ne
import numpy as np

import common
from common import best


def blaze(exe, expr, inputs, data, repeat, threads):
    timings, _ = common.blaze(exe, expr, inputs, data, repeat, threads)
    return timings["execute"], timings["compile"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--blaze", required=True)
    p.add_argument("--n", type=int, default=20_000_000)
    p.add_argument("--rows", type=int, default=4000)
    p.add_argument("--cols", type=int, default=5000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeat", type=int, default=7)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--data", default="target/bench-data")
    args = p.parse_args()
    os.makedirs(args.data, exist_ok=True)
    ne.set_num_threads(args.threads)

    rng = np.random.default_rng(0)
    arrays = {}
    for name, shape in [("a", (args.n,)), ("b", (args.n,)), ("c", (args.n,)), ("X", (args.rows, args.cols))]:
        path = os.path.join(args.data, name + ".npy")
        if os.path.exists(path) and np.load(path, mmap_mode="r").shape == shape:
            arrays[name] = np.load(path)
        else:
            arrays[name] = rng.random(shape)
            np.save(path, arrays[name])
    a, b, c, X = arrays["a"], arrays["b"], arrays["c"], arrays["X"]
    n_bytes = a.nbytes
    print(f"numpy {np.__version__}, numexpr {ne.__version__}, {args.threads} threads, "
          f"median of {args.rounds} rounds of best of {args.repeat}, "
          f"n = {args.n:,} float64, X = {args.rows}x{args.cols}")

    dst = np.empty_like(a)
    copies_np, copies_blaze = [], []
    for _ in range(args.rounds):
        copies_np.append(best(lambda: np.copyto(dst, a), args.repeat))
        copies_blaze.append(blaze(args.blaze, "a + 0", ["a"], args.data, args.repeat, args.threads)[0])
    copy_np, copy_blaze = statistics.median(copies_np), statistics.median(copies_blaze)
    print(f"\ncopy (read 1 + write 1 array): numpy copyto {copy_np*1e3:.1f} ms = {2*n_bytes/copy_np/1e9:.1f} GB/s; "
          f"blaze `a + 0` {copy_blaze*1e3:.1f} ms = {2*n_bytes/copy_blaze/1e9:.1f} GB/s")

    rows = []

    def compare(label, expr, inputs, numpy_f, numexpr_f, traffic):
        tb, tn, te, tc = [], [], [], []
        for _ in range(args.rounds):
            t, c = blaze(args.blaze, expr, inputs, args.data, args.repeat, args.threads)
            tb.append(t)
            tc.append(c)
            tn.append(best(numpy_f, args.repeat))
            if numexpr_f:
                te.append(best(numexpr_f, args.repeat))
        t_blaze, t_compile = statistics.median(tb), statistics.median(tc)
        t_np = statistics.median(tn)
        t_ne = statistics.median(te) if numexpr_f else None
        bw = traffic / t_blaze / 1e9
        rows.append((label, t_blaze, t_np, t_ne, bw, t_compile))

    compare("2*a + b*c", "2*a + b*c", ["a", "b", "c"],
            lambda: 2 * a + b * c, lambda: ne.evaluate("2*a + b*c", local_dict=arrays), 4 * n_bytes)
    compare("2*a + sin(b)", "2*a + sin(b)", ["a", "b"],
            lambda: 2 * a + np.sin(b), lambda: ne.evaluate("2*a + sin(b)", local_dict=arrays), 3 * n_bytes)
    compare("sum(a*b)", "sum(a*b)", ["a", "b"],
            lambda: (a * b).sum(), lambda: ne.evaluate("sum(a*b)", local_dict=arrays), 2 * n_bytes)
    compare("sum(a) [read bandwidth]", "sum(a)", ["a"],
            lambda: a.sum(), None, n_bytes)
    compare("sum(X, axis=0)", "sum(X, axis=0)", ["X"],
            lambda: X.sum(axis=0), lambda: ne.evaluate("sum(X, axis=0)", local_dict=arrays), X.nbytes)
    compare("sum(X, axis=1)", "sum(X, axis=1)", ["X"],
            lambda: X.sum(axis=1), lambda: ne.evaluate("sum(X, axis=1)", local_dict=arrays), X.nbytes)

    print(f"\n{'expression':<26}{'blaze ms':>10}{'numpy ms':>10}{'numexpr ms':>12}"
          f"{'numpy/blaze':>13}{'numexpr/blaze':>15}{'blaze GB/s':>12}{'compile ms':>12}")
    for label, tb, tn, te, bw, tc in rows:
        te_s = f"{te*1e3:12.1f}" if te is not None else f"{'-':>12}"
        re_s = f"{te/tb:15.2f}" if te is not None else f"{'-':>15}"
        print(f"{label:<26}{tb*1e3:10.1f}{tn*1e3:10.1f}{te_s}{tn/tb:13.2f}{re_s}{bw:12.1f}{tc*1e3:12.1f}")
    t_copy = 2 * n_bytes / copy_blaze
    eff = 4 * n_bytes / rows[0][1]
    print(f"\n2*a + b*c effective bandwidth {eff/1e9:.1f} GB/s = {eff/t_copy:.0%} of blaze's copy, "
          f"{eff/(2*n_bytes/copy_np):.0%} of numpy's copyto")


if __name__ == "__main__":
    main()
