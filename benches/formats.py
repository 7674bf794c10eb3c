"""Reading tables with string and decimal columns, blaze against pyarrow on
the same files, in one run (`benches/formats.sh` builds the Rust bench and
runs this).

The table has `rows` rows `{name: string, price: ?decimal[12, 4], qty:
int64, x: float64}`: ticker names of 1 to 8 capital letters, prices with
4 decimals (about 5% missing), integer quantities and normal floats.
pyarrow writes it once as Parquet (its defaults: snappy, dictionary-encoded
strings) and as CSV (`pyarrow.csv.write_csv`: quoted strings, missing
prices as empty cells).

- Parquet: blaze's whole read (`io::open(...).read_all()`, what `blaze eval
  --in p=table.parquet` does) against `pq.read_table`.
- CSV: blaze's read with the datashape annotation against
  `pyarrow.csv.read_csv` with the same column types
  (`decimal128(12, 4)` for the prices).

blaze runs in its own process (the Rust bench `formats`): its time is the
best of `repeat` reads; its process time is the wall time of the whole
process (start, both files read `repeat` times). pyarrow is timed in this
process, the best of `repeat` reads, with the same number of threads.
Every round interleaves blaze and pyarrow; the medians of the rounds are
reported with the ratios pyarrow/blaze (above 1: blaze is faster). What
each read must agree: rows, bytes of the names, missing prices and the sum
of the prices, the sums of the numbers.
"""

import argparse
import json
import os
import statistics
import sys
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from common import bench_run, best

TYPES = {
    "name": pa.string(),
    "price": pa.decimal128(12, 4),
    "qty": pa.int64(),
    "x": pa.float64(),
}


def data(dirname, rows, seed=7):
    """Writes the table as Parquet and CSV (once per size)."""
    os.makedirs(dirname, exist_ok=True)
    stamp = os.path.join(dirname, "sizes.json")
    want = {"rows": rows, "seed": seed}
    if os.path.exists(stamp) and json.load(open(stamp)) == want:
        return
    rng = np.random.default_rng(seed)
    letters = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)
    lens = rng.integers(1, 9, size=rows)
    offsets = np.zeros(rows + 1, dtype=np.int32)
    np.cumsum(lens, out=offsets[1:])
    chars = letters[rng.integers(0, 26, size=int(offsets[-1]))]
    names = pa.StringArray.from_buffers(rows, pa.py_buffer(offsets), pa.py_buffer(chars))
    cents = rng.integers(-10**9, 10**9, size=rows)
    missing = rng.random(rows) < 0.05
    price = pa.array([None if m else Decimal(int(c)).scaleb(-4) for c, m in zip(cents, missing)],
                     type=TYPES["price"])
    table = pa.table({
        "name": names,
        "price": price,
        "qty": pa.array(rng.integers(0, 10**6, size=rows), type=pa.int64()),
        "x": pa.array(rng.standard_normal(rows)),
    })
    pq.write_table(table, os.path.join(dirname, "table.parquet"))
    pcsv.write_csv(table, os.path.join(dirname, "table.csv"))
    json.dump(want, open(stamp, "w"))


def sums(t):
    """The checksums the Rust bench prints, of a pyarrow table."""
    price = t.column("price")
    return {
        "rows": t.num_rows,
        "name_bytes": pc.sum(pc.binary_length(t.column("name"))).as_py(),
        "prices": len(price) - price.null_count,
        "price_sum": str(int(pc.sum(price).as_py().scaleb(4))),
        "qty_sum": pc.sum(t.column("qty")).as_py(),
        "x_sum": pc.sum(t.column("x")).as_py(),
    }


def agree(ours, theirs, what):
    for k, v in theirs.items():
        mine = ours[k]
        same = abs(mine - v) <= 1e-6 * max(1.0, abs(v)) if k == "x_sum" else mine == v
        if not same:
            sys.exit(f"{what}: blaze read {k} = {mine}, pyarrow {v}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", required=True, help="the Rust bench `formats`")
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--data", default="target/bench-data/formats")
    args = ap.parse_args()

    data(args.data, args.rows)
    pq_path = os.path.join(args.data, "table.parquet")
    csv_path = os.path.join(args.data, "table.csv")
    pa.set_cpu_count(args.threads)
    pa.set_io_thread_count(args.threads)
    size = lambda p: os.path.getsize(p) / 1e6
    print(f"{args.rows:,} rows {{name: string, price: ?decimal[12, 4], qty: int64, x: float64}}; "
          f"Parquet {size(pq_path):.0f} MB, CSV {size(csv_path):.0f} MB; {args.threads} threads; "
          f"best of {args.repeat}, medians of {args.rounds} rounds; pyarrow {pa.__version__}")

    convert = pcsv.ConvertOptions(column_types=TYPES)
    cols = {k: [] for k in ("blaze_parquet", "blaze_csv", "blaze_process",
                            "pyarrow_parquet", "pyarrow_csv")}
    for _ in range(args.rounds):
        out, wall = bench_run(args.bench, args.data, args.repeat, args.threads)
        cols["blaze_parquet"].append(out["parquet"])
        cols["blaze_csv"].append(out["csv"])
        cols["blaze_process"].append(wall)
        tables = {}

        def read_pq():
            tables["parquet"] = pq.read_table(pq_path)

        def read_csv():
            tables["csv"] = pcsv.read_csv(csv_path, convert_options=convert)

        cols["pyarrow_parquet"].append(best(read_pq, args.repeat))
        cols["pyarrow_csv"].append(best(read_csv, args.repeat))
        agree(out["parquet_sums"], sums(tables["parquet"]), "Parquet")
        agree(out["csv_sums"], sums(tables["csv"]), "CSV")

    med = {k: statistics.median(v) for k, v in cols.items()}
    print(f"{'read':<30}{'blaze ms':>10}{'pyarrow ms':>12}{'pyarrow/blaze':>15}")
    for what, b, p in [("Parquet (pq.read_table)", "blaze_parquet", "pyarrow_parquet"),
                       ("CSV (pyarrow.csv.read_csv)", "blaze_csv", "pyarrow_csv")]:
        print(f"{what:<30}{med[b] * 1e3:>10.1f}{med[p] * 1e3:>12.1f}{med[p] / med[b]:>15.2f}")
    print(f"blaze process (start, {args.repeat} reads of each file): "
          f"{med['blaze_process'] * 1e3:.0f} ms; the results agree")


if __name__ == "__main__":
    main()
