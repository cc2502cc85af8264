#!/usr/bin/env bash
# scripts/install-scim2-server.sh: the pinned scim2-server (the real third-party SCIM app used in tests), in a cached
# venv; prints the executable's path.
set -euo pipefail
exec bash "$(dirname "$0")/install-python-peer.sh" scim2-server-0.8.3 scim2-server "scim2-server==0.8.3"
