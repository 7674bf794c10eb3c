"""Kernels over Arrow columns, blaze against awkward-array and
pyarrow.compute on the same data, in one run (`benches/columns.sh` builds
the Rust bench and runs this).

1. The ragged reduction `sum(x, axis=1)` over `rows` rows holding about
   `values` float64 in all (row lengths uniform in 0..2*values/rows):
   blaze's `sum(x, axis=1)` on a `N * var * float64` list column and
   awkward-array's `ak.sum(x, axis=1)` on a ListOffsetArray of the same
   offsets and values.
2. The count `sum(p.name == "GOOG")` over `strings` ticker strings (1 to 5
   capital letters, about 1 in 50 "GOOG"): blaze on a record whose `name`
   is a `string` column, and `pc.sum(pc.equal(a, "GOOG"))` on a pyarrow
   StringArray of the same offsets and bytes.

blaze runs in its own process (the Rust bench `columns`, through the
facade, the Arrow buffers read in place): its compute time is the best of
`repeat` calls after a warm-up call that compiles the kernels, and its
process time is the wall time of the whole process (start, reading the
.npy files, building the columns, compiling, the warm-up call and the
timed calls). The peers are timed in this process, the best of `repeat`
calls. Every round interleaves blaze and the peers; the medians of the
rounds are reported with the ratios peer/blaze (above 1: blaze is faster).
The results must agree (the checksum of the row sums, the count), and
blaze's report must list no fallbacks.
"""

import argparse
import json
import os
import statistics
import sys

import awkward as ak
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from common import bench_run, best


def data(dirname, rows, values, strings, seed=12):
    """Writes the inputs as .npy files (once per size) and returns them."""
    os.makedirs(dirname, exist_ok=True)
    stamp = os.path.join(dirname, "sizes.json")
    want = {"rows": rows, "values": values, "strings": strings, "seed": seed}
    rng = np.random.default_rng(seed)
    if os.path.exists(stamp) and json.load(open(stamp)) == want:
        load = lambda n: np.load(os.path.join(dirname, n + ".npy"))
        return (load("rag_offsets"), load("rag_values"), load("str_offsets"), load("str_data"))
    lengths = rng.integers(0, 2 * values // rows + 1, size=rows)
    rag_offsets = np.zeros(rows + 1, dtype=np.int32)
    np.cumsum(lengths, out=rag_offsets[1:])
    rag_values = rng.standard_normal(int(rag_offsets[-1]))
    # Tickers: 1 to 5 letters, GOOG about once in 50.
    letters = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)
    lens = rng.integers(1, 6, size=strings)
    goog = rng.random(strings) < 0.02
    lens[goog] = 4
    str_offsets = np.zeros(strings + 1, dtype=np.int32)
    np.cumsum(lens, out=str_offsets[1:])
    str_data = letters[rng.integers(0, 26, size=int(str_offsets[-1]))]
    starts = str_offsets[:-1][goog]
    for k, c in enumerate(b"GOOG"):
        str_data[starts + k] = c
    for name, a in [("rag_offsets", rag_offsets), ("rag_values", rag_values),
                    ("str_offsets", str_offsets), ("str_data", str_data)]:
        np.save(os.path.join(dirname, name + ".npy"), a)
    json.dump(want, open(stamp, "w"))
    return rag_offsets, rag_values, str_offsets, str_data


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", required=True, help="the Rust bench `columns`")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--values", type=int, default=10_000_000)
    ap.add_argument("--strings", type=int, default=10_000_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--data", default="target/bench-data/columns")
    args = ap.parse_args()

    rag_offsets, rag_values, str_offsets, str_data = data(
        args.data, args.rows, args.values, args.strings)
    x = ak.Array(ak.contents.ListOffsetArray(
        ak.index.Index32(rag_offsets), ak.contents.NumpyArray(rag_values)))
    names = pa.StringArray.from_buffers(
        len(str_offsets) - 1, pa.py_buffer(str_offsets), pa.py_buffer(str_data))
    pa.set_cpu_count(args.threads)
    print(f"ragged: {args.rows:,} rows, {len(rag_values):,} float64; "
          f"strings: {len(names):,}; {args.threads} threads; best of {args.repeat}, "
          f"medians of {args.rounds} rounds; awkward {ak.__version__}, pyarrow {pa.__version__}")

    cols = {k: [] for k in ("blaze_ragged", "blaze_count", "blaze_process",
                            "awkward", "pyarrow")}
    for _ in range(args.rounds):
        out, wall = bench_run(args.bench, args.data, args.repeat, args.threads)
        if out["fallbacks"]:
            sys.exit(f"blaze ran operations on the reference kernels: {out['fallbacks']}")
        cols["blaze_ragged"].append(out["ragged_sum"])
        cols["blaze_count"].append(out["string_count"])
        cols["blaze_process"].append(wall)
        sums = None
        def ak_sum():
            nonlocal sums
            sums = ak.sum(x, axis=1)
        cols["awkward"].append(best(ak_sum, args.repeat))
        count = None
        def pa_count():
            nonlocal count
            count = pc.sum(pc.equal(names, "GOOG")).as_py()
        cols["pyarrow"].append(best(pa_count, args.repeat))
        checksum = float(np.sum(ak.to_numpy(sums)))
        if abs(checksum - out["ragged_checksum"]) > 1e-6 * max(1.0, abs(checksum)):
            sys.exit(f"row sums disagree: awkward {checksum}, blaze {out['ragged_checksum']}")
        if count != out["count"]:
            sys.exit(f"counts disagree: pyarrow {count}, blaze {out['count']}")
    med = {k: statistics.median(v) for k, v in cols.items()}
    print(f"kernels: {', '.join(out['ragged_kernels'] + out['count_kernels'])}; fallbacks: none")
    print(f"{'workload':<44}{'blaze ms':>10}{'peer ms':>10}{'peer/blaze':>12}")
    ragged_label = "sum(x, axis=1)  vs ak.sum(x, axis=1)"
    print(f"{ragged_label:<44}"
          f"{med['blaze_ragged'] * 1e3:>10.2f}{med['awkward'] * 1e3:>10.2f}"
          f"{med['awkward'] / med['blaze_ragged']:>12.2f}")
    count_label = 'sum(p.name == "GOOG")  vs pc.sum(pc.equal)'
    print(f"{count_label:<44}"
          f"{med['blaze_count'] * 1e3:>10.2f}{med['pyarrow'] * 1e3:>10.2f}"
          f"{med['pyarrow'] / med['blaze_count']:>12.2f}")
    print(f"blaze process (start, read, build columns, compile, {args.repeat + 1} calls of each): "
          f"{med['blaze_process'] * 1e3:.0f} ms; count {out['count']:,}, "
          f"checksum of row sums {out['ragged_checksum']:.6g}")


if __name__ == "__main__":
    main()
