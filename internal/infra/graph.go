package infra

import (
	"fmt"
	"sort"
	"strings"
)

// Graph is a set of resources and their dependencies, checked for missing
// dependencies and cycles.
type Graph struct {
	byKey map[Key]Resource
	order []Key // topological, ties broken by key
	// dependents lists, for each key, the keys that depend on it.
	dependents map[Key][]Key
}

// NewGraph checks the resources: unique keys, known dependencies, no cycle.
func NewGraph(resources []Resource) (*Graph, error) {
	g := &Graph{byKey: map[Key]Resource{}, dependents: map[Key][]Key{}}
	for _, r := range resources {
		if _, dup := g.byKey[r.Key()]; dup {
			return nil, fmt.Errorf("resource graph: %s is defined twice", r.Key())
		}
		g.byKey[r.Key()] = r
	}
	for _, r := range resources {
		for _, d := range r.Deps() {
			if _, ok := g.byKey[d]; !ok {
				return nil, fmt.Errorf("resource graph: %s depends on unknown %s", r.Key(), d)
			}
			g.dependents[d] = append(g.dependents[d], r.Key())
		}
	}
	order, err := g.topo()
	if err != nil {
		return nil, err
	}
	g.order = order
	return g, nil
}

// topo orders keys so that every resource comes after its dependencies
// (Kahn's algorithm; among ready keys, the smallest first, for stable output).
func (g *Graph) topo() ([]Key, error) {
	indeg := map[Key]int{}
	for k, r := range g.byKey {
		indeg[k] = len(r.Deps())
	}
	var ready []Key
	for k, n := range indeg {
		if n == 0 {
			ready = append(ready, k)
		}
	}
	var out []Key
	for len(ready) > 0 {
		sort.Slice(ready, func(i, j int) bool { return ready[i] < ready[j] })
		k := ready[0]
		ready = ready[1:]
		out = append(out, k)
		for _, d := range g.dependents[k] {
			indeg[d]--
			if indeg[d] == 0 {
				ready = append(ready, d)
			}
		}
	}
	if len(out) != len(g.byKey) {
		var cyc []string
		for k, n := range indeg {
			if n > 0 {
				cyc = append(cyc, string(k))
			}
		}
		sort.Strings(cyc)
		return nil, fmt.Errorf("resource graph: dependency cycle among %s", strings.Join(cyc, ", "))
	}
	return out, nil
}

// Order returns the keys in dependency order.
func (g *Graph) Order() []Key { return append([]Key(nil), g.order...) }

// Resource returns the resource of k.
func (g *Graph) Resource(k Key) Resource { return g.byKey[k] }

// Dependents returns the keys that depend on k directly.
func (g *Graph) Dependents(k Key) []Key { return append([]Key(nil), g.dependents[k]...) }

// Len is the number of resources.
func (g *Graph) Len() int { return len(g.byKey) }

// CriticalPath returns the longest chain of durations through the graph,
// for a cost function giving each resource's duration.
func (g *Graph) CriticalPath(cost func(Key) float64) (float64, []Key) {
	best := map[Key]float64{}
	prev := map[Key]Key{}
	for _, k := range g.order {
		start := 0.0
		for _, d := range g.byKey[k].Deps() {
			if best[d] > start {
				start, prev[k] = best[d], d
			}
		}
		best[k] = start + cost(k)
	}
	var end Key
	total := -1.0
	for _, k := range g.order {
		if best[k] > total {
			total, end = best[k], k
		}
	}
	var path []Key
	for k := end; k != ""; k = prev[k] {
		path = append([]Key{k}, path...)
	}
	return total, path
}
