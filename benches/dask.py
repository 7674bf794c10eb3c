"""`A.T @ A` of a `.npy` file on a dask.distributed cluster: blaze's chunk
plan (`blaze.dask.compute`) against dask.array's own `(D.T @ D).compute()`.

Both run on one `LocalCluster(n_workers=2, threads_per_worker=1,
processes=True)` whose workers have one OpenBLAS thread each (so the two
workers share two cores fairly), with the same rows per chunk, and both
read the file in the workers, chunk by chunk: blaze's block tasks with
blaze's reader, dask's from a small wrapper that opens the file lazily in
the worker (`np.load(path, mmap_mode="r")[a:b]`, no memory map pickled).
Each side runs once to warm up (blaze compiles its kernel once per worker)
and then `--repeat` times; the medians, their ratio, the workers' peak
memory of each side (the workers are restarted before each side) and the
error against NumPy are printed.
"""

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # inherited by the workers

import numpy as np  # noqa: E402


def coretype():
    """The OpenBLAS kernels for this CPU, from NumPy's view of its features:
    Debian's OpenBLAS 0.3.21 (blaze's) does not recognise some recent Xeons
    (a VM's "Intel Xeon Processor") and falls back to its Prescott kernels,
    several times slower, while NumPy's bundled OpenBLAS picks SkylakeX.
    Both sides get the same `OPENBLAS_CORETYPE` (`--coretype ''` leaves it
    to each library)."""
    from numpy._core._multiarray_umath import __cpu_features__ as f

    if all(f.get(x) for x in ("AVX512F", "AVX512CD", "AVX512BW", "AVX512DQ", "AVX512VL")):
        return "SkylakeX"
    if f.get("AVX2") and f.get("FMA3"):
        return "Haswell"
    return ""

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _HERE)
from ooc import make  # noqa: E402

# This file is named dask.py: its folder must not shadow the dask package.
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]


class NpyRows:
    """A `.npy` file for `da.from_array`: pickles as its path and opens the
    file (a memory map) in the worker that reads a chunk."""

    def __init__(self, path):
        a = np.load(path, mmap_mode="r")
        self.path, self.shape, self.dtype, self.ndim = path, a.shape, a.dtype, a.ndim

    def __getitem__(self, key):
        return np.array(np.load(self.path, mmap_mode="r")[key])


def peak_worker_rss(client):
    """The largest peak resident memory of the workers (bytes)."""
    def peak():
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    return max(client.run(peak).values())


def settle(client, timeout=10.0):
    """Waits until the scheduler has forgotten every task: the next run
    computes everything again instead of reusing a result whose release is
    still on its way (both sides' task keys are deterministic)."""
    def count(dask_scheduler):
        return len(dask_scheduler.tasks)

    end = time.monotonic() + timeout
    while client.run_on_scheduler(count) and time.monotonic() < end:
        time.sleep(0.05)


def timed(f, repeat, client):
    f()  # warm-up: kernels compiled, file in the page cache
    times, result = [], None
    for _ in range(repeat):
        settle(client)
        t = time.perf_counter()
        result = f()
        times.append(time.perf_counter() - t)
    return times, result


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="target/bench-data")
    p.add_argument("--rows", type=int, default=400_000)
    p.add_argument("--cols", type=int, default=500)
    p.add_argument("--chunk", type=int, default=25_000, help="rows per chunk, both sides")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--coretype", default=None,
                   help="OPENBLAS_CORETYPE for both sides (default: from the CPU's features)")
    args = p.parse_args()
    core = coretype() if args.coretype is None else args.coretype
    if core and "OPENBLAS_CORETYPE" not in os.environ:
        os.environ["OPENBLAS_CORETYPE"] = core
    os.makedirs(args.data, exist_ok=True)
    path = os.path.abspath(os.path.join(args.data, f"dask_{args.rows}x{args.cols}.npy"))
    make(path, args.rows, args.cols)

    import dask.array as da
    import distributed

    import blaze
    import blaze.dask as bd

    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
        env={k: v for k, v in os.environ.items()
             if k in ("OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE")},
    )
    client = distributed.Client(cluster)
    try:
        a = blaze.open(path)
        expr = a.T @ a
        d = da.from_array(NpyRows(path), chunks=(args.chunk, -1), lock=False)
        graph = bd.to_dask(expr, chunk_rows=args.chunk, threads=1)
        print(f"# A: {args.rows} x {args.cols} float64 ({args.rows * args.cols * 8 / 1e9:.2f} GB), "
              f"{-(-args.rows // args.chunk)} chunks of {args.chunk} rows, "
              f"blaze graph: {len(graph.__dask_graph__())} tasks, OPENBLAS_CORETYPE="
              f"{os.environ.get('OPENBLAS_CORETYPE', '(unset)')}", flush=True)

        client.restart()
        t_blaze, r_blaze = timed(
            lambda: bd.compute(expr, client=client, chunk_rows=args.chunk, threads=1),
            args.repeat, client)
        rss_blaze = peak_worker_rss(client)

        client.restart()
        t_dask, r_dask = timed(lambda: (d.T @ d).compute(), args.repeat, client)
        rss_dask = peak_worker_rss(client)
    finally:
        client.close()
        cluster.close()

    m = np.load(path, mmap_mode="r")
    want = np.zeros((args.cols, args.cols))
    for i in range(0, args.rows, args.chunk):
        c = np.asarray(m[i:i + args.chunk])
        want += c.T @ c
    scale = np.abs(want).max()
    for name, r in (("blaze", r_blaze), ("dask.array", r_dask)):
        err = np.abs(r - want).max() / scale
        ok = np.allclose(r, want)
        print(f"# {name} against NumPy: max relative error {err:.1e}, allclose {ok}")
        if not ok:
            sys.exit(f"{name}'s A.T @ A differs from NumPy's")

    print(f"{'':12} {'median s':>9} {'min s':>8} {'peak worker RSS':>16}")
    for name, ts, rss in (("blaze.dask", t_blaze, rss_blaze), ("dask.array", t_dask, rss_dask)):
        print(f"{name:12} {statistics.median(ts):9.3f} {min(ts):8.3f} "
              f"{rss / 2**20:13.0f} MiB")
    ratio = statistics.median(t_dask) / statistics.median(t_blaze)
    print(f"dask.array / blaze (medians): {ratio:.2f}x "
          f"({'blaze at least as fast' if ratio >= 1 else 'blaze SLOWER'})")


if __name__ == "__main__":
    main()
