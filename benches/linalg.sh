#!/usr/bin/env bash
# Side-by-side benchmark of matrix products and LAPACK functions: blaze
# against NumPy (both on OpenBLAS) on the same arrays in the same run.
# Uses the virtual environment of benches/compare.sh (target/bench-venv).
#
#   benches/linalg.sh [--tall 200000] [--wide 1000] [--n 2000] [--threads 2]
source "$(dirname "$0")/prepare.sh"
exec "$venv/bin/python" benches/linalg.py --blaze target/release/blaze "$@"
