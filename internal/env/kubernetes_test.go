package env

import (
	"context"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"

	awsinfra "github.com/eksenv/eksenv/internal/infra/aws"
	"github.com/eksenv/eksenv/internal/sandbox"
	"github.com/eksenv/eksenv/internal/spec"
)

// TestUpAndDownBothHalves runs up with the manifest part of the Kubernetes
// half against the sandbox's real kube-apiserver: the objects exist with
// the account's real ids, a second up changes nothing in either half, and
// down removes both.
func TestUpAndDownBothHalves(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: starts moto and kube-apiserver (run without -short)")
	}
	sb, cp := sandbox.ForTestWithControlPlane(t, sandbox.Options{Region: "us-west-2"}, sandbox.ControlPlaneOptions{ClusterName: "eks-env"})
	cfg := sandboxConfig(t, sb, "us-west-2")
	ctx := context.Background()
	doc := spec.DefaultDocument()
	opts := AWSOptions{Config: &cfg, Poll: 20 * time.Millisecond, Backoff: 20 * time.Millisecond, Now: testNow, Kubernetes: Manifests{Timeout: time.Minute}}
	s, err := Connect(ctx, doc, opts)
	must(t, err)
	if _, err := s.Apply(ctx); err != nil {
		t.Fatal(err)
	}
	admin, err := clientcmd.RESTConfigFromKubeConfig(cp.AdminKubeconfig())
	must(t, err)
	dyn, err := dynamic.NewForConfig(admin)
	must(t, err)
	gvr := func(g, v, r string) dynamic.NamespaceableResourceInterface {
		return dyn.Resource(schema.GroupVersionResource{Group: g, Version: v, Resource: r})
	}
	versions := func() map[string]string {
		out := map[string]string{}
		for _, c := range []struct {
			r  dynamic.ResourceInterface
			id string
		}{
			{gvr("karpenter.sh", "v1", "nodepools"), "nodepools"},
			{gvr("karpenter.k8s.aws", "v1", "ec2nodeclasses"), "ec2nodeclasses"},
			{gvr("storage.k8s.io", "v1", "storageclasses"), "storageclasses"},
			{gvr("", "v1", "persistentvolumes"), "pvs"},
			{gvr("apps", "v1", "deployments").Namespace("portainer"), "deployments"},
		} {
			list, err := c.r.List(ctx, metav1.ListOptions{})
			must(t, err)
			for _, i := range list.Items {
				// The generation counts changes to the spec; status updates
				// by the controller manager do not move it.
				out[c.id+"/"+i.GetName()] = fmt.Sprint(i.GetGeneration())
			}
		}
		return out
	}
	before := versions()
	for _, want := range []string{"nodepools/amd64", "nodepools/arm64", "ec2nodeclasses/amd64", "storageclasses/gp3", "storageclasses/efs", "pvs/s3-eks-env", "deployments/portainer"} {
		if _, ok := before[want]; !ok {
			t.Errorf("%s not applied (have %v)", want, before)
		}
	}
	efs, err := gvr("storage.k8s.io", "v1", "storageclasses").Get(ctx, "efs", metav1.GetOptions{})
	must(t, err)
	fsID := s.State.Output(awsinfra.KeyEFS, "id")
	if got := efs.Object["parameters"].(map[string]any)["fileSystemId"]; got != fsID || fsID == "" {
		t.Errorf("EFS class fileSystemId %v, want the real id %q", got, fsID)
	}

	sb.ResetCalls()
	again, err := Connect(ctx, doc, opts)
	must(t, err)
	if _, err := again.Apply(ctx); err != nil {
		t.Fatal(err)
	}
	if n := sb.MutatingCalls(); n != 0 {
		t.Errorf("second up made %d mutating AWS calls", n)
	}
	after := versions()
	for k, v := range before {
		if after[k] != v {
			t.Errorf("second up changed %s (generation %s -> %s)", k, v, after[k])
		}
	}

	rep, err := connectWith(t, ctx, doc, opts).Down(ctx, DownOptions{})
	must(t, err)
	if !rep.Clean() {
		t.Errorf("left in AWS: %v", rep.Left)
	}
	left, err := gvr("karpenter.sh", "v1", "nodepools").List(ctx, metav1.ListOptions{})
	must(t, err)
	if len(left.Items) != 0 {
		t.Errorf("NodePools left: %d", len(left.Items))
	}
	if _, err := gvr("", "v1", "persistentvolumes").Get(ctx, "s3-eks-env", metav1.GetOptions{}); err == nil {
		t.Error("S3 volume left")
	}
}

func connectWith(t *testing.T, ctx context.Context, doc *spec.Document, opts AWSOptions) *Session {
	t.Helper()
	s, err := Connect(ctx, doc, opts)
	must(t, err)
	return s
}
