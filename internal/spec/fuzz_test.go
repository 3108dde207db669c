package spec

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the strict loader and the validation:
// neither may panic, every problem must be placed in the file, and a
// document that loads must validate without panicking. The corpus under
// testdata/fuzz/FuzzLoad is checked in; hack/fuzz.sh runs this for 60 s.
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// YAML breaks lines at \n, \r\n and a lone \r.
		lines := bytes.Count(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")), []byte("\n")) + bytes.Count(data, []byte("\r")) - bytes.Count(data, []byte("\r\n")) + 1
		doc, ps := Load("fuzz.yaml", data)
		if doc == nil && len(ps) == 0 {
			t.Fatal("no document and no problem")
		}
		if doc != nil {
			ps = doc.Place(Validate(doc.Env, Options{Now: testNow}))
		}
		for _, p := range ps {
			if p.File != "fuzz.yaml" {
				t.Fatalf("problem without the file: %s", p)
			}
			if p.Pos.Line > lines {
				t.Fatalf("problem past the end of the file (%d lines): %s", lines, p)
			}
			if p.Message == "" {
				t.Fatalf("problem without a message: %+v", p)
			}
		}
	})
}
