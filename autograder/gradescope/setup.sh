#!/usr/bin/env bash
# Gradescope runs this once, as root, from /autograder/source, when the image is built.
# pip only, pinned, CPU-only torch; a broken build fails loudly (set -e).
set -euo pipefail
cd "$(dirname "$0")"
VENV="${CONV_GEMM_VENV:-/opt/conv-gemm-venv}"
TORCH_INDEX_URL="${TORCH_INDEX_URL-https://download.pytorch.org/whl/cpu}"

# The pins need Python >= 3.11; Ubuntu 22.04's python3 is 3.10 and stays untouched:
# uv (from PyPI) fetches a standalone 3.11 for the virtual environment.
PYTHON=python3
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    python3 -m pip install --quiet "uv==0.13.8"
    export UV_PYTHON_INSTALL_DIR=/opt/conv-gemm-python
    python3 -m uv python install 3.11
    PYTHON="$(python3 -m uv python find 3.11)"
fi
"$PYTHON" -m venv "$VENV"
if [ -n "$TORCH_INDEX_URL" ]; then
    "$VENV/bin/pip" install --quiet --disable-pip-version-check --index-url "$TORCH_INDEX_URL" "torch==2.13.0"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check -r requirements.txt
# The confined child runs as an unprivileged user: it must be able to run this interpreter.
chmod -R o+rX "$VENV" /opt/conv-gemm-python 2>/dev/null || chmod -R o+rX "$VENV"
"$VENV/bin/python" -c "import numpy, torch; print('conv-gemm autograder ready: numpy', numpy.__version__, 'torch', torch.__version__)"
