#!/usr/bin/env bash
# Create ZigZag's own virtual environment in bench/zigzag/.venv.
#
# ZigZag (PyPI `zigzag-dse`) pins its own numpy, onnx, sympy, networkx, pandas, ... which need
# not agree with the project's dev venv, so it runs in a separate venv. bench/zigzag/run.py
# runs under it; bench/zigzag/make_inputs.py runs under the project's venv and only writes
# the YAML files ZigZag reads.
#
# Usage: bash bench/zigzag/setup.sh   (PYTHON=python3.11 to choose the interpreter)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r "$here/requirements.txt"
"$venv/bin/python" - <<'PY'
import importlib.metadata as md

import zigzag.api  # noqa: F401

print(f"zigzag-dse {md.version('zigzag-dse')}, numpy {md.version('numpy')}")
PY
