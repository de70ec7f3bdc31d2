#!/usr/bin/env bash
# Create SCALE-Sim's own virtual environment in bench/scalesim/.venv.
#
# SCALE-Sim 3.0.0 needs numpy<2, which the project's dev venv does not have, so it runs in a
# separate venv that bench/scalesim/compare.py calls through subprocess.
#
# Usage: bash bench/scalesim/setup.sh   (PYTHON=python3.11 to choose the interpreter)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r "$here/requirements.txt"
"$venv/bin/python" - <<'EOF'
import importlib.metadata as md

import numpy

assert int(numpy.__version__.split(".")[0]) < 2, numpy.__version__
import scalesim.scale_sim  # noqa: F401

print(f"scalesim {md.version('scalesim')}, numpy {numpy.__version__}")
EOF
