package specdoc

import (
	"bytes"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/eksenv/eksenv/internal/spec"
)

const (
	typesFile    = "../types.go"
	fieldDocFile = "../zz_fielddocs.go"
	markdownFile = "../../../docs/spec.md"
)

// TestGeneratedFilesUpToDate fails when zz_fielddocs.go or docs/spec.md is
// not what Generate makes of types.go and the defaults.
func TestGeneratedFilesUpToDate(t *testing.T) {
	src, err := os.ReadFile(typesFile)
	if err != nil {
		t.Fatal(err)
	}
	goFile, markdown, err := Generate(src)
	if err != nil {
		t.Fatalf("Generate(%s): %v", typesFile, err)
	}
	for _, c := range []struct {
		file string
		want []byte
	}{{fieldDocFile, goFile}, {markdownFile, markdown}} {
		got, err := os.ReadFile(c.file)
		if err != nil {
			t.Errorf("%v; run go generate ./internal/spec/...", err)
			continue
		}
		if !bytes.Equal(got, c.want) {
			t.Errorf("%s is out of date (%s); run go generate ./internal/spec/...", c.file, firstDiff(got, c.want))
		}
	}
}

// firstDiff describes the first line where got and want differ.
func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl || i >= len(g) || i >= len(w) {
			return fmt.Sprintf("line %d is %q, want %q", i+1, gl, wl)
		}
	}
	return "same lines"
}

func TestFieldDocsHaveDocs(t *testing.T) {
	docs := spec.FieldDocs()
	if len(docs) == 0 {
		t.Fatal("spec.FieldDocs() is empty; run go generate ./internal/spec/...")
	}
	for _, d := range docs {
		if strings.TrimSpace(d.Doc) == "" {
			t.Errorf("%s (%s) has no doc comment; add one to its field in internal/spec/types.go and run go generate ./internal/spec/...", d.Path, d.Type)
		}
	}
}

// TestFieldDocsMatchReflection checks that the paths found in the source are
// exactly those InitFile finds by reflection, in the same order.
func TestFieldDocsMatchReflection(t *testing.T) {
	var got []string
	for _, d := range spec.FieldDocs() {
		got = append(got, d.Path)
	}
	var want []string
	var walk func(t reflect.Type, path string)
	walk = func(t reflect.Type, path string) {
		switch t.Kind() {
		case reflect.Pointer:
			walk(t.Elem(), path)
		case reflect.Slice:
			walk(t.Elem(), path+itemStep)
		case reflect.Map:
			walk(t.Elem(), path+entryStep)
		case reflect.Struct:
			for i := 0; i < t.NumField(); i++ {
				if name := jsonName(t.Field(i)); name != "" {
					p := joinPath(path, name)
					want = append(want, p)
					walk(t.Field(i).Type, p)
				}
			}
		}
	}
	walk(reflect.TypeFor[spec.Environment](), "")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FieldDocs paths:\n%s\nreflection:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestMinimalFile checks the shortest valid file of docs/spec.md: it loads,
// validates and gives the default environment.
func TestMinimalFile(t *testing.T) {
	doc, ps := spec.Load("minimal.yaml", []byte(minimalFile))
	if len(ps) > 0 {
		t.Fatalf("Load: %v", ps)
	}
	if !reflect.DeepEqual(doc.Env, spec.Default()) {
		t.Errorf("the minimal file loads to\n%+v\nwant spec.Default()\n%+v", doc.Env, spec.Default())
	}
	if ps := spec.Validate(doc.Env, spec.Options{Now: time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)}); ps.HasErrors() {
		t.Errorf("Validate: %v", ps.Errors())
	}
	for path := range required {
		if !strings.Contains(minimalFile, path[strings.LastIndex(path, ".")+1:]+":") {
			t.Errorf("required field %s is not in the minimal file", path)
		}
	}
}

func TestParseFields(t *testing.T) {
	src := `package spec

type Environment struct {
	// Spec is the spec.
	Spec Spec ` + "`json:\"spec\"`" + `
	// Ignored is left out.
	Ignored string ` + "`json:\"-\"`" + `
	hidden string
}

type Mode string

type Spec struct {
	// Pools by name.
	//
	// Second paragraph,
	// two lines.
	Pools map[string]*Pool ` + "`json:\"pools,omitempty\"`" + `
	Mode Mode ` + "`json:\"mode\"`" + ` // Mode is the mode.
	// Counts counts.
	Counts [][]int ` + "`json:\"counts\"`" + `
}

type Pool struct {
	// PoolsX is not the field name.
	Pools bool ` + "`json:\"x\"`" + `
}
`
	fields, err := parseFields([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fields {
		got = append(got, fmt.Sprintf("%s|%s|%s|%s|%v|%v", f.path, f.goType, f.fileType, f.doc, f.object, f.parent))
	}
	want := []string{
		"spec|Spec|object|spec is the spec.|true|true",
		"spec.pools|map[string]*Pool|map of objects|pools by name.\n\nSecond paragraph, two lines.|false|true",
		"spec.pools[*].x|bool|boolean|PoolsX is not the field name.|false|false",
		"spec.mode|Mode|string|mode is the mode.|false|false",
		"spec.counts|[][]int|list of lists of integers|counts counts.|false|false",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestParseFieldsErrors(t *testing.T) {
	for _, c := range []struct{ name, body, want string }{
		{"no tag", "type Environment struct { A string }", "has no json tag"},
		{"empty json name", "type Environment struct { A string `json:\",omitempty\"` }", "has no json name"},
		{"embedded", "type Environment struct { Meta }\ntype Meta struct{}", "embedded field"},
		{"recursive", "type Environment struct { A []Environment `json:\"a\"` }", "contains itself"},
		{"external", "type Environment struct { A time.Duration `json:\"a\"` }", "cannot be written"},
		{"chan", "type Environment struct { A chan int `json:\"a\"` }", "cannot be written"},
		{"array", "type Environment struct { A [2]int `json:\"a\"` }", "arrays"},
		{"map key", "type Environment struct { A map[int]string `json:\"a\"` }", "map keys"},
		{"unknown", "type Environment struct { A Nowhere `json:\"a\"` }", "neither a basic type"},
		{"no root", "type Other struct{}", "no type Environment"},
	} {
		_, err := parseFields([]byte("package spec\n" + c.body + "\n"))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

func TestSteps(t *testing.T) {
	got := steps("spec.fargate.profiles[].selectors[].labels[*]")
	want := []string{"spec", "fargate", "profiles", "[]", "selectors", "[]", "labels", "[*]"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("steps = %q, want %q", got, want)
	}
}

func TestDefaultAt(t *testing.T) {
	def := spec.Default()
	for path, want := range map[string]string{
		"spec.region":                                       `"us-west-2"`,
		"spec.network.existingVPC":                          `null`,
		"spec.network.existingVPC.vpcID":                    `""`,
		"spec.karpenter.nodePools[].capacityTypes":          `["spot","on-demand"]`,
		"spec.karpenter.nodePools[].weight":                 `0`,
		"spec.fargate.profiles[].selectors[].namespace":     `""`,
		"spec.karpenter.nodePools[].disruption.expireAfter": `"720h"`,
	} {
		v, err := defaultAt(def, path, false)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if got, err := compactJSON(v); err != nil || got != want {
			t.Errorf("%s: default %s (%v), want %s", path, got, err, want)
		}
	}
	if !reflect.DeepEqual(def, spec.Default()) {
		t.Error("defaultAt changed the environment it was given")
	}
	if _, err := defaultAt(def, "spec.nothing", false); err == nil {
		t.Error("defaultAt of an unknown field: no error")
	}
}

func TestMarkdownText(t *testing.T) {
	got := mdText("a|b <name> * x_y `c`\n\nnext")
	want := "a\\|b &lt;name&gt; \\* x\\_y \\`c\\`<br><br>next"
	if got != want {
		t.Errorf("mdText = %q, want %q", got, want)
	}
}
