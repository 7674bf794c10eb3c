#!/usr/bin/env bash
# Installs what blaze needs on a Debian 12 machine that has only Rust:
# LLVM 19 (the JIT's code generator) and OpenBLAS (BLAS/LAPACK), from
# Debian's packages, and Python's venv for the Python package's tests. Idempotent, and a few milliseconds when all is there.
set -euo pipefail

packages=(llvm-19-dev libopenblas-dev pkg-config build-essential libgmp-dev libmpfr-dev valgrind python3 python3-venv)

missing=()
for pkg in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [[ $status == "install ok installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}" >&2
    sudo=()
    if [[ $(id -u) != 0 ]]; then
        command -v sudo >/dev/null || { echo "setup: need root (or sudo) to install ${missing[*]}" >&2; exit 1; }
        sudo=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v cargo >/dev/null || { echo "setup: Rust (cargo) is required: install it with rustup" >&2; exit 1; }
