package env

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/eksenv/eksenv/internal/infra"
	awsinfra "github.com/eksenv/eksenv/internal/infra/aws"
	"github.com/eksenv/eksenv/internal/spec"
)

// AWSOptions say how to reach AWS and how to run the graph.
type AWSOptions struct {
	// Config is the SDK configuration; nil loads the standard chain for the
	// spec's region (AWS_ENDPOINT_URL honoured).
	Config *sdk.Config
	// Poll is the base interval of waits (default 10 s).
	Poll time.Duration
	// Parallelism bounds concurrent steps (default 8).
	Parallelism int
	// Backoff is the first retry delay (default 1 s).
	Backoff time.Duration
	// Timeout per resource (default 30 min; the cluster takes up to 20).
	Timeout func(infra.Key) time.Duration
	// Events receives progress.
	Events func(infra.Event)
	// Now is the clock for the support-window warnings.
	Now time.Time
	// Kubernetes is the Kubernetes half of up and down; nil skips it.
	Kubernetes KubernetesHalf
}

// KubernetesHalf is what up does inside the cluster once the AWS side is
// ready, and what down does there before the AWS side is removed.
type KubernetesHalf interface {
	Up(ctx context.Context, s *Session) error
	Down(ctx context.Context, s *Session, force bool) error
}

// Session is a connection to the account for one environment: the clients,
// the account id and the resource graph.
type Session struct {
	Doc   *spec.Document
	Cloud *awsinfra.Cloud
	Graph *infra.Graph
	State *infra.State
	opts  AWSOptions
}

// Connect checks the environment offline, then reaches the account: the
// credentials (through STS), the zones of the region, and builds the graph.
func Connect(ctx context.Context, doc *spec.Document, opts AWSOptions) (*Session, error) {
	if ps := Check(doc, CheckOptions{Now: opts.Now}); ps.HasErrors() {
		return nil, &ProblemsError{Problems: ps.Errors()}
	}
	var cfg sdk.Config
	if opts.Config != nil {
		cfg = *opts.Config
	} else {
		c, err := awsinfra.LoadConfig(ctx, doc.Env.Spec.Region)
		if err != nil {
			return nil, err
		}
		cfg = c
	}
	if cfg.Region != doc.Env.Spec.Region {
		cfg = cfg.Copy()
		cfg.Region = doc.Env.Spec.Region
	}
	clients := awsinfra.NewClients(cfg)
	account, err := awsinfra.AccountID(ctx, clients.STS)
	if err != nil {
		return nil, err
	}
	if err := checkZones(ctx, clients, doc); err != nil {
		return nil, err
	}
	cloud := &awsinfra.Cloud{C: clients, Env: doc.Env, AccountID: account, Poll: opts.Poll}
	g, err := infra.NewGraph(awsinfra.Resources(cloud))
	if err != nil {
		return nil, fmt.Errorf("build the resource graph (a bug in eksenv): %w", err)
	}
	return &Session{Doc: doc, Cloud: cloud, Graph: g, State: infra.NewState(), opts: opts}, nil
}

// checkZones asks EC2 for the region's zones: a zone the account's region
// lacks is an error before anything is created.
func checkZones(ctx context.Context, c *awsinfra.Clients, doc *spec.Document) error {
	if doc.Env.Spec.Network.ExistingVPC != nil && len(doc.Env.Spec.AvailabilityZones) == 0 {
		return nil
	}
	out, err := c.EC2.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{})
	if err != nil {
		return fmt.Errorf("list the zones of %s: %w", doc.Env.Spec.Region, err)
	}
	var have []string
	for _, z := range out.AvailabilityZones {
		have = append(have, sdk.ToString(z.ZoneName))
	}
	var ps spec.Problems
	for i, z := range doc.Env.Spec.AvailabilityZones {
		if !slices.Contains(have, z) {
			ps = append(ps, spec.Problem{Path: fmt.Sprintf("spec.availabilityZones[%d]", i),
				Message: fmt.Sprintf("%q is not a zone of %s in this account; it has %s", z, doc.Env.Spec.Region, strings.Join(have, ", "))})
		}
	}
	if len(ps) > 0 {
		return &ProblemsError{Problems: doc.Place(ps)}
	}
	return nil
}

func (s *Session) runOptions() infra.Options {
	return infra.Options{
		Parallelism: s.opts.Parallelism,
		Timeout:     s.opts.Timeout,
		Classify:    awsinfra.Classify,
		Backoff:     s.opts.Backoff,
		Events:      s.opts.Events,
	}
}

// Plan observes every resource and diffs it against the spec; nothing is
// changed. It is the same walk as Apply, stopped before acting.
func (s *Session) Plan(ctx context.Context) (*infra.Result, error) {
	s.State = infra.NewState()
	return infra.Run(ctx, s.Graph, infra.ModePlan, s.State, s.runOptions())
}

// Apply converges the AWS side, then runs the Kubernetes half.
func (s *Session) Apply(ctx context.Context) (*infra.Result, error) {
	s.State = infra.NewState()
	res, err := infra.Run(ctx, s.Graph, infra.ModeApply, s.State, s.runOptions())
	if err != nil {
		return res, err
	}
	if s.opts.Kubernetes != nil {
		if err := s.opts.Kubernetes.Up(ctx, s); err != nil {
			return res, fmt.Errorf("Kubernetes half: %w", err)
		}
	}
	return res, nil
}

// DownOptions tune teardown.
type DownOptions struct {
	// DeleteData deletes a non-empty bucket and a file system holding data.
	DeleteData bool
	// Force goes on when a Kubernetes-side wait fails, leaving the rest to
	// the sweep.
	Force bool
	// Report receives the sweep's lines.
	Report func(string)
}

// DownReport is what teardown did and what is left.
type DownReport struct {
	Result *infra.Result    `json:"result"`
	Swept  []awsinfra.Swept `json:"swept"`
	Kept   []infra.Step     `json:"kept"`
	Left   []awsinfra.Swept `json:"left"`
}

// Clean reports whether nothing is left but what was kept on purpose.
func (r *DownReport) Clean() bool { return len(r.Left) == 0 }

// Down removes the environment: the Kubernetes half first (workloads,
// load balancers, claims, NodePools), then what the controllers created in
// AWS (the sweep), then the graph in reverse dependency order; finally it
// lists anything still tagged for the environment.
func (s *Session) Down(ctx context.Context, opts DownOptions) (*DownReport, error) {
	if opts.Report == nil {
		opts.Report = func(string) {}
	}
	s.Cloud.DeleteData = opts.DeleteData
	rep := &DownReport{}
	if _, err := s.Plan(ctx); err != nil && !errors.Is(err, infra.ErrFailed) {
		return rep, err
	}
	if s.opts.Kubernetes != nil {
		if o, _ := s.State.Get(awsinfra.KeyCluster); o.Exists {
			if err := s.opts.Kubernetes.Down(ctx, s, opts.Force); err != nil && !opts.Force {
				return rep, fmt.Errorf("Kubernetes half of down: %w; run down again, or with --force to leave the rest to the sweep", err)
			}
		}
	}
	vpc := s.State.Output(awsinfra.KeyVPC, "id")
	swept, err := s.Cloud.Sweep(ctx, vpc, opts.Report)
	rep.Swept = swept
	if err != nil {
		return rep, fmt.Errorf("sweep what the controllers created: %w", err)
	}
	s.State = infra.NewState()
	res, err := infra.Run(ctx, s.Graph, infra.ModeDestroy, s.State, s.runOptions())
	rep.Result = res
	var kept []string
	if res != nil {
		for _, st := range res.Steps {
			if st.Action == infra.ActionKeep || st.Action == infra.ActionRefused {
				rep.Kept = append(rep.Kept, st)
				if o, ok := s.State.Get(st.Key); ok {
					kept = append(kept, o.ID)
				}
			}
		}
	}
	if err != nil {
		return rep, err
	}
	if vpc != "" && s.Doc.Env.Spec.Network.ExistingVPC != nil {
		kept = append(kept, vpc)
		kept = append(kept, s.Doc.Env.Spec.Network.ExistingVPC.PrivateSubnetIDs...)
		kept = append(kept, s.Doc.Env.Spec.Network.ExistingVPC.PublicSubnetIDs...)
	}
	left, err := s.Cloud.Leftovers(ctx, kept)
	rep.Left = left
	if err != nil {
		return rep, err
	}
	return rep, nil
}
