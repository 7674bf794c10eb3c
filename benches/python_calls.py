"""blaze from Python against the same call from Rust, numexpr and NumPy
(run by benches/python.sh, which builds the package in release mode).

- `axpy` of a module (`blaze.compile`) on 2×10^7 float64 NumPy arrays,
  against `Kernel::call` of the same definition from Rust (benches/call.rs,
  run on the same data in the same run);
- `2*a + sin(b)` compiled by blaze against numexpr and NumPy.

Best and median of `--repeat` calls each; ratios on the best times."""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numexpr as ne
import numpy as np

import blaze


def times(f, repeat):
    f()  # warm: compiled, pages touched
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        out.append(time.perf_counter() - t)
    return min(out), statistics.median(out)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=20_000_000)
    p.add_argument("--repeat", type=int, default=11)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = p.parse_args()
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(args.n), rng.standard_normal(args.n)
    a = 2.5
    with tempfile.TemporaryDirectory() as d:
        np.save(os.path.join(d, "x.npy"), x)
        np.save(os.path.join(d, "y.npy"), y)
        r = subprocess.run(
            ["cargo", "bench", "-q", "--bench", "call", "--", "--x", os.path.join(d, "x.npy"),
             "--y", os.path.join(d, "y.npy"), "--a", str(a), "--repeat", str(args.repeat),
             "--threads", str(args.threads)],
            capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"benches/call.rs failed:\n{r.stderr}")
        rust = json.loads(r.stdout.strip().splitlines()[-1])

    m = blaze.compile("def axpy(a: float64, x: N * float64, y: N * float64) = a * x + y")
    av = np.asarray(a)
    assert np.allclose(m.axpy(av, x, y), a * x + y)
    py_best, py_med = times(lambda: m.axpy(av, x, y), args.repeat)

    f = blaze.compile("def f(a: N * float64, b: N * float64) = 2*a + sin(b)")
    assert np.allclose(f.f(x, y), 2 * x + np.sin(y))
    ne.set_num_threads(args.threads)
    bz = times(lambda: f.f(x, y), args.repeat)
    nx = times(lambda: ne.evaluate("2*a + sin(b)", local_dict={"a": x, "b": y}), args.repeat)
    npy = times(lambda: 2 * x + np.sin(y), args.repeat)

    print(f"n = {args.n}, threads = {args.threads}, {args.repeat} calls each (best / median, ms)")
    print(f"axpy   blaze from Python {py_best*1e3:8.1f} / {py_med*1e3:8.1f}")
    print(f"axpy   blaze from Rust   {rust['call']*1e3:8.1f}   (best)")
    print(f"       Python / Rust = {py_best / rust['call']:.2f}")
    print(f"2*a + sin(b)  blaze      {bz[0]*1e3:8.1f} / {bz[1]*1e3:8.1f}")
    print(f"2*a + sin(b)  numexpr    {nx[0]*1e3:8.1f} / {nx[1]*1e3:8.1f}")
    print(f"2*a + sin(b)  NumPy      {npy[0]*1e3:8.1f} / {npy[1]*1e3:8.1f}")
    print(f"       numexpr / blaze = {nx[0] / bz[0]:.2f}, NumPy / blaze = {npy[0] / bz[0]:.2f}")


if __name__ == "__main__":
    main()
