#!/usr/bin/env bash
# Side-by-side benchmark: blaze's JIT against NumPy and numexpr on the same
# arrays in the same run, best of N, with ratios. Creates a Python virtual
# environment with NumPy and numexpr under target/bench-venv on first use.
#
#   benches/compare.sh [--n 20000000] [--threads 2] [--repeat 7]
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
exec "$venv/bin/python" benches/compare.py --blaze target/release/blaze "$@"
