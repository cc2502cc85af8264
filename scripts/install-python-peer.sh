#!/usr/bin/env bash
# scripts/install-python-peer.sh: installs pinned Python packages (a third-party test peer) into a cached venv.
# usage: install-python-peer.sh NAME EXECUTABLE PIP_SPEC...   (NAME names the venv; EXECUTABLE is relative to its bin/)
# Idempotent: reuses the venv when the same install completed before. Prints the executable's path on stdout (and
# nothing else).
set -euo pipefail

NAME="$1"
EXE_NAME="$2"
shift 2
CACHE_DIR="${SCIMFLOW_CACHE_DIR:-$HOME/.cache/scimflow}"
VENV="$CACHE_DIR/py-$NAME"
EXE="$VENV/bin/$EXE_NAME"
# Written last: a venv without it is a half-finished install (interrupted pip) and is rebuilt rather than trusted.
MARKER="$VENV/.scimflow-install-complete"
PYTHON="${PYTHON:-python3}"

if [ -f "$MARKER" ] && [ -x "$EXE" ]; then
  echo "$EXE"
  exit 0
fi

mkdir -p "$CACHE_DIR"
# Two test runs starting at once must not build the same venv together: the second waits, then finds the marker.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE_DIR/.install-$NAME.lock"
  flock 9
  if [ -f "$MARKER" ] && [ -x "$EXE" ]; then
    echo "$EXE"
    exit 0
  fi
fi
# Venvs are not relocatable (scripts hard-code the interpreter path), so build in place and rely on the marker instead.
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV" >&2
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "$@" >&2
[ -x "$EXE" ] || { echo "install-python-peer: $EXE missing after pip install" >&2; exit 1; }
touch "$MARKER"
echo "$EXE"
