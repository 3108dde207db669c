package aws

import (
	"github.com/eksenv/eksenv/internal/infra"
)

// Resources returns every AWS resource of the environment, the graph the
// executor plans, applies and destroys.
func Resources(c *Cloud) []infra.Resource {
	var out []infra.Resource
	out = append(out, networkResources(c)...)
	out = append(out, iamResources(c)...)
	out = append(out, queueResources(c)...)
	out = append(out, storageResources(c)...)
	out = append(out, eksResources(c)...)
	return out
}
