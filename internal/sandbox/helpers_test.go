package sandbox

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"
)

// The tests share one sandbox (moto takes seconds to start); they do not run
// in parallel, use names of their own, and restore latency and faults.
var (
	sharedOnce sync.Once
	shared     *Sandbox
	sharedErr  error
	sharedStop context.CancelFunc
)

// hookedPrefix names the clusters the shared sandbox's ClusterEndpoint hook
// answers for.
const hookedPrefix = "hooked-"

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		if err := shared.Stop(); err != nil {
			println("sandbox: stop:", err.Error())
			code = 1
		}
		sharedStop()
	}
	os.Exit(code)
}

// sharedSandbox returns the shared sandbox, starting it on first use, and
// resets its latency, faults and counts when t ends.
func sharedSandbox(t *testing.T) *Sandbox {
	t.Helper()
	if testing.Short() {
		t.Skip("sandbox: integration test, starts moto server (run without -short)")
	}
	if _, err := lookMoto(); err != nil {
		t.Skipf("sandbox: %v", err)
	}
	sharedOnce.Do(func() {
		var ctx context.Context
		ctx, sharedStop = context.WithCancel(context.Background())
		shared, sharedErr = Start(ctx, Options{
			Seed: 42,
			ClusterEndpoint: func(name string) (string, string, bool) {
				if strings.HasPrefix(name, hookedPrefix) {
					return "https://127.0.0.1:6443", "Q0EtREFUQQ==", true
				}
				return "", "", false
			},
		})
	})
	if sharedErr != nil {
		t.Fatalf("start the shared sandbox: %v", sharedErr)
	}
	t.Cleanup(func() {
		shared.SetLatency(Latency{})
		shared.SetFaults(0)
		shared.ResetCalls()
		// moto forgets everything, and the proxy with it.
		resp, err := http.Post(shared.Endpoint()+"/moto-api/reset", "application/json", nil)
		if err != nil {
			t.Errorf("reset moto: %v", err)
			return
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("reset moto: %s", resp.Status)
		}
	})
	return shared
}

// awsConfig returns an SDK configuration pointed at s, with no retries (so
// injected faults surface at once).
func awsConfig(s *Sandbox) aws.Config {
	return aws.Config{
		Region:       s.Region(),
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", "testing"),
		BaseEndpoint: aws.String(s.Endpoint()),
		Retryer:      func() aws.Retryer { return retry.AddWithMaxAttempts(retry.NewStandard(), 1) },
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// errCode returns the API error code of err ("" if none).
func errCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// wantCode fails t unless err has API error code code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := errCode(err); got != code {
		t.Fatalf("error = %v (code %q), want code %s", err, got, code)
	}
}

// must fails t on err.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// eventually polls f every 100ms until it returns true or timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, f func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !f() {
		if time.Since(start) > timeout {
			t.Fatalf("%s: not within %v", what, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return time.Since(start)
}
