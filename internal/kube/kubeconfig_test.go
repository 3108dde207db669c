package kube

import (
	"encoding/base64"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

var update = flag.Bool("update", false, "rewrite golden files")

const testCA = "-----BEGIN CERTIFICATE-----\nMIIBdzCCAR2gAwIBAgIBADAKBggqhkjOPQQDAjAjMSEwHwYDVQQDDBhrM3Mtc2Vy\n-----END CERTIFICATE-----\n"

func testKubeconfig() *clientcmdapi.Config {
	return Kubeconfig("demo", "us-west-2", "https://ABCDEF.gr7.us-west-2.eks.amazonaws.com",
		base64.StdEncoding.EncodeToString([]byte(testCA)), "/usr/local/bin/eksenv")
}

func TestKubeconfigGolden(t *testing.T) {
	data, err := clientcmd.Write(*testKubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "kubeconfig.golden")
	if *update {
		if err := os.WriteFile(golden, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(data) != string(want) {
		t.Errorf("kubeconfig differs from %s (run with -update to accept):\n%s", golden, data)
	}
	// The file is what kubectl reads: it loads and validates.
	cfg, err := clientcmd.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := clientcmd.Validate(*cfg); err != nil {
		t.Errorf("kubeconfig does not validate: %v", err)
	}
	rc, err := clientcmd.NewDefaultClientConfig(*cfg, nil).ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	if rc.Host != "https://ABCDEF.gr7.us-west-2.eks.amazonaws.com" || string(rc.CAData) != testCA || rc.ExecProvider == nil {
		t.Errorf("client config %+v", rc)
	}
}

func TestKubeconfigNames(t *testing.T) {
	cfg := testKubeconfig()
	const name = "demo.us-west-2.eksenv"
	if EntryName("demo", "us-west-2") != name || cfg.CurrentContext != name {
		t.Errorf("current context %q", cfg.CurrentContext)
	}
	ctx := cfg.Contexts[name]
	if ctx == nil || ctx.Cluster != name || ctx.AuthInfo != name || cfg.Clusters[name] == nil || cfg.AuthInfos[name] == nil {
		t.Fatalf("entries %+v", cfg)
	}
	ex := cfg.AuthInfos[name].Exec
	if ex.APIVersion != "client.authentication.k8s.io/v1" || ex.Command != "/usr/local/bin/eksenv" || ex.InteractiveMode != clientcmdapi.NeverExecInteractiveMode || ex.ProvideClusterInfo {
		t.Errorf("exec %+v", ex)
	}
	if got := ex.Args; len(got) != 5 || got[0] != "token" || got[2] != "demo" || got[4] != "us-west-2" {
		t.Errorf("args %q", got)
	}
}

func TestMergeKeepsForeignEntries(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config")
	foreign := clientcmdapi.NewConfig()
	foreign.Clusters["kind-kind"] = &clientcmdapi.Cluster{Server: "https://127.0.0.1:6443"}
	foreign.AuthInfos["kind-kind"] = &clientcmdapi.AuthInfo{Token: "secret"}
	foreign.Contexts["kind-kind"] = &clientcmdapi.Context{Cluster: "kind-kind", AuthInfo: "kind-kind", Namespace: "apps"}
	// A stale entry of ours, to be replaced.
	foreign.Clusters["demo.us-west-2.eksenv"] = &clientcmdapi.Cluster{Server: "https://old.example.com"}
	foreign.CurrentContext = "kind-kind"
	if err := clientcmd.WriteToFile(*foreign, path); err != nil {
		t.Fatal(err)
	}

	if err := Merge(path, testKubeconfig(), false); err != nil {
		t.Fatal(err)
	}
	got, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.CurrentContext != "kind-kind" {
		t.Errorf("without setCurrent the current context changed to %q", got.CurrentContext)
	}
	if c := got.Contexts["kind-kind"]; c == nil || c.Namespace != "apps" || got.AuthInfos["kind-kind"].Token != "secret" || got.Clusters["kind-kind"].Server != "https://127.0.0.1:6443" {
		t.Errorf("foreign entries not kept: %+v", got)
	}
	if s := got.Clusters["demo.us-west-2.eksenv"].Server; s != "https://ABCDEF.gr7.us-west-2.eks.amazonaws.com" {
		t.Errorf("our cluster not replaced: server %q", s)
	}
	if got.AuthInfos["demo.us-west-2.eksenv"].Exec == nil || got.Contexts["demo.us-west-2.eksenv"] == nil {
		t.Errorf("our user or context missing: %+v", got)
	}

	if err := Merge(path, testKubeconfig(), true); err != nil {
		t.Fatal(err)
	}
	got, err = clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.CurrentContext != "demo.us-west-2.eksenv" || len(got.Contexts) != 2 || len(got.Clusters) != 2 || len(got.AuthInfos) != 2 {
		t.Errorf("after a second merge with setCurrent: current %q, %d contexts, %d clusters, %d users",
			got.CurrentContext, len(got.Contexts), len(got.Clusters), len(got.AuthInfos))
	}
	assertMode(t, path)
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left in %s: %v", dir, entries)
	}
}

func TestMergeCreatesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new", ".kube", "config")
	if err := Merge(path, testKubeconfig(), true); err != nil {
		t.Fatal(err)
	}
	got, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.CurrentContext != "demo.us-west-2.eksenv" || len(got.Contexts) != 1 {
		t.Errorf("new file %+v", got)
	}
	assertMode(t, path)
}

func TestMergeFollowsSymlink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real-config")
	if err := os.WriteFile(real, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "config")
	if err := os.Symlink(real, link); err != nil {
		t.Skip(err)
	}
	if err := Merge(link, testKubeconfig(), true); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symlink was replaced: %v %v", fi, err)
	}
	if got, err := clientcmd.LoadFromFile(real); err != nil || got.CurrentContext != "demo.us-west-2.eksenv" {
		t.Errorf("the target was not updated: %v %v", got, err)
	}
}

func TestMergeRefusesBrokenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config")
	broken := []byte("clusters: [this is not: a kubeconfig\n")
	if err := os.WriteFile(path, broken, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Merge(path, testKubeconfig(), true); err == nil {
		t.Error("broken kubeconfig: want an error")
	}
	if data, _ := os.ReadFile(path); string(data) != string(broken) {
		t.Error("a broken kubeconfig was overwritten")
	}
}

func TestDefaultKubeconfigPath(t *testing.T) {
	home := func() (string, error) { return "/home/u", nil }
	env := func(v string) func(string) string {
		return func(string) string { return v }
	}
	for v, want := range map[string]string{
		"":                  "/home/u/.kube/config",
		"/a/one:/b/two":     "/a/one",
		":/b/two":           "/b/two",
		"/only/this/config": "/only/this/config",
	} {
		got, err := DefaultKubeconfigPath(env(v), home)
		if err != nil || got != want {
			t.Errorf("KUBECONFIG=%q: %q %v, want %q", v, got, err, want)
		}
	}
	if _, err := DefaultKubeconfigPath(env(""), func() (string, error) { return "", errors.New("no home") }); err == nil {
		t.Error("no home: want an error")
	}
}

func assertMode(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %o, want 600", path, fi.Mode().Perm())
	}
}
