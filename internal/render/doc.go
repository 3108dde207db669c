// Package render derives everything eksenv writes or applies from an
// Environment, as pure functions: Kubernetes objects (NodePools and
// EC2NodeClasses, StorageClasses, the S3 volume, Portainer, the smoke tests),
// Helm values, IAM documents (subpackage iam), the equivalent eksctl
// ClusterConfig, and the exported file tree in the seed's layout. Output is
// deterministic: the same input gives byte-identical files, which the golden
// tests under testdata/ hold (refresh them with go test -update).
package render
