# Sourced by the benchmark scripts: sets up what is missing, creates the
# Python virtual environment with NumPy, numexpr, dask, pyarrow, Pillow and
# awkward-array under
# target/bench-venv on first use, and builds blaze's release binary.
# Afterwards `$venv/bin/python` runs the comparison.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh
venv=target/bench-venv
if [[ ! -x $venv/bin/python ]]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --upgrade pip
fi
"$venv/bin/python" -c 'import numpy, numexpr, dask.array, pyarrow, awkward, PIL' 2>/dev/null ||
    "$venv/bin/pip" install -q numpy numexpr 'dask[array]' pyarrow awkward Pillow
cargo build --release -q -p blaze-cli
