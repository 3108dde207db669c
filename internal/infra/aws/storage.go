package aws

import "github.com/eksenv/eksenv/internal/infra"

// storageResources is a placeholder until the storage resources land.
func storageResources(c *Cloud) []infra.Resource { return nil }
