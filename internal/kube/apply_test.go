package kube

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	"github.com/eksenv/eksenv/internal/render"
	"github.com/eksenv/eksenv/internal/sandbox"
	"github.com/eksenv/eksenv/internal/schema"
	"github.com/eksenv/eksenv/internal/spec"
)

// manifests decodes the Kubernetes objects of the rendered tree: every
// YAML file but the eksctl ClusterConfig and the Helm values.
func manifests(t *testing.T, tree render.Tree) map[string][]*unstructured.Unstructured {
	t.Helper()
	out := map[string][]*unstructured.Unstructured{}
	for _, f := range tree {
		if !strings.HasSuffix(f.Path, ".yaml") || f.Path == "eks/cluster-config.yaml" || strings.HasSuffix(f.Path, "-values.yaml") {
			continue
		}
		r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(f.Data)))
		for {
			doc, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", f.Path, err)
			}
			if len(bytes.TrimSpace(doc)) == 0 {
				continue
			}
			u := &unstructured.Unstructured{}
			if err := yaml.Unmarshal(doc, &u.Object); err != nil {
				t.Fatalf("%s: %v", f.Path, err)
			}
			out[f.Path] = append(out[f.Path], u)
		}
	}
	return out
}

// TestRenderedTreeIsAcceptedByTheAPIServer walks every manifest eksenv
// render writes and server-side-applies it with dry run against a real
// kube-apiserver 1.33 holding the Karpenter v1.6.3 CRDs: the server's own
// validation, CEL rules included, must accept each object.
func TestRenderedTreeIsAcceptedByTheAPIServer(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: starts kube-apiserver (run without -short)")
	}
	cp := sandbox.ForTestControlPlane(t, sandbox.ControlPlaneOptions{ClusterName: "eks-env"})
	cfg, err := clientcmd.RESTConfigFromKubeConfig(cp.AdminKubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewApplier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	crds, err := schema.KarpenterCRDs()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.ApplyCRDs(ctx, crds, time.Minute); err != nil {
		t.Fatal(err)
	}
	tree, err := render.Render(spec.Default(), render.Placeholders())
	if err != nil {
		t.Fatal(err)
	}
	files := manifests(t, tree)
	if len(files) < 10 {
		t.Fatalf("only %d manifest files in the tree", len(files))
	}
	// Namespaces exist for real first: a dry run does not create them.
	for _, objs := range files {
		for _, o := range objs {
			if o.GetKind() == "Namespace" {
				if err := a.Apply(ctx, o, false); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	n := 0
	for path, objs := range files {
		for _, o := range objs {
			if err := a.Apply(ctx, o, true); err != nil {
				t.Errorf("%s: %v", path, err)
			}
			n++
		}
	}
	t.Logf("%d objects of %d files accepted by the API server (dry run)", n, len(files))

	// The check can fail: a NodePool label in a restricted domain is
	// refused by the CRD's CEL rule on the server.
	bad := files["karpenter/nodepool-amd64.yaml"][1].DeepCopy()
	if bad.GetKind() != "NodePool" {
		t.Fatalf("expected the NodePool second in its file, got %s", bad.GetKind())
	}
	if err := unstructured.SetNestedField(bad.Object, "x", "spec", "template", "metadata", "labels", "karpenter.sh/team"); err != nil {
		t.Fatal(err)
	}
	err = a.Apply(ctx, bad, true)
	if err == nil || !strings.Contains(err.Error(), "restricted") {
		t.Fatalf("a restricted label was accepted: %v", err)
	}
}
