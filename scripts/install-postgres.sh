#!/usr/bin/env bash
# scripts/install-postgres.sh: makes PostgreSQL's server binaries (initdb, postgres, pg_isready, psql) available for the
# tests that run scimflow's store on a real PostgreSQL (testkit/postgres-server.ts starts a throwaway cluster with
# them). Uses PG_BIN, else Debian's newest /usr/lib/postgresql/<version>/bin, else installs Debian's postgresql
# package (root and apt-get needed). Prints the bin directory.
set -euo pipefail

newest_debian_bin() {
  local dir best='' best_version=0 version
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] || continue
    version=$(basename "$(dirname "$dir")")
    if [ "${version%%.*}" -gt "$best_version" ] 2>/dev/null; then best=$dir; best_version=${version%%.*}; fi
  done
  [ -n "$best" ] && echo "$best"
}

if [ -n "${PG_BIN:-}" ]; then
  [ -x "$PG_BIN/initdb" ] || { echo "PG_BIN=$PG_BIN has no initdb" >&2; exit 1; }
  echo "$PG_BIN"
  exit 0
fi
if bin=$(newest_debian_bin); then
  echo "$bin"
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing Debian's postgresql package" >&2
  # The package's own cluster is not used (tests start their own); keep it from being started.
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql; } >&2
  if bin=$(newest_debian_bin); then
    echo "$bin"
    exit 0
  fi
fi
echo "PostgreSQL server binaries not found: install postgresql (Debian: apt-get install postgresql) or set PG_BIN" >&2
exit 1
