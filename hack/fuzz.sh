#!/usr/bin/env bash
# Fuzzes the environment loader (spec.Load and spec.Validate) for 60 s, or
# for the duration given as the first argument (e.g. 10s). New crashers are
# written under internal/spec/testdata/fuzz/FuzzLoad; check them in.
set -euo pipefail
cd "$(dirname "$0")/.."
exec go test ./internal/spec/ -run '^$' -fuzz '^FuzzLoad$' -fuzztime "${1:-60s}"
