package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eksenv/eksenv/internal/spec"
)

var update = flag.Bool("update", false, "rewrite golden files")

var testNow = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, IO{In: strings.NewReader(""), Out: &out, Err: &errb, Now: func() time.Time { return testNow }, Version: "v0.0.0-test"})
	return code, out.String(), errb.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(testdataAbs, "output", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/cli -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from %s (run go test ./internal/cli -update and review the diff)\n--- got:\n%s", name, path, got)
	}
}

func TestGoldenOutput(t *testing.T) {
	t.Chdir(t.TempDir()) // no ./eksenv.yaml: the embedded default
	wd, _ := os.Getwd()
	cases := []struct {
		name string
		args []string
		code int
	}{
		{"help", []string{"--help"}, ExitOK},
		{"validate-help", []string{"validate", "--help"}, ExitOK},
		{"validate-default", []string{"validate"}, ExitOK},
		{"validate-default-json", []string{"validate", "-o", "json"}, ExitOK},
		{"validate-invalid", []string{"validate", "-f", testdataPath(t, "invalid.yaml")}, ExitFailure},
		{"explain-components", []string{"explain"}, ExitOK},
		{"explain-workloads", []string{"explain", testdataPath(t, "workloads.yaml")}, ExitOK},
		{"render", []string{"render", "-o", filepath.Join(wd, "out")}, ExitOK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := run(t, c.args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, c.code, out, errOut)
			}
			text := out
			if errOut != "" {
				text += "--- stderr\n" + errOut
			}
			text = strings.ReplaceAll(text, wd, "$WORK")
			text = strings.ReplaceAll(text, testdataAbs, "$TESTDATA")
			golden(t, c.name, text)
		})
	}
}

var testdataAbs string

func testdataPath(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join(testdataAbs, name)
}

func TestMain(m *testing.M) {
	flag.Parse()
	abs, err := filepath.Abs("testdata")
	if err != nil {
		panic(err)
	}
	testdataAbs = abs
	os.Exit(m.Run())
}

func TestUsageErrors(t *testing.T) {
	t.Chdir(t.TempDir())
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"validate", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"validate", "-o", "xml"}, `--output "xml" is not one of table, json, yaml`},
		{[]string{"render"}, "render needs -o DIR"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"validate", "extra"}, "unknown command"},
		{[]string{"explain", "a", "b"}, "accepts at most 1 arg"},
	}
	for _, c := range cases {
		code, _, errOut := run(t, c.args...)
		if code != ExitUsage || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", c.args, code, errOut, c.want)
		}
	}
}

func TestFailures(t *testing.T) {
	t.Chdir(t.TempDir())
	code, _, errOut := run(t, "validate", "-f", "nope.yaml")
	if code != ExitFailure || !strings.Contains(errOut, "nope.yaml") {
		t.Errorf("missing file: %d %q", code, errOut)
	}
	if err := os.WriteFile("eksenv.yaml", []byte("apiVersion: eksenv.dev/v1alpha1\nkind: Environment\nmetadata: {name: x}\nspec: {regoin: us-east-1}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = run(t, "validate")
	if code != ExitFailure || !strings.Contains(errOut, "eksenv.yaml:4:8: spec.regoin: unknown field") {
		t.Errorf("./eksenv.yaml not read or not placed: %d %q", code, errOut)
	}
	code, _, errOut = run(t, "render", "-o", "out")
	if code != ExitFailure || !strings.Contains(errOut, "spec.regoin") {
		t.Errorf("render of a bad file: %d %q", code, errOut)
	}
	if _, err := os.Stat("out"); err == nil {
		t.Error("render wrote files for a bad environment")
	}
}

func TestInitWritesALoadableFile(t *testing.T) {
	t.Chdir(t.TempDir())
	code, out, errOut := run(t, "init", "--name", "shop", "--region", "eu-central-1")
	if code != ExitOK || !strings.Contains(out, "wrote eksenv.yaml") {
		t.Fatalf("init: %d %q %q", code, out, errOut)
	}
	data, err := os.ReadFile("eksenv.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doc, ps := spec.Load("eksenv.yaml", data)
	if ps != nil || doc.Env.Metadata.Name != "shop" || doc.Env.Spec.Region != "eu-central-1" || doc.Env.Spec.AvailabilityZones[0] != "eu-central-1a" {
		t.Fatalf("init file does not load back: %v", ps)
	}
	if !bytes.Contains(data, []byte("# ")) {
		t.Error("init file has no comments")
	}
	code, _, errOut = run(t, "init")
	if code != ExitFailure || !strings.Contains(errOut, "exists; use --force") {
		t.Errorf("init over an existing file: %d %q", code, errOut)
	}
	if code, _, _ = run(t, "init", "--force"); code != ExitOK {
		t.Errorf("init --force: %d", code)
	}
	code, _, errOut = run(t, "init", "--file", "-", "--name", "Bad_Name")
	if code != ExitUsage || !strings.Contains(errOut, "metadata.name") {
		t.Errorf("init with a bad name: %d %q", code, errOut)
	}
}

func TestVersionJSON(t *testing.T) {
	code, out, _ := run(t, "version", "-o", "json")
	var v VersionInfo
	if code != ExitOK || json.Unmarshal([]byte(out), &v) != nil {
		t.Fatalf("version: %d %q", code, out)
	}
	if v.Version != "v0.0.0-test" || v.KarpenterVersion != "1.6.3" || v.KubernetesVersion != "1.33" || v.APIVersion != "eksenv.dev/v1alpha1" {
		t.Errorf("version info %+v", v)
	}
}
