#!/usr/bin/env bash
# Creates (or reuses) .venv with real PyTorch (CPU), PEFT, safetensors and accelerate (the 2-process
# training test), for the interop tests only:
# the app never needs Python. Idempotent: a .venv that already imports every package is kept as is.
# Pins match ../shared/ENVIRONMENT.md (an offline package mirror serves them; --retries 0 keeps pip
# from waiting on an unreachable public index).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
PY="$VENV/bin/python"
PACKAGES=(torch==2.13.0+cpu peft==0.21.0 transformers==5.17.0 accelerate safetensors numpy)
CHECK='import torch, peft, safetensors, numpy, accelerate; print("torch", torch.__version__, "peft", peft.__version__)'

if [ -x "$PY" ] && "$PY" -c "$CHECK" >/dev/null 2>&1; then
  echo "setup-python: $VENV ready ($("$PY" -c "$CHECK"))"
  exit 0
fi

PYTHON="${PYTHON:-python3}"
if ! command -v "$PYTHON" >/dev/null; then
  echo "setup-python: $PYTHON not found; install Python 3.10+ (Debian: apt-get install python3 python3-venv)" >&2
  exit 1
fi
# Debian's python3 has no venv/ensurepip until python3-venv is installed (CI runs as root: install it).
if ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  if command -v apt-get >/dev/null; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    echo "setup-python: installing python3-venv (Debian package)…"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null \
      || { $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null; }
  else
    echo "setup-python: $PYTHON cannot create virtual environments (install its venv module)" >&2
    exit 1
  fi
fi
echo "setup-python: creating $VENV with ${PACKAGES[*]} (about 2 minutes)…"
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check --retries 0 "${PACKAGES[@]}"
echo "setup-python: $VENV ready ($("$PY" -c "$CHECK"))"
