package aws

import "github.com/eksenv/eksenv/internal/infra"

// networkResources is a placeholder until the network resources land.
func networkResources(c *Cloud) []infra.Resource { return nil }
