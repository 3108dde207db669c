// Package env is eksenv's library entry: each command of the CLI is one call
// here (Load, Validate, Render, Explain; Plan, Up, Verify and Down as they
// land), taking a context, the loaded environment and an options struct.
// It composes spec, placement, render and schema; it holds no state.
package env

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/eksenv/eksenv/internal/placement"
	"github.com/eksenv/eksenv/internal/render"
	"github.com/eksenv/eksenv/internal/schema"
	"github.com/eksenv/eksenv/internal/spec"
)

// DefaultFile is the environment file used when -f is not given.
const DefaultFile = "eksenv.yaml"

// ProblemsError is returned when a file cannot be used; it carries every
// problem found, each placed at file:line:column and a field path.
type ProblemsError struct {
	Problems spec.Problems
}

// Error lists the problems.
func (e *ProblemsError) Error() string { return e.Problems.Error() }

// Load reads the environment: the named file, else ./eksenv.yaml when it
// exists, else the embedded default. A file that cannot be decoded gives a
// *ProblemsError.
func Load(path string) (*spec.Document, error) {
	if path == "" {
		if _, err := os.Stat(DefaultFile); err == nil {
			path = DefaultFile
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("look for %s: %w", DefaultFile, err)
		} else {
			return spec.DefaultDocument(), nil
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read environment file: %w", err)
	}
	doc, problems := spec.Load(path, data)
	if problems != nil {
		return nil, &ProblemsError{Problems: problems}
	}
	return doc, nil
}

// CheckOptions tune validation.
type CheckOptions struct {
	// Now decides the Kubernetes support phase.
	Now time.Time
}

// Check runs the spec's own checks and the placement checks, placed in the
// file. It is what every command runs before doing anything.
func Check(doc *spec.Document, opts CheckOptions) spec.Problems {
	ps := spec.Validate(doc.Env, spec.Options{Now: opts.Now})
	ps = append(ps, placement.Check(doc.Env)...)
	ps = doc.Place(ps)
	ps.Sort()
	return ps
}

// Report is the result of Validate.
type Report struct {
	File string `json:"file"`
	// Valid is true when there is no error (warnings allowed).
	Valid    bool          `json:"valid"`
	Errors   spec.Problems `json:"errors"`
	Warnings spec.Problems `json:"warnings"`
	// Objects is how many rendered Kubernetes objects were validated.
	Objects int `json:"objects"`
}

// Validate checks the environment completely offline: the spec checks, the
// placement checks, then every rendered Kubernetes object — Karpenter's
// against the embedded v1.6.3 CRDs with their CEL rules, the others by
// strict decoding — and every rendered workload against where it would run.
func Validate(ctx context.Context, doc *spec.Document, opts CheckOptions) (*Report, error) {
	ps := Check(doc, opts)
	rep := &Report{File: doc.File}
	if !ps.HasErrors() {
		more, n, err := validateRendered(ctx, doc)
		if err != nil {
			return nil, err
		}
		ps = append(ps, more...)
		rep.Objects = n
	}
	rep.Errors, rep.Warnings = ps.Errors(), ps.Warnings()
	rep.Valid = len(rep.Errors) == 0
	return rep, nil
}

func validateRendered(ctx context.Context, doc *spec.Document) (spec.Problems, int, error) {
	e := doc.Env
	ms, err := render.Manifests(e, render.Placeholders())
	if err != nil {
		return nil, 0, fmt.Errorf("render: %w", err)
	}
	v, err := schema.New()
	if err != nil {
		return nil, 0, fmt.Errorf("load the Karpenter CRD schemas: %w", err)
	}
	var ps spec.Problems
	n := 0
	catalog := placement.NewCatalog(e)
	for _, m := range ms {
		catalog.Add(m.Objects...)
	}
	for _, m := range ms {
		for _, o := range m.Objects {
			n++
			obj, err := render.ToMap(o)
			if err != nil {
				return nil, 0, err
			}
			for _, p := range v.ValidateObject(ctx, obj) {
				ps = append(ps, doc.Place(spec.Problems{{Path: specPathOf(e, p),
					Message: fmt.Sprintf("the rendered %s/%s (%s) would be rejected by the API server: %s: %s", p.Kind, p.Name, m.Path, p.Path, p.Message)}})...)
			}
			w, ok := placement.FromObject(o, catalog)
			if !ok {
				continue
			}
			d := placement.Decide(e, w)
			for _, b := range d.Blockers {
				path := "spec.karpenter.nodePools"
				if d.Fargate != nil {
					path = d.Fargate.Path
				}
				ps = append(ps, doc.Place(spec.Problems{{Path: path, Message: fmt.Sprintf("%s (%s) cannot run: %s", w.Name, m.Path, b)}})...)
			}
		}
	}
	return ps, n, nil
}

// Render derives the exported tree. It refuses an environment with errors.
func Render(doc *spec.Document, p render.Params, opts CheckOptions) (render.Tree, spec.Problems, error) {
	ps := Check(doc, opts)
	if ps.HasErrors() {
		return nil, ps, &ProblemsError{Problems: ps.Errors()}
	}
	t, err := render.Render(doc.Env, p)
	if err != nil {
		return nil, ps, fmt.Errorf("render: %w", err)
	}
	return t, ps, nil
}

// WriteTree writes the tree under dir, each file atomically (a temporary
// file renamed into place), creating folders as needed. Files already in dir
// that the tree does not hold are left alone.
func WriteTree(dir string, t render.Tree) error {
	for _, f := range t {
		path := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		tmp, err := os.CreateTemp(filepath.Dir(path), ".eksenv-*")
		if err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		_, werr := tmp.Write(f.Data)
		cerr := tmp.Close()
		if err := errors.Join(werr, cerr); err != nil {
			os.Remove(tmp.Name())
			return fmt.Errorf("write %s: %w", path, err)
		}
		if err := os.Chmod(tmp.Name(), 0o644); err != nil {
			os.Remove(tmp.Name())
			return fmt.Errorf("write %s: %w", path, err)
		}
		if err := os.Rename(tmp.Name(), path); err != nil {
			os.Remove(tmp.Name())
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	return nil
}

// specPathOf names the spec field an object was rendered from, so that a
// schema problem is reported where the user can fix it.
func specPathOf(e *spec.Environment, p schema.Problem) string {
	if p.Kind == "NodePool" || p.Kind == "EC2NodeClass" {
		for i, np := range e.Spec.Karpenter.NodePools {
			if np.Name == p.Name {
				return fmt.Sprintf("spec.karpenter.nodePools[%d]", i)
			}
		}
		return "spec.karpenter"
	}
	return "spec"
}
