// Package spec defines the eksenv Environment (eksenv.dev/v1alpha1): its
// types, the defaults that reproduce the seed's environment, strict loading
// that places every problem at file:line:column and a field path, the
// semantic validation that reports every problem at once, and the names
// derived from metadata.name. It does no I/O beyond what it is handed.
package spec
