#!/usr/bin/env bash
# Out-of-core benchmark: blaze streaming `.npy` files within a memory limit
# against dask.array and NumPy memory maps on the same files, in one run.
# Creates the data (an 8 GB array by default) under target/bench-data and a
# Python virtual environment with NumPy, numexpr and dask.
#
#   benches/ooc.sh [--rows 1000000] [--cols 1000] [--limit 1GiB] [--cold]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
venv=target/bench-venv
if [[ ! -x $venv/bin/python ]]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --upgrade pip
fi
"$venv/bin/python" -c 'import numpy, numexpr, dask.array' 2>/dev/null ||
    "$venv/bin/pip" install -q numpy numexpr 'dask[array]'
cargo build --release -q -p blaze-cli
exec "$venv/bin/python" benches/ooc.py --blaze target/release/blaze "$@"
