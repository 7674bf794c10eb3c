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
