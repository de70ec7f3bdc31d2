#!/usr/bin/env bash
# Installs everything hwdse needs on a fresh Debian-like machine: the Debian packages
# Verilator builds need (when missing and run as root), then a virtual environment with
# the pinned Python dependencies and hwdse itself (editable).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"

need_debian=()
command -v g++ >/dev/null 2>&1 || need_debian+=(g++)
command -v make >/dev/null 2>&1 || need_debian+=(make)
python3 -c "import venv, ensurepip" >/dev/null 2>&1 || need_debian+=(python3-venv)
if [ "${#need_debian[@]}" -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_debian[@]}"
    else
        echo "setup: please install ${need_debian[*]} (Debian packages) and run again" >&2
        exit 1
    fi
fi

stamp="$VENV/.hwdse-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    # The CPU build first (a local wheel here); anything that pulls torch unpinned would
    # fetch a multi-GB CUDA build.
    "$VENV/bin/python" -m pip install -q "torch==2.13.0"
    "$VENV/bin/python" -m pip install -q -e ".[dev]"
    touch "$stamp"
fi
