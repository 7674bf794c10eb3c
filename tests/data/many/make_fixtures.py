"""Makes the fixtures of runtime/tests/many.rs and crates/cli/tests/many.rs
with NumPy and pandas: many files read as one array.

    python make_fixtures.py   # writes the fixtures next to this file

- measurements/measurement1.csv ... measurement12.csv: columns t,v, a
  header line each, some v empty; concatenated.csv (elsewhere) holds their
  rows in natural order (measurement2 before measurement10).
- parts/part1.npy ... part3.npy: rows of 3 float64; parts_all.npy their
  concatenation.
- stack/g1/x1.npy ... stack/g2/x3.npy: 4 x 5 float64 each; stacked.npy is
  the 2 x 3 x 4 x 5 stack.
- ragged/g1 (2 files), ragged/g2 (3 files): 4 x 5 float64 each (a level
  whose groups differ in size).
- mixed/a.npy (3 x 4) and mixed/b.npy (3 x 5): rows that differ.
- expected.json: what pandas and NumPy compute over the concatenation and
  the stacks.
"""

import json
import os
import shutil

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))


def fresh(name):
    d = os.path.join(HERE, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def main():
    rng = np.random.default_rng(13)
    expected = {}

    d = fresh("measurements")
    frames = []
    for i in range(1, 13):
        n = int(rng.integers(5, 40))
        t = np.round(np.arange(n) * 0.5 + i * 100.0, 3)
        v = np.round(rng.normal(10.0, 3.0, n), 3)
        df = pd.DataFrame({"t": t, "v": v})
        df.loc[rng.random(n) < 0.2, "v"] = np.nan
        df.to_csv(os.path.join(d, f"measurement{i}.csv"), index=False)
        frames.append(df)
    whole = pd.concat(frames, ignore_index=True)
    whole.to_csv(os.path.join(HERE, "concatenated.csv"), index=False)
    # pandas reads the files back in natural order, as blaze does.
    back = pd.concat(
        [pd.read_csv(os.path.join(d, f"measurement{i}.csv")) for i in range(1, 13)],
        ignore_index=True,
    )
    expected["measurements"] = {
        "rows": len(back),
        "mean_v": float(back["v"].mean()),
        "sum_v": float(back["v"].sum()),
        "sum_t": float(back["t"].sum()),
        "missing_v": int(back["v"].isna().sum()),
        "first_t_of_file_10": float(frames[9]["t"].iloc[0]),
    }

    d = fresh("parts")
    parts = []
    for i, n in enumerate([4, 7, 2], start=1):
        a = rng.normal(size=(n, 3))
        np.save(os.path.join(d, f"part{i}.npy"), a)
        parts.append(a)
    whole = np.concatenate(parts)
    np.save(os.path.join(HERE, "parts_all.npy"), whole)
    expected["parts"] = {"shape": list(whole.shape), "sum": float(whole.sum())}

    d = fresh("stack")
    groups = []
    for g in (1, 2):
        os.makedirs(os.path.join(d, f"g{g}"))
        files = []
        for x in (1, 2, 3):
            a = rng.normal(size=(4, 5))
            np.save(os.path.join(d, f"g{g}", f"x{x}.npy"), a)
            files.append(a)
        groups.append(np.stack(files))
    stacked = np.stack(groups)
    np.save(os.path.join(HERE, "stacked.npy"), stacked)
    expected["stack"] = {"shape": list(stacked.shape), "sum": float(stacked.sum())}

    d = fresh("ragged")
    total = 0.0
    for g, count in ((1, 2), (2, 3)):
        os.makedirs(os.path.join(d, f"g{g}"))
        for x in range(1, count + 1):
            a = rng.normal(size=(4, 5))
            np.save(os.path.join(d, f"g{g}", f"x{x}.npy"), a)
            total += float(a.sum())
    expected["ragged"] = {"groups": [2, 3], "sum": total}

    d = fresh("mixed")
    np.save(os.path.join(d, "a.npy"), np.zeros((3, 4)))
    np.save(os.path.join(d, "b.npy"), np.zeros((3, 5)))

    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
