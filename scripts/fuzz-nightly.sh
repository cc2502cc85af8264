#!/usr/bin/env bash
# scripts/fuzz-nightly.sh: the API fuzz suite at nightly size (20× the CI runs, about 70,000 requests; FUZZ_SCALE to change).
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_SCALE="${FUZZ_SCALE:-20}" npx mocha --require tsx/cjs --require test/helpers/chai-setup.ts --timeout 0 test/conformance/fuzz.test.ts
