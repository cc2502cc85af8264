#!/usr/bin/env bash
# scripts/install-scim2-tester.sh: the pinned scim2-tester (a third-party SCIM conformance suite, run against
# scimflow's own endpoint in test/conformance) and its HTTP engine, in a cached venv; prints its Python's path.
set -euo pipefail
exec bash "$(dirname "$0")/install-python-peer.sh" scim2-tester-0.5.2 python \
  "scim2-tester==0.5.2" "scim2-client==0.13.2" "scim2-models==0.12.3" "httpx2==2.16.2"
