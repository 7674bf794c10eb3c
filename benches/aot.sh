#!/usr/bin/env bash
# Ahead-of-time objects against a plain C loop: `def axpy(a, x, y) = a*x + y`
# built by `blaze build` with its default flags (dispatched x86-64-v2/v3/v4)
# and with `--target-cpu x86-64-v4`, each called from C (c/aot_axpy.c) on
# 2×10⁷ doubles, interleaved with the same loop written in C and compiled
# with -O2, medians of the rounds side by side with their ratio. First the
# default object runs once under valgrind (no error, the right result).
#
#   benches/aot.sh [--n 20000000] [--rounds 15] [--blaze PATH]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
n=20000000
rounds=15
blaze=
while (($#)); do
    case $1 in
        --n) n=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --blaze) blaze=$2; shift 2 ;;
        *) echo "usage: benches/aot.sh [--n N] [--rounds R] [--blaze PATH]" >&2; exit 2 ;;
    esac
done
if [[ -z $blaze ]]; then
    scripts/setup.sh
    cargo build --release -q -p blaze-cli
    blaze=target/release/blaze
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf 'def axpy(a: float64, x: N * float64, y: N * float64) = a * x + y\n' >"$dir/axpy.blz"
libs=$("$blaze" config --libs)

# name, then the flags of `blaze build`.
variants=("default" "x86-64-v4")
for v in "${variants[@]}"; do
    flags=()
    [[ $v == default ]] || flags=(--target-cpu "$v")
    mkdir -p "$dir/$v"
    "$blaze" build "$dir/axpy.blz" -o "$dir/$v/axpy.o" --header "$dir/$v/aot_axpy.h" "${flags[@]}"
    # shellcheck disable=SC2086
    ${CC:-cc} -std=c11 -O2 -I "$dir/$v" benches/c/aot_axpy.c "$dir/$v/axpy.o" $libs -o "$dir/$v/run"
done

if command -v valgrind >/dev/null; then
    echo "valgrind, default object, n=$n:"
    valgrind --error-exitcode=99 -q "$dir/default/run" "$n" 1 |
        awk -F'\t' '{printf "  ran the %s variant; result matches the C loop (max relative difference %s)\n", $1, $5}'
else
    echo "valgrind: not installed (scripts/setup.sh installs it); skipped"
fi

echo
printf '%-22s %-10s %12s %12s %8s\n' "object (variant)" n "blaze ms" "C -O2 ms" "C/blaze"
for v in "${variants[@]}"; do
    "$dir/$v/run" "$n" "$rounds" | awk -F'\t' -v name="$v" '{
        printf "%-22s %-10s %12.2f %12.2f %8.2f\n", name " (" $1 ")", $2, $3 * 1e3, $4 * 1e3, $4 / $3
    }'
done
