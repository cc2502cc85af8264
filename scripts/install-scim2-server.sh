#!/usr/bin/env bash
# scripts/install-scim2-server.sh: installs the pinned scim2-server (the real third-party SCIM app used in tests) into a cached venv.
# Idempotent: reuses the venv when the pinned install completed before. Prints the executable's path on stdout (and nothing else).
set -euo pipefail

VERSION=0.8.3
CACHE_DIR="${SCIMFLOW_CACHE_DIR:-$HOME/.cache/scimflow}"
VENV="$CACHE_DIR/py-scim2-server-$VERSION"
EXE="$VENV/bin/scim2-server"
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
  exec 9>"$CACHE_DIR/.install-scim2-server-$VERSION.lock"
  flock 9
  if [ -f "$MARKER" ] && [ -x "$EXE" ]; then
    echo "$EXE"
    exit 0
  fi
fi
# Venvs are not relocatable (scripts hard-code the interpreter path), so build in place and rely on the marker instead.
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV" >&2
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "scim2-server==$VERSION" >&2
[ -x "$EXE" ] || { echo "install-scim2-server: $EXE missing after pip install" >&2; exit 1; }
touch "$MARKER"
echo "$EXE"
