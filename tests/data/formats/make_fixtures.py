"""Makes the fixtures of runtime/tests/formats.rs with pyarrow, and checks
files blaze wrote.

    python make_fixtures.py            # writes the fixtures next to this file
    python make_fixtures.py --check D  # reads what blaze wrote into D and
                                       # compares it with expected.json

The fixtures are small and committed; expected.json holds the values the
tests compare against, computed here by pyarrow itself.
"""

import decimal
import json
import os
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.feather as feather
import pyarrow.parquet as pq

HERE = os.path.dirname(os.path.abspath(__file__))
D = decimal.Decimal


def basic_table():
    """A string column, a nullable decimal column, a list<float64> column
    with empty rows, a struct column with a missing field."""
    return pa.table(
        {
            "name": pa.array(["GOOG", "AAPL", "", "MSFT", "héllo"], pa.string()),
            "price": pa.array(
                [D("12.50"), None, D("-3.25"), D("100.00"), None], pa.decimal128(10, 2)
            ),
            "values": pa.array(
                [[1.0, 2.5], [], [3.0], [], [4.0, 5.0, 6.0]], pa.list_(pa.float64())
            ),
            "s": pa.array(
                [
                    {"x": 1.5, "y": 1},
                    {"x": 2.5, "y": None},
                    {"x": 3.5, "y": 3},
                    {"x": 4.5, "y": 4},
                    {"x": 5.5, "y": None},
                ],
                pa.struct([("x", pa.float64()), ("y", pa.int32())]),
            ),
            "n": pa.array([1, 2, 3, 4, 5], pa.int64()),
        }
    )


def many_table(rows=5000):
    """Many rows in several row groups, for reading by blocks."""
    ids = list(range(rows))
    return pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "name": pa.array([f"n{i % 7}" for i in ids], pa.string()),
            "values": pa.array(
                [[float(i), float(i) / 2][: i % 3] for i in ids], pa.list_(pa.float64())
            ),
            "price": pa.array(
                [None if i % 5 == 0 else D(i) / 100 for i in ids], pa.decimal128(12, 2)
            ),
        }
    )


def expected(t, per_row=True):
    """The facts the tests check, computed by pyarrow (per row for the
    small tables, totals for the large one)."""
    out = {"rows": t.num_rows}
    counts = pc.list_value_length(t["values"])
    out["values_total"] = pc.sum(pc.list_flatten(t["values"])).as_py()
    out["values_count_total"] = pc.sum(counts).as_py()
    out["price_sum"] = str(pc.sum(t["price"]).as_py())
    out["price_nulls"] = t["price"].null_count
    out["name_len_total"] = pc.sum(pc.utf8_length(t["name"])).as_py()
    if per_row:
        out["values_sum"] = [sum(r) for r in t["values"].to_pylist()]
        out["values_count"] = counts.to_pylist()
        out["name_len"] = pc.utf8_length(t["name"]).to_pylist()
        out["names"] = t["name"].to_pylist()
    return out


STOCK_CSV = """name,open,close,max,min
GOOG,1.5000,2.2500,3.0000,1.0000
AAPL,,10.1250,11.0000,9.5000
MSFT,20.0000,,21.0000,19.0000
GOOG,2.0000,2.7500,,
IBM,5.5000,6.0000,6.5000,5.0000
"""

RECORDS_JSONL = """{"name": "a", "price": "1.25", "values": [1.0, 2.0], "s": {"x": 1.5, "y": 1}}
{"name": "b", "price": null, "values": [], "s": {"x": 2.5, "y": null}}
{"name": "c", "price": "-0.50", "values": [3.0], "s": {"x": 3.5}}
"""


def make():
    t = basic_table()
    pq.write_table(t, os.path.join(HERE, "basic.parquet"))  # snappy
    for c in ["zstd", "gzip", "lz4"]:
        pq.write_table(t, os.path.join(HERE, f"basic.{c}.parquet"), compression=c)
    feather.write_feather(t, os.path.join(HERE, "basic.arrow"), compression="uncompressed")
    feather.write_feather(t, os.path.join(HERE, "basic.feather"))  # lz4
    d = pa.table(
        {
            "sym": pa.array(["x", "y", "x", None, "y", "x"]).dictionary_encode(),
            "big": pa.array(["p", "q", "r", "s", "t", "u"], pa.large_string()),
            "v": pa.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
        }
    )
    pq.write_table(d, os.path.join(HERE, "dict.parquet"))
    pq.write_table(many_table(), os.path.join(HERE, "many.parquet"), row_group_size=1000)
    nested = pa.table(
        {
            "grid": pa.array([[[1, 2], []], [], [[3]]], pa.list_(pa.list_(pa.int32()))),
            "tags": pa.array(
                [[{"k": "a", "w": 1.0}], [], [{"k": "b", "w": 2.0}, {"k": None, "w": 3.0}]],
                pa.list_(pa.struct([("k", pa.string()), ("w", pa.float64())])),
            ),
            "pair": pa.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], pa.list_(pa.float64(), 2)),
        }
    )
    pq.write_table(nested, os.path.join(HERE, "nested.parquet"), compression="zstd")
    with open(os.path.join(HERE, "stock.csv"), "w") as f:
        f.write(STOCK_CSV)
    with open(os.path.join(HERE, "records.jsonl"), "w") as f:
        f.write(RECORDS_JSONL)
    facts = {
        "basic": expected(t),
        "many": expected(many_table(), per_row=False),
        "dict": {"sym": d["sym"].to_pylist(), "big": d["big"].to_pylist()},
        "nested": {"grid_offsets": nested["grid"].combine_chunks().offsets.to_pylist()},
    }
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(facts, f, indent=1, sort_keys=True)
        f.write("\n")


def check(directory):
    """Reads the files blaze wrote into `directory` (written by the test
    `blaze_writes_what_pyarrow_reads`) and compares them with the fixtures."""
    t = basic_table()
    failures = []
    for name in ["basic.parquet", "basic.arrow"]:
        path = os.path.join(directory, name)
        got = pq.read_table(path) if name.endswith(".parquet") else feather.read_table(path)
        for col in t.column_names:
            if got[col].to_pylist() != t[col].to_pylist():
                failures.append(f"{name}: column {col}: {got[col].to_pylist()} != {t[col].to_pylist()}")
    import pyarrow.json as pj

    got = pj.read_json(os.path.join(directory, "basic.jsonl"))
    for col in ["name", "values", "n"]:
        if got[col].to_pylist() != t[col].to_pylist():
            failures.append(f"basic.jsonl: column {col}: {got[col].to_pylist()}")
    prices = [None if p is None else D(str(p)) for p in got["price"].to_pylist()]
    if prices != t["price"].to_pylist():
        failures.append(f"basic.jsonl: prices {prices}")
    stock = os.path.join(directory, "mid.parquet")
    got = pq.read_table(stock)
    want = {"name": ["GOOG", "AAPL", "MSFT", "GOOG", "IBM"]}
    if got["name"].to_pylist() != want["name"]:
        failures.append(f"mid.parquet: names {got['name'].to_pylist()}")
    if got["mid"].to_pylist() != [2.0, 10.25, 20.0, None, 5.75]:
        failures.append(f"mid.parquet: mid {got['mid'].to_pylist()}")
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print("pyarrow read back every file blaze wrote")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        check(sys.argv[2])
    else:
        make()
