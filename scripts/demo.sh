#!/usr/bin/env bash
# Sets up what is missing, builds blaze and runs its demonstration.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo run --quiet --release -p blaze-cli -- demo --path target/demo/A.npy "$@"
