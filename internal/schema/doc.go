// Package schema validates rendered Kubernetes objects offline, before any
// API call.
//
// Karpenter objects (NodePool, EC2NodeClass and NodeClaim) are checked
// against the CustomResourceDefinitions embedded in the Karpenter module that
// eksenv is built with, using the same machinery as the Kubernetes API server
// (k8s.io/apiextensions-apiserver): unknown fields are reported (pruning),
// defaults are applied, and the object is validated against the OpenAPI v3
// schema and the CEL x-kubernetes-validations rules. No rule is
// re-implemented here, so the verdict matches what the API server would say
// on create.
//
// Objects of built-in kinds (core/v1, apps/v1, rbac/v1, storage/v1, ...) and
// CustomResourceDefinitions are decoded strictly into their Go types: unknown
// fields, duplicate fields and wrongly typed values are reported. Any other
// kind is reported as having no schema.
//
// Schemas are compiled lazily, once per kind and Validator, so a Validator
// should be created once and reused. A Validator is safe for concurrent use.
package schema
