package kube

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/eksenv/eksenv/internal/sandbox"
)

func TestReachNamesTheFailure(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	closed := &rest.Config{Host: "https://127.0.0.1:1", Timeout: 5 * time.Second, TLSClientConfig: rest.TLSClientConfig{Insecure: true}}
	if err := Reach(ctx, closed); err == nil || !strings.Contains(err.Error(), "cannot reach the Kubernetes API server at https://127.0.0.1:1") {
		t.Fatalf("unreachable: %v", err)
	}
	if testing.Short() {
		t.Skip("the rest starts kube-apiserver (run without -short)")
	}
	// No STS endpoint: the webhook refuses every EKS token.
	cp := sandbox.ForTestControlPlane(t, sandbox.ControlPlaneOptions{ClusterName: "eks-env"})
	ca, err := base64.StdEncoding.DecodeString(cp.CAData())
	if err != nil {
		t.Fatal(err)
	}
	refused := &rest.Config{Host: cp.Endpoint(), BearerToken: "k8s-aws-v1.aHR0cHM6Ly9leGFtcGxlLmNvbS8", TLSClientConfig: rest.TLSClientConfig{CAData: ca}}
	if err := Reach(ctx, refused); err == nil || !strings.Contains(err.Error(), "refused eksenv's EKS token (401 Unauthorized)") || !strings.Contains(err.Error(), "eksenv access list") {
		t.Fatalf("rejected token: %v", err)
	}
	admin, err := clientcmd.RESTConfigFromKubeConfig(cp.AdminKubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := Reach(ctx, admin); err != nil {
		t.Fatalf("admin: %v", err)
	}
}
