package infra

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"
)

// Mode says what a run does.
type Mode int

// Modes. Plan observes and diffs; Apply does the same and then acts; Destroy
// observes everything, then deletes in reverse dependency order.
const (
	ModePlan Mode = iota
	ModeApply
	ModeDestroy
)

// Action is what a step does (or would do) to a resource.
type Action string

// Actions.
const (
	ActionNone    Action = "none"
	ActionCreate  Action = "create"
	ActionUpdate  Action = "update"
	ActionDelete  Action = "delete"
	ActionRefused Action = "refused" // a resource of that name that eksenv does not own
	ActionKeep    Action = "keep"    // destroy leaves it, for the reason given
)

// Outcome is how a step ended.
type Outcome string

// Outcomes.
const (
	OutcomePlanned Outcome = "planned" // plan mode: nothing was done
	OutcomeDone    Outcome = "done"
	OutcomeFailed  Outcome = "failed"
	OutcomeSkipped Outcome = "skipped" // a dependency failed, or the run was cancelled
)

// Step is one resource's part of a run.
type Step struct {
	Key         Key           `json:"key"`
	Description string        `json:"description"`
	Action      Action        `json:"action"`
	Reasons     []string      `json:"reasons,omitempty"`
	Outcome     Outcome       `json:"outcome"`
	Error       string        `json:"error,omitempty"`
	Duration    time.Duration `json:"duration"`
	err         error
}

// Err returns the step's error.
func (s Step) Err() error { return s.err }

// Result is the outcome of a run, steps in dependency order.
type Result struct {
	Mode  Mode   `json:"-"`
	Steps []Step `json:"steps"`
}

// Changes counts the steps that create, update or delete.
func (r *Result) Changes() int {
	n := 0
	for _, s := range r.Steps {
		if s.Action == ActionCreate || s.Action == ActionUpdate || s.Action == ActionDelete {
			n++
		}
	}
	return n
}

// Failed returns the steps that failed.
func (r *Result) Failed() []Step {
	var out []Step
	for _, s := range r.Steps {
		if s.Outcome == OutcomeFailed {
			out = append(out, s)
		}
	}
	return out
}

// Step returns the step of k.
func (r *Result) Step(k Key) (Step, bool) {
	for _, s := range r.Steps {
		if s.Key == k {
			return s, true
		}
	}
	return Step{}, false
}

// ErrorClass tells the executor what to do with an error.
type ErrorClass int

// Error classes.
const (
	Fatal ErrorClass = iota
	// Retry: throttling, a transient server error, or eventual consistency
	// (a role not yet assumable, a dependency not yet released).
	Retry
)

// Options tune a run.
type Options struct {
	// Parallelism bounds how many resources act at once (default 8).
	Parallelism int
	// Timeout is the per-resource limit for one Observe, Apply or Delete,
	// retries and waits included (default 30 minutes).
	Timeout func(Key) time.Duration
	// Classify decides whether an error is retried (default: never).
	Classify func(error) ErrorClass
	// Backoff is the first retry delay (default 1 s); it doubles up to
	// MaxBackoff (default 20 s), with full jitter.
	Backoff, MaxBackoff time.Duration
	// Events receives progress; it must be safe for concurrent calls.
	Events func(Event)
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Seed makes the jitter reproducible (0: random).
	Seed uint64
}

func (o *Options) defaults() {
	if o.Parallelism <= 0 {
		o.Parallelism = 8
	}
	if o.Timeout == nil {
		o.Timeout = func(Key) time.Duration { return 30 * time.Minute }
	}
	if o.Classify == nil {
		o.Classify = func(error) ErrorClass { return Fatal }
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 20 * time.Second
	}
	if o.Events == nil {
		o.Events = func(Event) {}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// ErrFailed is wrapped by Run's error when steps failed.
var ErrFailed = errors.New("steps failed")

// Run executes the graph in the given mode. It returns the result even on
// error; the error names the failed steps (errors.Is(err, ErrFailed)) or the
// cancellation.
func Run(ctx context.Context, g *Graph, mode Mode, s *State, opts Options) (*Result, error) {
	opts.defaults()
	r := &runner{g: g, s: s, opts: opts, steps: map[Key]*Step{}}
	seed := opts.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	r.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	s.OnReport(func(k Key, msg string) {
		opts.Events(Event{Time: opts.Now(), Key: k, Phase: PhaseWaiting, Message: msg})
	})
	for _, k := range g.Order() {
		r.steps[k] = &Step{Key: k, Description: g.Resource(k).Describe(), Action: ActionNone}
	}
	var err error
	switch mode {
	case ModePlan, ModeApply:
		err = r.walk(ctx, false, func(ctx context.Context, k Key) error { return r.converge(ctx, k, mode == ModeApply) })
	case ModeDestroy:
		err = r.walk(ctx, false, func(ctx context.Context, k Key) error { return r.observeOnly(ctx, k) })
		if err == nil {
			err = r.walk(ctx, true, func(ctx context.Context, k Key) error { return r.destroy(ctx, k) })
		}
	}
	res := &Result{Mode: mode}
	for _, k := range g.Order() {
		res.Steps = append(res.Steps, *r.steps[k])
	}
	return res, err
}

type runner struct {
	g     *Graph
	s     *State
	opts  Options
	mu    sync.Mutex
	steps map[Key]*Step
	rng   *rand.Rand
}

// walk runs fn for every key once its predecessors finished: dependencies
// first, or (reverse) dependents first. A key whose predecessor failed is
// skipped. It returns an error naming the failures, or the cancellation.
func (r *runner) walk(ctx context.Context, reverse bool, fn func(context.Context, Key) error) error {
	order := r.g.Order()
	preds := func(k Key) []Key {
		if reverse {
			return r.g.Dependents(k)
		}
		return r.g.Resource(k).Deps()
	}
	waiting := map[Key]int{}
	succ := map[Key][]Key{}
	for _, k := range order {
		ps := preds(k)
		waiting[k] = len(ps)
		for _, p := range ps {
			succ[p] = append(succ[p], k)
		}
	}
	type done struct {
		k   Key
		err error
	}
	results := make(chan done)
	sem := make(chan struct{}, r.opts.Parallelism)
	failed := map[Key]bool{}
	var ready []Key
	for _, k := range order {
		if waiting[k] == 0 {
			ready = append(ready, k)
		}
	}
	running, finished := 0, 0
	var failures []string
	start := func(k Key) {
		running++
		go func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			var err error
			if ctx.Err() != nil {
				err = ctx.Err()
				r.skip(k, "interrupted")
			} else {
				err = fn(ctx, k)
			}
			results <- done{k, err}
		}()
	}
	for finished < len(order) {
		for len(ready) > 0 {
			k := ready[0]
			ready = ready[1:]
			blocked := ""
			for _, p := range preds(k) {
				if failed[p] {
					blocked = string(p)
					break
				}
			}
			if blocked != "" {
				failed[k] = true
				r.skip(k, "not attempted: "+blocked+" failed")
				finished++
				for _, n := range succ[k] {
					waiting[n]--
					if waiting[n] == 0 {
						ready = append(ready, n)
					}
				}
				continue
			}
			start(k)
		}
		if finished == len(order) {
			break
		}
		if running == 0 {
			return fmt.Errorf("resource graph: nothing left to run but %d of %d steps unfinished", len(order)-finished, len(order))
		}
		d := <-results
		running--
		finished++
		if d.err != nil {
			failed[d.k] = true
			failures = append(failures, string(d.k))
		}
		for _, n := range succ[d.k] {
			waiting[n]--
			if waiting[n] == 0 {
				ready = append(ready, n)
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted: %w", err)
	}
	if len(failures) > 0 {
		sort.Strings(failures)
		return fmt.Errorf("%w: %s", ErrFailed, strings.Join(failures, ", "))
	}
	return nil
}

func (r *runner) step(k Key) *Step {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.steps[k]
}

func (r *runner) update(k Key, f func(*Step)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(r.steps[k])
}

func (r *runner) skip(k Key, why string) {
	r.update(k, func(s *Step) {
		s.Outcome = OutcomeSkipped
		s.Error = why
	})
	r.event(k, PhaseSkipped, why)
}

func (r *runner) fail(k Key, err error, began time.Time) error {
	if errors.Is(err, context.Canceled) {
		r.update(k, func(s *Step) {
			s.Outcome, s.Error, s.err, s.Duration = OutcomeSkipped, "interrupted", err, r.opts.Now().Sub(began)
		})
		r.event(k, PhaseSkipped, "interrupted")
		return err
	}
	r.update(k, func(s *Step) {
		s.Outcome, s.Error, s.err, s.Duration = OutcomeFailed, err.Error(), err, r.opts.Now().Sub(began)
	})
	r.event(k, PhaseFailed, err.Error())
	return err
}

func (r *runner) event(k Key, p Phase, msg string) {
	r.opts.Events(Event{Time: r.opts.Now(), Key: k, Description: r.step(k).Description, Phase: p, Message: msg})
}

// converge observes k, decides the action and, when applying, acts.
func (r *runner) converge(ctx context.Context, k Key, apply bool) error {
	res := r.g.Resource(k)
	began := r.opts.Now()
	obs, err := retry(ctx, r, k, func(ctx context.Context) (Observation, error) { return res.Observe(ctx, r.s) })
	if err != nil {
		return r.fail(k, fmt.Errorf("observe %s: %w", res.Describe(), err), began)
	}
	r.s.Set(k, obs)
	action, reasons := decide(obs)
	r.update(k, func(s *Step) { s.Action, s.Reasons = action, reasons })
	if action == ActionRefused {
		return r.fail(k, fmt.Errorf("%s: %s; eksenv never adopts or changes what it does not own: rename the environment or remove it", res.Describe(), obs.Foreign), began)
	}
	if !apply || action == ActionNone {
		outcome := OutcomePlanned
		if action == ActionNone {
			outcome = OutcomeDone
		}
		r.update(k, func(s *Step) { s.Outcome, s.Duration = outcome, r.opts.Now().Sub(began) })
		return nil
	}
	r.event(k, PhaseStarted, string(action))
	obs, err = retry(ctx, r, k, func(ctx context.Context) (Observation, error) {
		// Each attempt starts from a fresh look: an earlier attempt may have
		// created the resource before failing.
		cur, err := res.Observe(ctx, r.s)
		if err != nil {
			return cur, err
		}
		if cur.Exists && len(cur.Changes) == 0 && cur.Foreign == "" {
			return cur, nil
		}
		return res.Apply(ctx, r.s, cur)
	})
	if err != nil {
		return r.fail(k, fmt.Errorf("%s %s: %w", action, res.Describe(), err), began)
	}
	r.s.Set(k, obs)
	r.update(k, func(s *Step) { s.Outcome, s.Duration = OutcomeDone, r.opts.Now().Sub(began) })
	r.event(k, PhaseDone, string(action))
	return nil
}

func decide(obs Observation) (Action, []string) {
	switch {
	case obs.Foreign != "":
		return ActionRefused, []string{obs.Foreign}
	case !obs.Exists:
		return ActionCreate, []string{"does not exist"}
	case len(obs.Changes) > 0:
		return ActionUpdate, obs.Changes
	}
	return ActionNone, nil
}

func (r *runner) observeOnly(ctx context.Context, k Key) error {
	res := r.g.Resource(k)
	began := r.opts.Now()
	obs, err := retry(ctx, r, k, func(ctx context.Context) (Observation, error) { return res.Observe(ctx, r.s) })
	if err != nil {
		return r.fail(k, fmt.Errorf("observe %s: %w", res.Describe(), err), began)
	}
	r.s.Set(k, obs)
	return nil
}

func (r *runner) destroy(ctx context.Context, k Key) error {
	res := r.g.Resource(k)
	began := r.opts.Now()
	obs, _ := r.s.Get(k)
	switch {
	case obs.Foreign != "":
		r.update(k, func(s *Step) {
			s.Action, s.Reasons, s.Outcome = ActionRefused, []string{obs.Foreign + "; left alone"}, OutcomeDone
		})
		return nil
	case !obs.Exists:
		r.update(k, func(s *Step) { s.Outcome = OutcomeDone })
		return nil
	case obs.Retain != "":
		r.update(k, func(s *Step) {
			s.Action, s.Reasons, s.Outcome = ActionKeep, []string{obs.Retain}, OutcomeDone
		})
		r.event(k, PhaseDone, "kept: "+obs.Retain)
		return nil
	}
	r.update(k, func(s *Step) { s.Action, s.Reasons = ActionDelete, []string{"owned by the environment"} })
	r.event(k, PhaseStarted, string(ActionDelete))
	_, err := retry(ctx, r, k, func(ctx context.Context) (Observation, error) {
		cur, err := res.Observe(ctx, r.s)
		if err != nil {
			return cur, err
		}
		if !cur.Exists {
			return cur, nil
		}
		return cur, res.Delete(ctx, r.s, cur)
	})
	if err != nil {
		return r.fail(k, fmt.Errorf("delete %s: %w", res.Describe(), err), began)
	}
	r.s.Set(k, Observation{})
	r.update(k, func(s *Step) { s.Outcome, s.Duration = OutcomeDone, r.opts.Now().Sub(began) })
	r.event(k, PhaseDone, string(ActionDelete))
	return nil
}

// retry calls fn until it succeeds, fails with a fatal error, or the
// resource's timeout passes; retryable errors wait with exponential backoff
// and full jitter.
func retry(ctx context.Context, r *runner, k Key, fn func(context.Context) (Observation, error)) (Observation, error) {
	ctx, cancel := context.WithTimeout(ctx, r.opts.Timeout(k))
	defer cancel()
	delay := r.opts.Backoff
	for attempt := 1; ; attempt++ {
		obs, err := fn(ctx)
		if err == nil {
			return obs, nil
		}
		if ctx.Err() != nil {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return obs, fmt.Errorf("timed out after %s: %w", r.opts.Timeout(k), err)
			}
			return obs, ctx.Err()
		}
		if r.opts.Classify(err) != Retry {
			return obs, err
		}
		r.mu.Lock()
		wait := time.Duration(r.rng.Int64N(int64(delay) + 1))
		r.mu.Unlock()
		r.event(k, PhaseRetry, fmt.Sprintf("attempt %d: %v; retrying in %s", attempt, err, wait.Round(time.Millisecond)))
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return obs, fmt.Errorf("timed out after %s: %w", r.opts.Timeout(k), err)
			}
			return obs, ctx.Err()
		case <-time.After(wait):
		}
		delay = min(delay*2, r.opts.MaxBackoff)
	}
}
