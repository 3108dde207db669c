#!/usr/bin/env bash
# Measures eksenv up on the local sandbox with the realistic latency profile
# scaled (default one tenth of FACTS.md's durations): wall time against the
# critical path of the resource graph (target <= 1.15x), against the same
# steps one at a time, and the API calls of a plan on the converged
# environment (target <= 2 per resource).
set -euo pipefail
cd "$(dirname "$0")/.."
exec go run ./hack/benchup -scale "${1:-0.1}"
