// Package infra is the resource graph: the Resource abstraction, the plan
// (observe every resource, diff it against the desired state), and the
// executor that applies or destroys resources in dependency order, in
// parallel and bounded, with retries for throttling and eventual
// consistency, per-resource timeouts and progress events. Plan and apply are
// one code path: a plan is an apply that stops after the diff. It knows
// nothing of AWS; internal/infra/aws supplies the resources and the error
// classification.
package infra

import (
	"context"
	"sync"
)

// Key identifies a resource in the graph, e.g. "ec2/vpc" or
// "eks/fargate-profile/system". Keys are stable across runs.
type Key string

// Observation is what a resource found in the account.
type Observation struct {
	// Exists is true when the resource is there (in any state but gone).
	Exists bool
	// ID is the live identifier (vpc-..., an ARN, a name).
	ID string
	// Outputs are values dependents need (ids, ARNs, endpoints).
	Outputs map[string]string
	// Changes lists what differs from the desired state; empty when in sync.
	// Filled by Observe; each entry is a short sentence ("tags differ").
	Changes []string
	// Foreign is set when something of that name exists but eksenv does not
	// own it: eksenv never adopts, changes or deletes such a resource.
	Foreign string
	// Retain, when set, keeps the resource on destroy and says why (data
	// kept without --delete-data, an account-wide service-linked role).
	Retain string
}

// Output returns an output value ("" when absent).
func (o Observation) Output(name string) string { return o.Outputs[name] }

// Resource is one thing eksenv manages. Observe reads the live state and
// compares it to the desired state; Apply creates the resource or brings it
// in line and waits until it is usable; Delete removes it and waits until it
// is gone. Each call may be retried, so each must be idempotent.
type Resource interface {
	Key() Key
	// Describe is one line for plans and progress, e.g. "VPC eks-env-vpc 10.0.0.0/16".
	Describe() string
	// Deps are the keys this resource needs first (and outlives on delete).
	Deps() []Key
	Observe(ctx context.Context, s *State) (Observation, error)
	Apply(ctx context.Context, s *State, current Observation) (Observation, error)
	Delete(ctx context.Context, s *State, current Observation) error
}

// State holds the observations of a run, shared by the resources: a
// resource reads its dependencies' outputs from it. Safe for concurrent use.
type State struct {
	mu     sync.RWMutex
	obs    map[Key]Observation
	events func(Key, string)
}

// OnReport sets where Report sends its messages (Run sets it to its events).
func (s *State) OnReport(f func(Key, string)) { s.events = f }

// Report tells the progress view what a resource is doing or waiting for,
// e.g. "cluster CREATING, 4m10s so far".
func (s *State) Report(k Key, msg string) {
	if s.events != nil {
		s.events(k, msg)
	}
}

// NewState returns an empty state.
func NewState() *State { return &State{obs: map[Key]Observation{}} }

// Get returns the observation of k.
func (s *State) Get(k Key) (Observation, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, ok := s.obs[k]
	return o, ok
}

// Output returns an output of k ("" when k or the output is unknown).
func (s *State) Output(k Key, name string) string {
	o, _ := s.Get(k)
	return o.Outputs[name]
}

// Set records the observation of k.
func (s *State) Set(k Key, o Observation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.obs[k] = o
}
