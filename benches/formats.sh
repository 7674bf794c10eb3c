#!/usr/bin/env bash
# Reading a Parquet and a CSV file with string and decimal columns, blaze
# against pyarrow on the same files in one run (`pq.read_table`,
# `pyarrow.csv.read_csv` with the same column types), medians of
# interleaved rounds with ratios. Builds the Rust bench `formats`.
#
#   benches/formats.sh [--rows 2000000] [--threads 2] [--repeat 3] [--rounds 5]
source "$(dirname "$0")/prepare.sh"
bench=$(cargo bench -q --bench formats --no-run --message-format=json |
    "$venv/bin/python" -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "formats" and m.get("executable"):
        print(m["executable"])')
[[ -x $bench ]] || { echo "formats: the Rust bench \`formats\` was not built" >&2; exit 1; }
exec "$venv/bin/python" benches/formats.py --bench "$bench" "$@"
