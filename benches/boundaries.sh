#!/usr/bin/env bash
# The cost of blaze's boundaries (the CLI, Rust, the C ABI) on `a*x + y`
# against a plain C loop, NumPy and numexpr, and of missing values
# (`sum(where(x > 0.5, x, na) * 2 + 1)`) against pandas and numpy.ma, side
# by side in one run, medians of interleaved rounds with ratios. Builds
# what it needs: the release CLI and C library, the Rust bench `call`, the
# C programs under target/bench-c; adds pandas to target/bench-venv.
#
#   benches/boundaries.sh [--n 20000000] [--m 10000000] [--threads 2]
#                         [--repeat 7] [--na-repeat 3] [--rounds 5] [--only axpy|missing]
source "$(dirname "$0")/prepare.sh"
"$venv/bin/python" -c 'import pandas' 2>/dev/null || "$venv/bin/pip" install -q pandas
cargo build --release -q -p blaze-capi
call_bench=$(cargo bench -q --bench call --no-run --message-format=json |
    "$venv/bin/python" -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "call" and m.get("executable"):
        print(m["executable"])')
[[ -x $call_bench ]] || { echo "boundaries: the Rust bench \`call\` was not built" >&2; exit 1; }

lib=$PWD/target/release
out=target/bench-c
mkdir -p "$out"
cc=${CC:-cc}
cflags=(-std=c11 -O2 -march=native -Wall -Wextra -Werror)
"$cc" "${cflags[@]}" benches/c/loop.c -o "$out/loop"
"$cc" "${cflags[@]}" -I crates/capi/include benches/c/capi_call.c -o "$out/capi_call" \
    -L "$lib" -lblaze_capi "-Wl,-rpath,$lib" -lm -lpthread

exec "$venv/bin/python" benches/boundaries.py --blaze target/release/blaze \
    --call-bench "$call_bench" --capi "$out/capi_call" --loop "$out/loop" "$@"
