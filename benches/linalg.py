"""Runs the same linear algebra on the same arrays with blaze and NumPy (both
on OpenBLAS), in one run, and prints times and ratios.

blaze is run as `blaze eval --timings --repeat N --threads T`; its
`execute` time (best of N, loading and compile excluded) is compared with
the best of N NumPy runs. Every measurement is taken in R rounds that
interleave the engines; medians of the rounds are reported with the ratio
of the medians. `--dump-ir` output confirms the routine blaze called.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

import common
from common import best


def blaze(exe, expr, inputs, data, repeat, threads):
    timings, lines = common.blaze(exe, expr, inputs, data, repeat, threads, ["--dump-ir"])
    calls = [l[len("; call "):] for l in lines if l.startswith("; call ")]
    return timings["execute"], calls


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--blaze", required=True)
    p.add_argument("--tall", type=int, default=200_000, help="rows of A in A.T @ A")
    p.add_argument("--wide", type=int, default=1000, help="columns of A in A.T @ A")
    p.add_argument("--n", type=int, default=2000, help="size of the square problems")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--data", default="target/bench-data")
    p.add_argument("--only", default="", help="run the expressions containing this text")
    args = p.parse_args()
    os.makedirs(args.data, exist_ok=True)
    os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
    rng = np.random.default_rng(0)

    def save(name, a):
        path = os.path.join(args.data, name + ".npy")
        np.save(path, a)
        return a

    A = save("A", rng.standard_normal((args.tall, args.wide)))
    n = args.n
    S = save("S", rng.standard_normal((n, n)))
    B = save("B", rng.standard_normal((n, n)))
    b = save("b", rng.standard_normal(n))
    P = save("P", S.T @ S + n * np.eye(n))
    m = n // 2
    Sm = save("Sm", S[:m, :m].copy())
    D = save("D", np.eye(n) + rng.standard_normal((n, n)) / (4 * np.sqrt(n)))

    cases = [
        ("A.T @ A", ["A"], lambda: A.T @ A),
        ("S @ B", ["S", "B"], lambda: S @ B),
        ("S.T @ B", ["S", "B"], lambda: S.T @ B),
        ("2 * (S @ B) + 3 * P", ["S", "B", "P"], lambda: 2 * (S @ B) + 3 * P),
        ("S @ b", ["S", "b"], lambda: S @ b),
        ("solve(S, b)", ["S", "b"], lambda: np.linalg.solve(S, b)),
        ("inv(S)", ["S"], lambda: np.linalg.inv(S)),
        ("det(D)", ["D"], lambda: np.linalg.det(D)),
        ("cholesky(P)", ["P"], lambda: np.linalg.cholesky(P)),
        ("qr(Sm)[1]", ["Sm"], lambda: np.linalg.qr(Sm)[1]),
        ("svd(Sm)[1]", ["Sm"], lambda: np.linalg.svd(Sm, full_matrices=False)[1]),
        ("eigh(Sm + Sm.T)[0]", ["Sm"], lambda: np.linalg.eigh(Sm + Sm.T)[0]),
        ("eig(Sm)[0]", ["Sm"], lambda: np.linalg.eig(Sm)[0]),
        ("lstsq(S, b)", ["S", "b"], lambda: np.linalg.lstsq(S, b, rcond=None)[0]),
    ]

    print(f"# blaze vs NumPy {np.__version__} (OpenBLAS), {args.threads} threads, "
          f"best of {args.repeat}, median of {args.rounds} rounds")
    print(f"# A: {args.tall} x {args.wide} float64; square problems n = {n} (m = {m})")
    print(f"{'expression':<24} {'blaze s':>9} {'numpy s':>9} {'numpy/blaze':>12}  routines")
    for expr, inputs, f in cases:
        if args.only not in expr:
            continue
        tb, tn, calls = [], [], []
        for _ in range(args.rounds):
            t, calls = blaze(args.blaze, expr, inputs, args.data, args.repeat, args.threads)
            tb.append(t)
            tn.append(best(f, args.repeat))
        mb, mn = statistics.median(tb), statistics.median(tn)
        # Results agree with NumPy (values only where they are unique).
        out = np.load(os.path.join(args.data, "out.npy"))
        ref = np.asarray(f())
        if not expr.startswith(("eig(", "qr(")):
            err = np.max(np.abs(out - ref)) / max(np.max(np.abs(ref)), 1e-300)
            if not err < 1e-8:
                sys.exit(f"{expr}: blaze and NumPy differ by {err:.2e} (relative)")
        routines = ", ".join(c.split(": ", 1)[1] for c in calls)
        print(f"{expr:<24} {mb:9.4f} {mn:9.4f} {mn / mb:12.2f}  {routines}", flush=True)


if __name__ == "__main__":
    main()
