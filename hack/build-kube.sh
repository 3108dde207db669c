#!/usr/bin/env bash
# Builds the Kubernetes control plane the sandbox runs (internal/sandbox/kube.go):
# kube-apiserver and kube-controller-manager 1.33.13 and etcd 3.5.35, from the
# Go module proxy through the tool module hack/kube, into
#
#   ${EKSENV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/eksenv}/bin/kube-1.33.13/
#
# Only what is missing is built, so running it again is cheap. A cold build
# takes several minutes (kube-apiserver is the long one).
set -euo pipefail

version=1.33.13
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${EKSENV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/eksenv}"
dir="$cache/bin/kube-$version"
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=v$version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=33"

fail() { echo "build-kube: $*" >&2; exit 1; }
command -v go >/dev/null || fail "go is not on PATH"
mkdir -p "$dir" || fail "cannot create $dir"

# name -> package
declare -A pkgs=(
	[kube-apiserver]=k8s.io/kubernetes/cmd/kube-apiserver
	[kube-controller-manager]=k8s.io/kubernetes/cmd/kube-controller-manager
	[etcd]=go.etcd.io/etcd/server/v3
)
for name in kube-apiserver kube-controller-manager etcd; do
	if [[ -x "$dir/$name" ]]; then
		echo "build-kube: $name is built ($dir/$name)"
		continue
	fi
	echo "build-kube: building $name (${pkgs[$name]}) into $dir ..."
	start=$SECONDS
	tmp="$dir/.$name.tmp.$$"
	# Build to a temporary name and rename, so an interrupted build leaves
	# nothing that looks finished.
	if ! (cd "$root/hack/kube" && CGO_ENABLED=0 GOWORK=off go build -buildvcs=false -trimpath -ldflags "$ldflags" -o "$tmp" "${pkgs[$name]}"); then
		rm -f "$tmp"
		fail "building $name failed (see the go output above)"
	fi
	mv "$tmp" "$dir/$name" || fail "cannot install $dir/$name"
	echo "build-kube: built $name in $((SECONDS - start)) s"
done
echo "build-kube: binaries in $dir"
