//go:build tools

// Package kube pins the Kubernetes control plane and etcd that
// hack/build-kube.sh builds for the sandbox (internal/sandbox/kube.go). It is
// a module of its own so that k8s.io/kubernetes and its replace directives
// stay out of eksenv's go.mod.
package kube

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
