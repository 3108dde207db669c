// Command gen-spec-docs regenerates the field documentation of the eksenv
// environment file from the doc comments in internal/spec/types.go: it
// writes internal/spec/zz_fielddocs.go (spec.FieldDocs) and docs/spec.md.
// It finds the repository root by walking up from the working directory to
// go.mod, so it runs from anywhere inside the repository; go generate
// ./internal/spec/... runs it.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/eksenv/eksenv/internal/spec/specdoc"
)

// Paths relative to the repository root.
const (
	typesPath    = "internal/spec/types.go"
	fieldDocPath = "internal/spec/zz_fielddocs.go"
	markdownPath = "docs/spec.md"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gen-spec-docs:", err)
		os.Exit(1)
	}
}

func run() error {
	root, err := findRoot()
	if err != nil {
		return err
	}
	src, err := os.ReadFile(filepath.Join(root, typesPath))
	if err != nil {
		return err
	}
	goFile, markdown, err := specdoc.Generate(src)
	if err != nil {
		return err
	}
	if err := write(filepath.Join(root, fieldDocPath), goFile); err != nil {
		return err
	}
	return write(filepath.Join(root, markdownPath), markdown)
}

// findRoot walks up from the working directory to the directory with go.mod.
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod in the working directory or above it")
		}
		dir = parent
	}
}

// write replaces file with data unless it already holds it, so that an
// unchanged file keeps its modification time.
func write(file string, data []byte) error {
	if old, err := os.ReadFile(file); err == nil && bytes.Equal(old, data) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	return os.WriteFile(file, data, 0o644)
}
