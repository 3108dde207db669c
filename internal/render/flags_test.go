package render

import "flag"

// update rewrites the golden files under testdata/ instead of comparing:
// go test ./internal/render -update
var update = flag.Bool("update", false, "rewrite golden files")
