package specdoc

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/eksenv/eksenv/internal/spec"
)

var update = flag.Bool("update", false, "rewrite testdata/init.yaml")

const initGolden = "testdata/init.yaml"

func initDefault(t *testing.T) []byte {
	t.Helper()
	out, err := InitFile(spec.Default())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestInitFileGolden(t *testing.T) {
	got := initDefault(t)
	if *update {
		if err := os.MkdirAll(filepath.Dir(initGolden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(initGolden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(initGolden)
	if err != nil {
		t.Fatalf("%v; run go test ./internal/spec/specdoc -run TestInitFileGolden -update", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("InitFile(spec.Default()) differs from %s (%s); if the change is intended, run go test ./internal/spec/specdoc -run TestInitFileGolden -update",
			initGolden, firstDiff(got, want))
	}
}

func TestInitFileLoadsBack(t *testing.T) {
	out := initDefault(t)
	doc, ps := spec.Load("init.yaml", out)
	if len(ps) > 0 {
		t.Fatalf("Load of InitFile(spec.Default()): %v\n%s", ps, out)
	}
	if want := spec.Default(); !reflect.DeepEqual(doc.Env, want) {
		t.Errorf("loaded\n%+v\nwant\n%+v", doc.Env, want)
	}
}

// TestInitFileRoundTrip covers what the default leaves out: an existing VPC,
// add-ons, empty lists (which mean none, not the default), map values and
// strings that need quotes.
func TestInitFileRoundTrip(t *testing.T) {
	e := spec.Default()
	e.Metadata.Name = "other"
	e.Spec.Network.ExistingVPC = &spec.ExistingVPC{VPCID: "vpc-1", PrivateSubnetIDs: []string{"subnet-a", "subnet-b"}, PublicSubnetIDs: []string{}}
	e.Spec.Addons = []spec.Addon{{Name: "vpc-cni", Version: "v1.19.5-eksbuild.1"}, {Name: "coredns"}}
	e.Spec.Fargate.Profiles = []spec.FargateProfile{}
	e.Spec.Karpenter.NodePools[0].Labels = map[string]string{"team": "a: b", "z": "yes", "a": "1.0", "#": "*"}
	e.Spec.Karpenter.NodePools[1].Zones = []string{}
	e.Spec.Tags = map[string]string{"cost-center": "0042", "note": "line one\nline two", "empty": ""}
	e.Spec.Access.Admins = []string{"arn:aws:iam::123456789012:role/admin"}
	before := deepCopy(reflect.ValueOf(e)).Interface()

	out, err := InitFile(e)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(e, before) {
		t.Error("InitFile changed its argument")
	}
	doc, ps := spec.Load("init.yaml", out)
	if len(ps) > 0 {
		t.Fatalf("Load: %v\n%s", ps, out)
	}
	if !reflect.DeepEqual(doc.Env, e) {
		t.Errorf("loaded\n%+v\nwant\n%+v\nfile:\n%s", doc.Env, e, out)
	}
}

// TestInitFileDefaultsApplied checks that InitFile fills in the defaults of
// a bare environment.
func TestInitFileDefaultsApplied(t *testing.T) {
	e := &spec.Environment{APIVersion: spec.APIVersion, Kind: spec.Kind, Metadata: spec.Metadata{Name: "bare"}}
	out, err := InitFile(e)
	if err != nil {
		t.Fatal(err)
	}
	if e.Spec.Region != "" {
		t.Error("InitFile applied the defaults to its argument")
	}
	doc, ps := spec.Load("init.yaml", out)
	if len(ps) > 0 {
		t.Fatalf("Load: %v", ps)
	}
	want := spec.Default()
	want.Metadata.Name = "bare"
	if !reflect.DeepEqual(doc.Env, want) {
		t.Errorf("loaded\n%+v\nwant\n%+v", doc.Env, want)
	}
	if !strings.Contains(string(out), "region: us-west-2\n") {
		t.Errorf("the default region is not written out:\n%s", out)
	}
	if _, err := InitFile(nil); err == nil {
		t.Error("InitFile(nil): no error")
	}
}

// TestInitFileComments checks that every field's doc comment is in the
// file, and that each key of the first list items is commented.
func TestInitFileComments(t *testing.T) {
	out := string(initDefault(t))
	for _, d := range spec.FieldDocs() {
		words := strings.Fields(d.Doc)
		words = words[:min(3, len(words))]
		if want := "# " + strings.Join(words, " "); !strings.Contains(out, want) {
			t.Errorf("%s: the file has no comment starting %q", d.Path, want)
		}
	}
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if strings.HasSuffix(l, " ") {
			t.Errorf("line %d ends in a blank: %q", i+1, l)
		}
	}
}

// TestInitFileExamples uncomments the examples of the unset existingVPC and
// the empty addons and loads the result.
func TestInitFileExamples(t *testing.T) {
	lines := strings.Split(string(initDefault(t)), "\n")
	var out, example []string
	var replaced []string
	in := false
	for _, l := range lines {
		trimmed := strings.TrimLeft(l, " ")
		indent := l[:len(l)-len(trimmed)]
		switch {
		case strings.HasSuffix(trimmed, ", replace the next line with:"):
			in, example = true, nil
		case in && strings.HasPrefix(trimmed, "#"):
			example = append(example, indent+strings.TrimPrefix(strings.TrimPrefix(trimmed, "#"), " "))
		case in:
			in = false
			replaced = append(replaced, trimmed)
			out = append(out, example...)
			continue
		}
		out = append(out, l)
	}
	if want := []string{"existingVPC: null", "addons: null"}; !reflect.DeepEqual(replaced, want) {
		t.Fatalf("the examples replace %q, want %q", replaced, want)
	}
	doc, ps := spec.Load("init.yaml", []byte(strings.Join(out, "\n")))
	if len(ps) > 0 {
		t.Fatalf("Load with the examples uncommented: %v\n%s", ps, strings.Join(out, "\n"))
	}
	got := doc.Env.Spec.Network.ExistingVPC
	if want := (&spec.ExistingVPC{PrivateSubnetIDs: []string{}, PublicSubnetIDs: []string{}}); !reflect.DeepEqual(got, want) {
		t.Errorf("existingVPC = %+v, want %+v", got, want)
	}
	if got, want := doc.Env.Spec.Addons, []spec.Addon{{}}; !reflect.DeepEqual(got, want) {
		t.Errorf("addons = %+v, want %+v", got, want)
	}
}
