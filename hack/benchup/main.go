// Command benchup measures eksenv up against the local sandbox with a
// scaled latency profile: its wall time against the critical path of the
// resource graph computed from the same profile, against the same steps run
// one at a time, and the API calls of a plan on the converged environment.
//
//	go run ./hack/benchup -scale 0.01
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/eksenv/eksenv/internal/env"
	"github.com/eksenv/eksenv/internal/infra"
	"github.com/eksenv/eksenv/internal/sandbox"
	"github.com/eksenv/eksenv/internal/spec"
)

func main() {
	scale := flag.Float64("scale", 0.01, "fraction of the realistic durations (FACTS.md) the sandbox plays")
	serial := flag.Bool("serial", true, "also run the steps one at a time for the ratio")
	flag.Parse()
	if err := run(*scale, *serial); err != nil {
		fmt.Fprintln(os.Stderr, "benchup:", err)
		os.Exit(1)
	}
}

func run(scale float64, serial bool) error {
	lat := sandbox.Realistic().Scale(scale)
	par, calls, path, crit, n, err := once(lat, 8)
	if err != nil {
		return err
	}
	fmt.Printf("latency profile: realistic x %g (cluster %s, Fargate profile %s, NAT %s, add-on %s)\n",
		scale, lat.ClusterCreate, lat.FargateCreate, lat.NATCreate, lat.AddonCreate)
	fmt.Printf("resources: %d\n", n)
	fmt.Printf("critical path: %s  (%s)\n", crit.Round(time.Millisecond), strings.Join(path, " -> "))
	fmt.Printf("up, parallel:  %s  = %.2f x the critical path\n", par.Round(time.Millisecond), float64(par)/float64(crit))
	fmt.Printf("plan on the converged environment: %d API calls = %.2f per resource\n", calls, float64(calls)/float64(n))
	if serial {
		one, _, _, _, _, err := once(lat, 1)
		if err != nil {
			return err
		}
		fmt.Printf("up, one step at a time: %s  (parallel is %.2f x faster)\n", one.Round(time.Millisecond), float64(one)/float64(par))
	}
	return nil
}

// cost is the latency the profile gives a resource's creation.
func cost(lat sandbox.Latency, k infra.Key) time.Duration {
	s := string(k)
	switch {
	case s == "eks/cluster":
		return lat.ClusterCreate
	case strings.HasPrefix(s, "eks/fargate-profile/"):
		return lat.FargateCreate
	case strings.HasPrefix(s, "ec2/nat-gateway/"):
		return lat.NATCreate
	case strings.HasPrefix(s, "eks/addon/"):
		return lat.AddonCreate
	}
	return 0
}

func once(lat sandbox.Latency, parallelism int) (wall time.Duration, planCalls int, path []string, crit time.Duration, n int, err error) {
	ctx := context.Background()
	sb, err := sandbox.Start(ctx, sandbox.Options{Region: "us-west-2", Latency: lat})
	if err != nil {
		return 0, 0, nil, 0, 0, err
	}
	defer sb.Stop()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-west-2"), config.WithBaseEndpoint(sb.Endpoint()),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")))
	if err != nil {
		return 0, 0, nil, 0, 0, err
	}
	opts := env.AWSOptions{Config: &cfg, Poll: 20 * time.Millisecond, Backoff: 20 * time.Millisecond, Parallelism: parallelism, Now: time.Now()}
	sess, err := env.Connect(ctx, spec.DefaultDocument(), opts)
	if err != nil {
		return 0, 0, nil, 0, 0, err
	}
	total, keys := sess.Graph.CriticalPath(func(k infra.Key) float64 { return float64(cost(lat, k)) })
	for _, k := range keys {
		if cost(lat, k) > 0 {
			path = append(path, string(k))
		}
	}
	start := time.Now()
	if _, err := sess.Apply(ctx); err != nil {
		return 0, 0, nil, 0, 0, fmt.Errorf("up: %w", err)
	}
	wall = time.Since(start)
	sb.ResetCalls()
	plan, err := env.Connect(ctx, spec.DefaultDocument(), opts)
	if err != nil {
		return 0, 0, nil, 0, 0, err
	}
	res, err := plan.Plan(ctx)
	if err != nil || res.Changes() != 0 {
		return 0, 0, nil, 0, 0, fmt.Errorf("plan after up: %v, %d changes", err, res.Changes())
	}
	for op, c := range sb.Calls() {
		if op != "sts:GetCallerIdentity" && op != "ec2:DescribeAvailabilityZones" {
			planCalls += c
		}
	}
	return wall, planCalls, path, time.Duration(total), sess.Graph.Len(), nil
}
