"""Helpers shared by the side-by-side benchmark scripts."""

import json
import os
import subprocess
import sys
import time


def best(f, repeat):
    """The best wall time of `repeat` calls of `f`."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def blaze(exe, expr, inputs, data, repeat, threads, extra=()):
    """Runs `blaze eval` on `data/NAME.npy` inputs; returns its timings (the
    last stderr line, JSON) and the other stderr lines."""
    cmd = [exe, "eval", "-e", expr, "--timings", "--repeat", str(repeat),
           "--threads", str(threads), "--out", os.path.join(data, "out.npy"), *extra]
    for name in inputs:
        cmd += ["--in", f"{name}={os.path.join(data, name + '.npy')}"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"blaze failed on {expr}:\n{r.stderr}")
    lines = r.stderr.strip().splitlines()
    return json.loads(lines[-1]), lines[:-1]


def bench_run(bench, dirname, repeat, threads):
    """One run of a Rust bench binary given `--data DIR`: its last stdout
    line (JSON) and the process's wall time."""
    cmd = [bench, "--data", dirname, "--repeat", str(repeat), "--threads", str(threads)]
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    t = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{r.stderr}{r.stdout}")
    return json.loads(r.stdout.strip().splitlines()[-1]), t
