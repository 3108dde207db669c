package cli

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/eksenv/eksenv/internal/kube"
	"github.com/eksenv/eksenv/internal/render"
	"github.com/eksenv/eksenv/internal/sandbox"
	kschema "github.com/eksenv/eksenv/internal/schema"
	"github.com/eksenv/eksenv/internal/spec"
)

// TestKubeconfigListsNodePools is the whole authentication chain: up on the
// sandbox, whose DescribeCluster reports a real kube-apiserver; eksenv
// kubeconfig (a built binary) writes an entry whose exec plugin is eksenv
// token; a client built from that kubeconfig alone lists the NodePools,
// authenticated by the EKS token through the API server's token webhook.
func TestKubeconfigListsNodePools(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: builds eksenv, starts moto and kube-apiserver (run without -short)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "eksenv")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/eksenv/eksenv/cmd/eksenv").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	sb, cp := sandbox.ForTestWithControlPlane(t, sandbox.Options{Region: "us-west-2"}, sandbox.ControlPlaneOptions{ClusterName: "eks-env"})
	for _, kv := range sb.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("AWS_REGION", "us-west-2")
	t.Chdir(dir)
	if code, out, errOut := runAWS(t, sandboxIO(t, sb), "up", "--yes"); code != ExitOK {
		t.Fatalf("up: %d\n%s\n%s", code, out, errOut)
	}
	// Until the Kubernetes half lands, the test installs the CRDs and a
	// NodePool itself, with the sandbox's admin credentials.
	admin, err := clientcmd.RESTConfigFromKubeConfig(cp.AdminKubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	a, err := kube.NewApplier(admin)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	crds, err := kschema.KarpenterCRDs()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.ApplyCRDs(ctx, crds, time.Minute); err != nil {
		t.Fatal(err)
	}
	np, err := render.NodePool(spec.Default(), spec.Default().Spec.Karpenter.NodePools[0])
	if err != nil {
		t.Fatal(err)
	}
	m, err := render.ToMap(np)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Apply(ctx, &unstructured.Unstructured{Object: m}, false); err != nil {
		t.Fatal(err)
	}

	path := filepath.Join(dir, "kubeconfig")
	cmd := exec.Command(bin, "kubeconfig", "--kubeconfig", path)
	cmd.Env = os.Environ()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("eksenv kubeconfig: %v\n%s", err, out)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var kc map[string]any
	if err := sigsyaml.Unmarshal(data, &kc); err != nil || !strings.Contains(string(data), bin) {
		t.Fatalf("kubeconfig does not run %s token:\n%s", bin, data)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	list, err := dyn.Resource(schema.GroupVersionResource{Group: "karpenter.sh", Version: "v1", Resource: "nodepools"}).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list NodePools with the written kubeconfig: %v", err)
	}
	if len(list.Items) != 1 || list.Items[0].GetName() != "amd64" {
		t.Fatalf("NodePools: %v", list.Items)
	}
	if ok, _ := cp.TokenReviews(); ok == 0 {
		t.Error("no EKS token was reviewed: the client did not authenticate through the webhook")
	}
}
