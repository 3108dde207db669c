package schema

import (
	"fmt"

	"gopkg.in/yaml.v3"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// duplicateKeys finds mapping keys that occur more than once in one YAML
// document and reports them by field path; lineOffset is added to line
// numbers. It is only called after strict YAML decoding failed, so it costs
// nothing for valid documents.
func duplicateKeys(doc []byte, lineOffset int) []Problem {
	var root yaml.Node
	if err := yaml.Unmarshal(doc, &root); err != nil {
		return nil
	}
	var problems []Problem
	var walk func(n *yaml.Node, p *field.Path)
	walk = func(n *yaml.Node, p *field.Path) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, p)
			}
		case yaml.MappingNode:
			seen := make(map[string]int, len(n.Content)/2)
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, val := n.Content[i], n.Content[i+1]
				child := p.Child(k.Value) // a nil p makes child a root
				if first, ok := seen[k.Value]; ok {
					problems = append(problems, Problem{
						Path:    child.String(),
						Message: fmt.Sprintf("duplicate field %q (lines %d and %d)", child.String(), first+lineOffset, k.Line+lineOffset),
					})
					continue
				}
				seen[k.Value] = k.Line
				walk(val, child)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, p.Index(i))
			}
		}
	}
	walk(&root, nil)
	return problems
}
