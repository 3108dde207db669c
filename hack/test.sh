#!/usr/bin/env bash
# The project's test command (README.md; CI runs exactly this): builds the
# sandbox's Kubernetes control plane when it is not cached yet (about 11
# minutes the first time, then nothing), go vet, then every test,
# integration tests included.
set -euo pipefail
cd "$(dirname "$0")/.."
./hack/build-kube.sh
go vet ./...
go test -count=1 ./...
