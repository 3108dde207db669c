package env

import (
	"context"
	"testing"
	"time"

	"github.com/eksenv/eksenv/internal/render"
	"github.com/eksenv/eksenv/internal/spec"
)

// BenchmarkRender is the work of eksenv render on the default environment:
// the checks and the whole tree (writing the files is left out).
func BenchmarkRender(b *testing.B) {
	doc := spec.DefaultDocument()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Render(doc, render.Placeholders(), CheckOptions{Now: time.Now()}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidate is the work of eksenv validate on the default
// environment, compiling the CRD schemas and their CEL rules each time as a
// fresh process does.
func BenchmarkValidate(b *testing.B) {
	doc := spec.DefaultDocument()
	b.ReportAllocs()
	for b.Loop() {
		rep, err := Validate(context.Background(), doc, CheckOptions{Now: time.Now()})
		if err != nil || !rep.Valid {
			b.Fatalf("%v %+v", err, rep)
		}
	}
}
