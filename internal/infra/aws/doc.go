// Package aws holds eksenv's AWS resources, one file per kind (network,
// IAM, EKS, queue and rules, EFS, S3), each implementing infra.Resource
// against a narrow interface that lists only the SDK methods it calls, plus
// the clients (built in one place), the error classification the executor
// retries by, and the teardown sweep of what controllers created.
//
// Ownership: everything eksenv creates carries the tag
// eksenv.dev/environment=<name> (and eksenv.dev/resource=<key> where AWS has
// no unique name), set at creation so that an interrupted run is resumed
// without duplicates. A named resource (role, cluster, queue, bucket) that
// exists without the tag belongs to someone else: it is reported, never
// adopted, changed or deleted.
package aws
