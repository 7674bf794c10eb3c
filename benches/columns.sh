#!/usr/bin/env bash
# Kernels over Arrow columns against awkward-array and pyarrow.compute, side
# by side in one run on the same data: the ragged `sum(x, axis=1)` over
# ~10^7 float64 in 10^6 rows (awkward's `ak.sum(x, axis=1)`) and
# `sum(p.name == "GOOG")` over 10^7 strings (`pc.sum(pc.equal(a, "GOOG"))`),
# medians of interleaved rounds with ratios. Builds the Rust bench
# `columns` (blaze through its facade, inputs read in place).
#
#   benches/columns.sh [--rows 1000000] [--values 10000000] [--strings 10000000]
#                      [--threads 2] [--repeat 5] [--rounds 5]
source "$(dirname "$0")/prepare.sh"
bench=$(cargo bench -q --bench columns --no-run --message-format=json |
    "$venv/bin/python" -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "columns" and m.get("executable"):
        print(m["executable"])')
[[ -x $bench ]] || { echo "columns: the Rust bench \`columns\` was not built" >&2; exit 1; }
exec "$venv/bin/python" benches/columns.py --bench "$bench" "$@"
