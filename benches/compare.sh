#!/usr/bin/env bash
# Side-by-side benchmark: blaze's JIT against NumPy and numexpr on the same
# arrays in the same run, best of N, with ratios. Creates a Python virtual
# environment with NumPy and numexpr under target/bench-venv on first use.
#
#   benches/compare.sh [--n 20000000] [--threads 2] [--repeat 7]
source "$(dirname "$0")/prepare.sh"
exec "$venv/bin/python" benches/compare.py --blaze target/release/blaze "$@"
