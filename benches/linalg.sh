#!/usr/bin/env bash
# Side-by-side benchmark of matrix products and LAPACK functions: blaze
# against NumPy (both on OpenBLAS) on the same arrays in the same run.
# Uses the virtual environment of benches/compare.sh (target/bench-venv).
#
#   benches/linalg.sh [--tall 200000] [--wide 1000] [--n 2000] [--threads 2]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
venv=target/bench-venv
if [[ ! -x $venv/bin/python ]]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --upgrade pip
    "$venv/bin/pip" install -q numpy numexpr
fi
cargo build --release -q -p blaze-cli
exec "$venv/bin/python" benches/linalg.py --blaze target/release/blaze "$@"
