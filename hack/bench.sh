#!/usr/bin/env bash
# Measures eksenv render and eksenv validate of the embedded default
# environment as whole commands (a built binary, a fresh process each run):
# wall time and peak RSS; then the Go benchmarks of the same work.
# Targets: render < 50 ms, validate (CEL rules included) < 300 ms, RSS < 100 MB.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mkdir -p bin
go build -o bin/eksenv ./cmd/eksenv
go build -o bin/measure ./hack/measure
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# An empty working folder: no ./eksenv.yaml, so the embedded default is used.
(cd "$work" && "$root/bin/measure" -n 30 -name render -- "$root/bin/eksenv" render -o "$work/tree")
(cd "$work" && "$root/bin/measure" -n 30 -name validate -- "$root/bin/eksenv" validate)
go test ./internal/env/ -run '^$' -bench . -benchmem -count 3
