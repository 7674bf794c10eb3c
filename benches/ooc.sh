#!/usr/bin/env bash
# Out-of-core benchmark: blaze streaming `.npy` files within a memory limit
# against dask.array and NumPy memory maps on the same files, in one run.
# Creates the data (an 8 GB array by default) under target/bench-data and a
# Python virtual environment with NumPy, numexpr and dask.
#
#   benches/ooc.sh [--rows 1000000] [--cols 1000] [--limit 1GiB] [--cold]
source "$(dirname "$0")/prepare.sh"
exec "$venv/bin/python" benches/ooc.py --blaze target/release/blaze "$@"
