package aws

import "github.com/eksenv/eksenv/internal/infra"

// eksResources is a placeholder until the eks resources land.
func eksResources(c *Cloud) []infra.Resource { return nil }
