package infra

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// cloud is a fake account: a set of existing resources and a log of calls.
type cloud struct {
	mu      sync.Mutex
	exists  map[Key]string // key -> value
	foreign map[Key]bool
	log     []string
	active  atomic.Int32
	peak    atomic.Int32
}

func newCloud() *cloud { return &cloud{exists: map[Key]string{}, foreign: map[Key]bool{}} }

func (c *cloud) record(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.log = append(c.log, s)
}

func (c *cloud) calls(prefix string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, l := range c.log {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

type fake struct {
	c     *cloud
	key   Key
	deps  []Key
	want  string
	delay time.Duration
	// failures: the next n Apply calls fail with err.
	failN int32
	err   error
}

func (f *fake) Key() Key         { return f.key }
func (f *fake) Describe() string { return "fake " + string(f.key) }
func (f *fake) Deps() []Key      { return f.deps }

func (f *fake) Observe(_ context.Context, s *State) (Observation, error) {
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	if f.c.foreign[f.key] {
		return Observation{Exists: true, Foreign: "owned by someone else"}, nil
	}
	v, ok := f.c.exists[f.key]
	if !ok {
		return Observation{}, nil
	}
	o := Observation{Exists: true, ID: string(f.key), Outputs: map[string]string{"value": v}}
	if v != f.want {
		o.Changes = []string{fmt.Sprintf("value %q, want %q", v, f.want)}
	}
	return o, nil
}

func (f *fake) Apply(ctx context.Context, s *State, cur Observation) (Observation, error) {
	for _, d := range f.deps {
		if _, ok := s.Get(d); !ok || s.Output(d, "value") == "" {
			return Observation{}, fmt.Errorf("%s applied before its dependency %s", f.key, d)
		}
	}
	n := f.c.active.Add(1)
	defer f.c.active.Add(-1)
	for {
		p := f.c.peak.Load()
		if n <= p || f.c.peak.CompareAndSwap(p, n) {
			break
		}
	}
	select {
	case <-time.After(f.delay):
	case <-ctx.Done():
		return Observation{}, ctx.Err()
	}
	if atomic.AddInt32(&f.failN, -1) >= 0 {
		f.c.record("fail " + string(f.key))
		return Observation{}, f.err
	}
	f.c.mu.Lock()
	f.c.exists[f.key] = f.want
	f.c.mu.Unlock()
	action := "create"
	if cur.Exists {
		action = "update"
	}
	f.c.record(action + " " + string(f.key))
	return Observation{Exists: true, ID: string(f.key), Outputs: map[string]string{"value": f.want}}, nil
}

func (f *fake) Delete(ctx context.Context, s *State, cur Observation) error {
	f.c.mu.Lock()
	delete(f.c.exists, f.key)
	f.c.mu.Unlock()
	f.c.record("delete " + string(f.key))
	return nil
}

// diamond: vpc -> {subnet-a, subnet-b} -> cluster; iam independent -> cluster.
func diamond(c *cloud, delay time.Duration) []*fake {
	mk := func(k string, deps ...string) *fake {
		var ds []Key
		for _, d := range deps {
			ds = append(ds, Key(d))
		}
		return &fake{c: c, key: Key(k), deps: ds, want: "v1", delay: delay}
	}
	return []*fake{mk("vpc"), mk("subnet-a", "vpc"), mk("subnet-b", "vpc"), mk("iam"), mk("cluster", "subnet-a", "subnet-b", "iam")}
}

func graphOf(t *testing.T, fs []*fake) *Graph {
	t.Helper()
	rs := make([]Resource, len(fs))
	for i, f := range fs {
		rs[i] = f
	}
	g, err := NewGraph(rs)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func actions(r *Result) map[Key]Action {
	m := map[Key]Action{}
	for _, s := range r.Steps {
		m[s.Key] = s.Action
	}
	return m
}

func TestPlanApplyPlan(t *testing.T) {
	c := newCloud()
	g := graphOf(t, diamond(c, 0))
	ctx := context.Background()
	plan, err := Run(ctx, g, ModePlan, NewState(), Options{})
	if err != nil || plan.Changes() != 5 {
		t.Fatalf("plan on empty: %v %d", err, plan.Changes())
	}
	if len(c.calls("")) != 0 {
		t.Fatalf("plan acted: %v", c.calls(""))
	}
	if _, err := Run(ctx, g, ModeApply, NewState(), Options{}); err != nil {
		t.Fatal(err)
	}
	if got := len(c.calls("create")); got != 5 {
		t.Fatalf("created %d", got)
	}
	order := c.calls("create")
	if slices.Index(order, "create cluster") != 4 || slices.Index(order, "create vpc") > slices.Index(order, "create subnet-a") {
		t.Errorf("dependency order broken: %v", order)
	}
	again, err := Run(ctx, g, ModePlan, NewState(), Options{})
	if err != nil || again.Changes() != 0 {
		t.Fatalf("second plan: %v %d %v", err, again.Changes(), actions(again))
	}
	// Drift is an update.
	c.exists["iam"] = "v0"
	drift, _ := Run(ctx, g, ModePlan, NewState(), Options{})
	if a := actions(drift); a["iam"] != ActionUpdate || drift.Changes() != 1 {
		t.Fatalf("drift: %v", a)
	}
	if st, _ := drift.Step("iam"); !strings.Contains(st.Reasons[0], `value "v0"`) {
		t.Errorf("drift reason %v", st.Reasons)
	}
}

func TestParallelAndBounded(t *testing.T) {
	c := newCloud()
	var fs []*fake
	for i := 0; i < 6; i++ {
		fs = append(fs, &fake{c: c, key: Key(fmt.Sprintf("r%d", i)), want: "v", delay: 50 * time.Millisecond})
	}
	start := time.Now()
	if _, err := Run(context.Background(), graphOf(t, fs), ModeApply, NewState(), Options{Parallelism: 3}); err != nil {
		t.Fatal(err)
	}
	if p := c.peak.Load(); p != 3 {
		t.Errorf("peak concurrency %d, want 3", p)
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("6 steps of 50 ms with 3 at once took %s; the bound was not honoured", d)
	}
}

func TestFailureBlocksDependentsOnly(t *testing.T) {
	c := newCloud()
	fs := diamond(c, 0)
	fs[1].failN, fs[1].err = 100, errors.New("boom") // subnet-a always fails
	res, err := Run(context.Background(), graphOf(t, fs), ModeApply, NewState(), Options{})
	if !errors.Is(err, ErrFailed) || !strings.Contains(err.Error(), "subnet-a") {
		t.Fatalf("err %v", err)
	}
	outcome := map[Key]Outcome{}
	for _, s := range res.Steps {
		outcome[s.Key] = s.Outcome
	}
	if outcome["subnet-a"] != OutcomeFailed || outcome["cluster"] != OutcomeSkipped || outcome["subnet-b"] != OutcomeDone || outcome["iam"] != OutcomeDone {
		t.Fatalf("outcomes %v", outcome)
	}
	if st, _ := res.Step("cluster"); !strings.Contains(st.Error, "subnet-a failed") {
		t.Errorf("skip reason %q", st.Error)
	}
}

var errThrottle = errors.New("Throttling: rate exceeded")

func TestRetryThenConverge(t *testing.T) {
	c := newCloud()
	fs := diamond(c, 0)
	fs[3].failN, fs[3].err = 3, errThrottle
	var retries atomic.Int32
	opts := Options{
		Backoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond, Seed: 1,
		Classify: func(err error) ErrorClass {
			if errors.Is(err, errThrottle) {
				return Retry
			}
			return Fatal
		},
		Events: func(e Event) {
			if e.Phase == PhaseRetry {
				retries.Add(1)
			}
		},
	}
	if _, err := Run(context.Background(), graphOf(t, fs), ModeApply, NewState(), opts); err != nil {
		t.Fatal(err)
	}
	if retries.Load() != 3 || len(c.calls("fail iam")) != 3 || len(c.calls("create iam")) != 1 {
		t.Fatalf("retries %d, log %v", retries.Load(), c.calls(""))
	}
}

func TestRetryGivesUpAtTimeout(t *testing.T) {
	c := newCloud()
	f := &fake{c: c, key: "slow", want: "v", failN: 1 << 20, err: errThrottle}
	opts := Options{Backoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond,
		Timeout:  func(Key) time.Duration { return 30 * time.Millisecond },
		Classify: func(error) ErrorClass { return Retry }}
	_, err := Run(context.Background(), graphOf(t, []*fake{f}), ModeApply, NewState(), opts)
	if err == nil || !strings.Contains(err.Error(), "slow") {
		t.Fatalf("err %v", err)
	}
}

func TestForeignIsRefused(t *testing.T) {
	c := newCloud()
	fs := diamond(c, 0)
	c.foreign["vpc"] = true
	res, err := Run(context.Background(), graphOf(t, fs), ModeApply, NewState(), Options{})
	if err == nil {
		t.Fatal("a foreign resource must fail the run")
	}
	if st, _ := res.Step("vpc"); st.Action != ActionRefused || !strings.Contains(st.Error, "never adopts") {
		t.Fatalf("step %+v", st)
	}
	if len(c.calls("create vpc")) != 0 {
		t.Fatal("foreign resource was touched")
	}
	// Destroy leaves it alone too.
	c.foreign["vpc"] = true
	if _, err := Run(context.Background(), graphOf(t, fs), ModeDestroy, NewState(), Options{}); err != nil {
		t.Fatal(err)
	}
	if len(c.calls("delete vpc")) != 0 {
		t.Fatal("foreign resource deleted")
	}
}

func TestDestroyReverseOrder(t *testing.T) {
	c := newCloud()
	g := graphOf(t, diamond(c, 0))
	if _, err := Run(context.Background(), g, ModeApply, NewState(), Options{}); err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), g, ModeDestroy, NewState(), Options{})
	if err != nil || res.Changes() != 5 {
		t.Fatalf("%v %d", err, res.Changes())
	}
	del := c.calls("delete")
	if del[0] != "delete cluster" || slices.Index(del, "delete vpc") < slices.Index(del, "delete subnet-a") {
		t.Fatalf("order %v", del)
	}
	if len(c.exists) != 0 {
		t.Fatalf("left %v", c.exists)
	}
	again, _ := Run(context.Background(), g, ModeDestroy, NewState(), Options{})
	if again.Changes() != 0 {
		t.Fatalf("second destroy acted: %v", actions(again))
	}
}

func TestCancelStopsScheduling(t *testing.T) {
	c := newCloud()
	fs := diamond(c, 100*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(30*time.Millisecond, cancel)
	_, err := Run(ctx, graphOf(t, fs), ModeApply, NewState(), Options{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	if len(c.calls("create cluster")) != 0 {
		t.Fatal("cluster created after cancellation")
	}
	// Resume converges.
	if _, err := Run(context.Background(), graphOf(t, diamond(c, 0)), ModeApply, NewState(), Options{}); err != nil {
		t.Fatal(err)
	}
	if len(c.exists) != 5 {
		t.Fatalf("resume left %v", c.exists)
	}
}

func TestGraphChecks(t *testing.T) {
	c := newCloud()
	a := &fake{c: c, key: "a", deps: []Key{"b"}}
	b := &fake{c: c, key: "b", deps: []Key{"a"}}
	if _, err := NewGraph([]Resource{a, b}); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Errorf("cycle: %v", err)
	}
	if _, err := NewGraph([]Resource{&fake{c: c, key: "x", deps: []Key{"nope"}}}); err == nil || !strings.Contains(err.Error(), "unknown nope") {
		t.Errorf("unknown dep: %v", err)
	}
	if _, err := NewGraph([]Resource{&fake{c: c, key: "x"}, &fake{c: c, key: "x"}}); err == nil {
		t.Error("duplicate key accepted")
	}
}

func TestCriticalPath(t *testing.T) {
	g := graphOf(t, diamond(newCloud(), 0))
	cost := map[Key]float64{"vpc": 1, "subnet-a": 2, "subnet-b": 5, "iam": 3, "cluster": 10}
	total, path := g.CriticalPath(func(k Key) float64 { return cost[k] })
	if total != 16 || !slices.Equal(path, []Key{"vpc", "subnet-b", "cluster"}) {
		t.Fatalf("critical path %g %v", total, path)
	}
}
