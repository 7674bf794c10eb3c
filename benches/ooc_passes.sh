#!/usr/bin/env bash
# Programs of two passes over the rows out of core: blaze within a memory
# limit against dask.array and NumPy memory maps on the same `.npy` file
# (400,000 x 500 float64, 1.6 GB, by default), in one run.
#
#   benches/ooc_passes.sh [--rows 400000] [--cols 500] [--limit 256MiB] [--cold]
source "$(dirname "$0")/prepare.sh"
exec "$venv/bin/python" benches/ooc_passes.py --blaze target/release/blaze "$@"
