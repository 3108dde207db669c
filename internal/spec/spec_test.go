package spec

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testNow fixes the clock: 1.33 is then in extended support.
var testNow = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

type want struct {
	line, col  int
	path, text string
}

var wantRE = regexp.MustCompile(`^# want: (\d+):(\d+) (\S*): (.*)$`)

func readWants(t *testing.T, data []byte) []want {
	t.Helper()
	var out []want
	for _, l := range strings.Split(string(data), "\n") {
		m := wantRE.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		line, _ := strconv.Atoi(m[1])
		col, _ := strconv.Atoi(m[2])
		out = append(out, want{line, col, m[3], m[4]})
	}
	return out
}

// check loads and validates a file, returning every problem placed.
func check(name string, data []byte) Problems {
	doc, ps := Load(name, data)
	if doc == nil {
		return ps
	}
	ps = doc.Place(Validate(doc.Env, Options{Now: testNow}))
	ps.Sort()
	return ps
}

func TestFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			ps := check(name, data)
			if strings.HasPrefix(name, "valid-") {
				if errs := ps.Errors(); len(errs) > 0 {
					t.Fatalf("valid fixture has errors:\n%s", errs.Error())
				}
				return
			}
			if !ps.HasErrors() {
				t.Fatalf("invalid fixture gave no error")
			}
			wants := readWants(t, data)
			if name == "invalid-empty.yaml" {
				wants = []want{{0, 0, "", "the file is empty"}}
			}
			if len(wants) == 0 {
				t.Fatalf("invalid fixture without # want lines")
			}
			matched := make([]bool, len(ps))
			for _, w := range wants {
				found := false
				for i, p := range ps {
					if p.Pos.Line == w.line && p.Pos.Column == w.col && p.Path == w.path && strings.Contains(p.Message, w.text) {
						matched[i], found = true, true
					}
				}
				if !found {
					t.Errorf("missing %d:%d %s: %s\ngot:\n%s", w.line, w.col, w.path, w.text, ps.Error())
				}
			}
			for i, p := range ps {
				if !matched[i] && p.Severity == SeverityError {
					t.Errorf("unexpected error: %s", p)
				}
			}
			for _, p := range ps {
				if !strings.HasPrefix(p.String(), name) {
					t.Errorf("problem does not start with the file name: %s", p)
				}
			}
		})
	}
}
