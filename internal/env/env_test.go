package env

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eksenv/eksenv/internal/render"
	"github.com/eksenv/eksenv/internal/spec"
)

var testNow = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func load(t *testing.T, yaml string) *spec.Document {
	t.Helper()
	doc, ps := spec.Load("eksenv.yaml", []byte(yaml))
	if ps != nil {
		t.Fatal(ps.Error())
	}
	return doc
}

func TestValidateDefault(t *testing.T) {
	rep, err := Validate(context.Background(), spec.DefaultDocument(), CheckOptions{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Valid || len(rep.Errors) != 0 {
		t.Fatalf("default invalid:\n%s", rep.Errors.Error())
	}
	// 2 x (EC2NodeClass+NodePool), 2 classes, S3 PV+PVC, Portainer and tests.
	if rep.Objects < 20 {
		t.Errorf("only %d objects validated", rep.Objects)
	}
}

func TestValidateCatchesCELRuleThroughTheSpec(t *testing.T) {
	doc := load(t, `apiVersion: eksenv.dev/v1alpha1
kind: Environment
metadata: {name: demo}
spec:
  karpenter:
    nodePools:
    - name: amd64
      labels: {karpenter.sh/team: x}
`)
	rep, err := Validate(context.Background(), doc, CheckOptions{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Valid {
		t.Fatal("a restricted label domain must make the environment invalid")
	}
	var found bool
	for _, p := range rep.Errors {
		if p.Path == "spec.karpenter.nodePools[0]" && p.Pos.Line == 7 && strings.Contains(p.Message, "NodePool/amd64") &&
			strings.Contains(p.Message, `label domain "karpenter.sh" is restricted`) {
			found = true
		}
	}
	if !found {
		t.Errorf("no CEL problem placed at the pool:\n%s", rep.Errors.Error())
	}
}

func TestValidatePortainerEBSOnFargate(t *testing.T) {
	doc := load(t, `apiVersion: eksenv.dev/v1alpha1
kind: Environment
metadata: {name: demo}
spec:
  fargate:
    profiles:
    - name: system
      selectors:
      - namespace: karpenter
      - namespace: portainer
  portainer: {storage: ebs}
`)
	rep, err := Validate(context.Background(), doc, CheckOptions{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, p := range rep.Errors {
		if p.Path == "spec.fargate.profiles[0].selectors[1]" && p.Pos.Line == 10 && strings.Contains(p.Message, "Fargate cannot attach EBS volumes") {
			found = true
		}
	}
	if rep.Valid || !found {
		t.Errorf("Portainer on Fargate with EBS must be refused at the selector:\n%s", rep.Errors.Error())
	}
}

func TestLoadPicksFile(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	doc, err := Load("")
	if err != nil || doc.File != "(default)" {
		t.Fatalf("no file: %v %v", doc, err)
	}
	if err := os.WriteFile(filepath.Join(dir, DefaultFile), []byte("apiVersion: eksenv.dev/v1alpha1\nkind: Environment\nmetadata: {name: local}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	doc, err = Load("")
	if err != nil || doc.Env.Metadata.Name != "local" || doc.File != DefaultFile {
		t.Fatalf("./eksenv.yaml not used: %+v %v", doc, err)
	}
	_, err = Load("missing.yaml")
	if err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Fatalf("missing file: %v", err)
	}
	if err := os.WriteFile("bad.yaml", []byte("kind: Environment\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load("bad.yaml")
	var pe *ProblemsError
	if !errors.As(err, &pe) || !strings.HasPrefix(pe.Problems[0].String(), "bad.yaml:1:1: apiVersion: missing") {
		t.Fatalf("bad file: %v", err)
	}
}

func TestRenderDeterministicAndWrite(t *testing.T) {
	doc := spec.DefaultDocument()
	a, _, err := Render(doc, render.Placeholders(), CheckOptions{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	b, _, _ := Render(doc, render.Placeholders(), CheckOptions{Now: testNow})
	if len(a) != len(b) {
		t.Fatal("tree size differs between runs")
	}
	for i := range a {
		if a[i].Path != b[i].Path || string(a[i].Data) != string(b[i].Data) {
			t.Fatalf("%s differs between runs", a[i].Path)
		}
	}
	dir := t.TempDir()
	if err := WriteTree(dir, a); err != nil {
		t.Fatal(err)
	}
	for _, f := range a {
		got, err := os.ReadFile(filepath.Join(dir, f.Path))
		if err != nil || string(got) != string(f.Data) {
			t.Fatalf("%s not written: %v", f.Path, err)
		}
	}
	entries, _ := filepath.Glob(filepath.Join(dir, "*", ".eksenv-*"))
	if len(entries) > 0 {
		t.Errorf("temporary files left: %v", entries)
	}
}

func TestRenderRefusesErrors(t *testing.T) {
	doc := load(t, "apiVersion: eksenv.dev/v1alpha1\nkind: Environment\nmetadata: {name: demo}\nspec: {region: mars-1}\n")
	_, _, err := Render(doc, render.Placeholders(), CheckOptions{Now: testNow})
	var pe *ProblemsError
	if !errors.As(err, &pe) || !strings.Contains(pe.Error(), `eksenv.yaml:4:16: spec.region: "mars-1"`) {
		t.Fatalf("got %v", err)
	}
}
