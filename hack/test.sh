#!/usr/bin/env bash
# The project's test command (README.md; CI runs exactly this): go vet, then
# every test, integration tests included.
set -euo pipefail
cd "$(dirname "$0")/.."
go vet ./...
go test -count=1 ./...
