package render

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/eksenv/eksenv/internal/spec"
)

// TestDefaultTreeGolden holds the whole exported tree of the default
// environment under testdata/tree, file by file; -update rewrites it (and
// removes files the tree no longer has).
func TestDefaultTreeGolden(t *testing.T) {
	tree, err := Render(spec.Default(), Placeholders())
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join("testdata", "tree")
	if *update {
		if err := os.RemoveAll(root); err != nil {
			t.Fatal(err)
		}
		for _, f := range tree {
			p := filepath.Join(root, filepath.FromSlash(f.Path))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	want := map[string]bool{}
	for _, f := range tree {
		want[f.Path] = true
		got, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Errorf("%s: %v (run go test ./internal/render -update)", f.Path, err)
			continue
		}
		if string(got) != string(f.Data) {
			t.Errorf("%s differs from its golden file (run go test ./internal/render -update and review the diff)", f.Path)
		}
	}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if !want[filepath.ToSlash(rel)] {
			t.Errorf("golden file %s is no longer rendered", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, must := range []string{
		"eks/cluster-config.yaml", "eks/general-storageclasses.yaml", "eks/iam_policy.json",
		"karpenter/karpenter-policy.json", "karpenter/karpenter-node-role-trust-policy.json",
		"karpenter/nodepool-arm64.yaml", "karpenter/nodepool-amd64.yaml",
		"portainer/portainer-deployment.yaml", "portainer/portainer-efs-storageclass.yaml", "portainer/portainer-efs-pvc.yaml",
		"tests/test-alb-ingress.yaml", "tests/test-efs-storage.yaml", "tests/test-s3-storage.yaml",
		"tests/test-gp3-storage-karpenter.yaml", "tests/test-karpenter-simple.yaml", "README.md",
	} {
		if !want[must] {
			t.Errorf("the seed's file %s is not rendered", must)
		}
	}
}
