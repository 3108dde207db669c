package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/eksenv/eksenv/internal/env"
	"github.com/eksenv/eksenv/internal/kube"
	"github.com/eksenv/eksenv/internal/sandbox"
)

func TestTokenCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: starts moto server (run without -short)")
	}
	sb := sandbox.ForTest(t, sandbox.Options{Region: "us-west-2"})
	opts := sandboxIO(t, sb)

	code, out, errOut := runAWS(t, opts, "token", "--cluster", "demo", "--region", "us-west-2")
	if code != ExitOK {
		t.Fatalf("token: exit %d\n%s\n%s", code, out, errOut)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("token output is not JSON: %v\n%s", err, out)
	}
	if string(raw["kind"]) != `"ExecCredential"` || string(raw["apiVersion"]) != `"client.authentication.k8s.io/v1"` || string(raw["spec"]) != `{}` {
		t.Errorf("token output shape: %s", out)
	}
	var status struct {
		ExpirationTimestamp time.Time `json:"expirationTimestamp"`
		Token               string    `json:"token"`
	}
	if err := json.Unmarshal(raw["status"], &status); err != nil {
		t.Fatal(err)
	}
	if !status.ExpirationTimestamp.Equal(testNow.Add(14 * time.Minute)) {
		t.Errorf("expirationTimestamp %s, want %s", status.ExpirationTimestamp, testNow.Add(14*time.Minute))
	}
	rest, ok := strings.CutPrefix(status.Token, "k8s-aws-v1.")
	if !ok {
		t.Fatalf("token %q lacks the k8s-aws-v1. prefix", status.Token)
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(string(b))
	if err != nil {
		t.Fatal(err)
	}
	if ep, _ := url.Parse(sb.Endpoint()); u.Host != ep.Host {
		t.Errorf("token URL %s does not use the configured endpoint %s", u, sb.Endpoint())
	}
	q := u.Query()
	if q.Get("Action") != "GetCallerIdentity" || q.Get("X-Amz-Expires") != "60" || q.Get("X-Amz-SignedHeaders") != "host;x-k8s-aws-id" ||
		!strings.HasSuffix(q.Get("X-Amz-Credential"), "/us-west-2/sts/aws4_request") {
		t.Errorf("token URL %s", u)
	}

	// The presigned URL is a request STS answers, as the API server's
	// authenticator sends it.
	req, _ := http.NewRequest(http.MethodGet, u.String(), nil)
	req.Header.Set("x-k8s-aws-id", "demo")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET the presigned URL: %s", resp.Status)
	}

	if code, _, errOut := runAWS(t, opts, "token"); code != ExitUsage || !strings.Contains(errOut, "--cluster is required") {
		t.Errorf("token without --cluster: exit %d, %s", code, errOut)
	}
}

func TestKubeconfigCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: starts moto server (run without -short)")
	}
	t.Chdir(t.TempDir())
	// The sandbox reports a real endpoint and PEM CA (moto's CA is not PEM).
	api := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(api.Close)
	apiCA := base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: api.Certificate().Raw}))
	sb := sandbox.ForTest(t, sandbox.Options{Region: "us-west-2", ClusterEndpoint: func(string) (string, string, bool) { return api.URL, apiCA, true }})
	opts := sandboxIO(t, sb)
	home := t.TempDir()
	kubeconfig := filepath.Join(home, "kube", "config")
	t.Setenv("KUBECONFIG", kubeconfig+string(filepath.ListSeparator)+filepath.Join(home, "other"))

	code, out, errOut := runAWS(t, opts, "kubeconfig")
	if code != ExitFailure || !strings.Contains(errOut, "does not exist yet: run eksenv up") {
		t.Fatalf("kubeconfig before up: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, err := os.Stat(kubeconfig); !os.IsNotExist(err) {
		t.Errorf("kubeconfig before up wrote %s", kubeconfig)
	}

	if code, out, errOut := runAWS(t, opts, "up", "--yes"); code != ExitOK {
		t.Fatalf("up: exit %d\n%s\n%s", code, out, errOut)
	}

	code, out, errOut = runAWS(t, opts, "kubeconfig")
	if code != ExitOK {
		t.Fatalf("kubeconfig after up: exit %d\n%s\n%s", code, out, errOut)
	}
	doc, err := env.Load("")
	if err != nil {
		t.Fatal(err)
	}
	name := doc.Env.Names().Cluster
	dc, err := eks.NewFromConfig(*opts.Config).DescribeCluster(context.Background(), &eks.DescribeClusterInput{Name: sdk.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	wantServer := sdk.ToString(dc.Cluster.Endpoint)
	ctxName := kube.EntryName(name, "us-west-2")
	if !strings.Contains(out, ctxName) || !strings.Contains(out, kubeconfig) {
		t.Errorf("kubeconfig output does not name the context %s and file %s:\n%s", ctxName, kubeconfig, out)
	}

	cfg, err := clientcmd.LoadFromFile(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CurrentContext != ctxName {
		t.Errorf("current context %q, want %q", cfg.CurrentContext, ctxName)
	}
	cl := cfg.Clusters[cfg.Contexts[ctxName].Cluster]
	if cl == nil || cl.Server != wantServer || wantServer != api.URL {
		t.Fatalf("kubeconfig cluster %+v, want server %q", cl, wantServer)
	}
	if ca, _ := base64.StdEncoding.DecodeString(sdk.ToString(dc.Cluster.CertificateAuthority.Data)); string(cl.CertificateAuthorityData) != string(ca) {
		t.Errorf("kubeconfig CA differs from DescribeCluster's")
	}
	exe, _ := os.Executable()
	ex := cfg.AuthInfos[ctxName].Exec
	if ex == nil || ex.Command != exe || strings.Join(ex.Args, " ") != "token --cluster "+name+" --region us-west-2" {
		t.Errorf("exec plugin %+v", ex)
	}

	// --kubeconfig writes elsewhere; JSON output names what was written.
	other := filepath.Join(home, "explicit")
	code, out, errOut = runAWS(t, opts, "kubeconfig", "--kubeconfig", other, "--set-current=false", "-o", "json")
	if code != ExitOK {
		t.Fatalf("kubeconfig --kubeconfig: exit %d\n%s\n%s", code, out, errOut)
	}
	var res KubeconfigResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if res.Path != other || res.Context != ctxName || res.Server != wantServer || res.Current {
		t.Errorf("json result %+v", res)
	}
	if cfg, err := clientcmd.LoadFromFile(other); err != nil || cfg.CurrentContext != "" || cfg.Contexts[ctxName] == nil {
		t.Errorf("--set-current=false file: %+v %v", cfg, err)
	}
}
