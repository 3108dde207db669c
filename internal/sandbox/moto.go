package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// motoBinary is the program Start runs; it comes with the Python package moto
// installed with its server extra.
const motoBinary = "moto_server"

// motoInstallHint says how to get motoBinary onto PATH.
const motoInstallHint = `install it with: pip install "moto[server]==5.2.1"`

// motoStartTimeout bounds how long Start waits for moto to answer when the
// caller's context has no earlier deadline. moto imports a large Python
// package tree, so a cold start takes several seconds.
const motoStartTimeout = 90 * time.Second

// ErrMotoNotFound is returned (wrapped) by Start when moto_server is not on
// PATH.
var ErrMotoNotFound = errors.New("moto_server not found on PATH")

// motoProcess is one running moto_server in its own process group.
type motoProcess struct {
	cmd    *exec.Cmd
	port   int
	stderr *tailBuffer
	exited chan struct{} // closed when the process has been waited for
	err    error         // the process's exit status, set before exited closes

	stopOnce sync.Once
	stopErr  error
}

// lookMoto finds moto_server on PATH.
func lookMoto() (string, error) {
	path, err := exec.LookPath(motoBinary)
	if err != nil {
		return "", fmt.Errorf("%w (%s): %v", ErrMotoNotFound, motoInstallHint, err)
	}
	return path, nil
}

// startMoto starts moto_server on a free loopback port and waits until it
// answers. A port taken between choosing and binding makes moto exit at once;
// startMoto then tries another port, a few times.
func startMoto(ctx context.Context, accountID string, logf func(string, ...any)) (*motoProcess, error) {
	path, err := lookMoto()
	if err != nil {
		return nil, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, motoStartTimeout)
		defer cancel()
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		m, err := launchMoto(path, port, accountID)
		if err != nil {
			return nil, err
		}
		logf("sandbox: started %s (pid %d) on 127.0.0.1:%d", path, m.cmd.Process.Pid, port)
		err = m.waitReady(ctx)
		if err == nil {
			return m, nil
		}
		_ = m.stop()
		lastErr = err
		if ctx.Err() != nil || !m.exitedEarly() {
			break
		}
	}
	return nil, lastErr
}

// launchMoto runs moto_server on port without waiting for it.
func launchMoto(path string, port int, accountID string) (*motoProcess, error) {
	cmd := exec.Command(path, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Env = append(os.Environ(),
		"MOTO_IAM_LOAD_MANAGED_POLICIES=true",
		"MOTO_ACCOUNT_ID="+accountID,
		"PYTHONUNBUFFERED=1",
	)
	stderr := newTailBuffer(64 << 10)
	cmd.Stdout = stderr
	cmd.Stderr = stderr
	cmd.SysProcAttr = processGroupAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("sandbox: start %s: %w", path, err)
	}
	m := &motoProcess{cmd: cmd, port: port, stderr: stderr, exited: make(chan struct{})}
	go func() {
		m.err = cmd.Wait()
		close(m.exited)
	}()
	return m, nil
}

// url is moto's base URL.
func (m *motoProcess) url() string { return "http://127.0.0.1:" + strconv.Itoa(m.port) }

// pid is the process id of moto_server (also its process group id).
func (m *motoProcess) pid() int { return m.cmd.Process.Pid }

// exitedEarly reports whether the process has already ended.
func (m *motoProcess) exitedEarly() bool {
	select {
	case <-m.exited:
		return true
	default:
		return false
	}
}

// waitReady polls moto's dashboard until it answers, the process exits or
// ctx ends.
func (m *motoProcess) waitReady(ctx context.Context) error {
	client := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.url()+"/moto-api/", nil)
		if err != nil {
			return fmt.Errorf("sandbox: moto readiness request: %w", err)
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return nil
			}
		}
		select {
		case <-m.exited:
			return fmt.Errorf("sandbox: moto_server exited before answering (%v); its output:\n%s", m.err, m.stderr.String())
		case <-ctx.Done():
			return fmt.Errorf("sandbox: moto_server did not answer on 127.0.0.1:%d: %w; its output:\n%s", m.port, ctx.Err(), m.stderr.String())
		case <-tick.C:
		}
	}
}

// stop ends the whole process group: SIGTERM, then SIGKILL after a grace
// period, and waits for the process. It is idempotent.
func (m *motoProcess) stop() error {
	m.stopOnce.Do(func() {
		if m.exitedEarly() {
			return
		}
		_ = signalGroup(m.cmd.Process.Pid, false)
		select {
		case <-m.exited:
		case <-time.After(5 * time.Second):
			_ = signalGroup(m.cmd.Process.Pid, true)
			select {
			case <-m.exited:
			case <-time.After(5 * time.Second):
				m.stopErr = fmt.Errorf("sandbox: moto_server (pid %d) did not exit after SIGKILL", m.cmd.Process.Pid)
			}
		}
		// Children that ignored SIGTERM would survive the leader: make sure.
		_ = signalGroup(m.cmd.Process.Pid, true)
	})
	return m.stopErr
}

// freePort asks the kernel for a free loopback TCP port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("sandbox: find a free port: %w", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		return 0, fmt.Errorf("sandbox: find a free port: %w", err)
	}
	return port, nil
}

// tailBuffer keeps the last max bytes written to it; it is safe for
// concurrent use.
type tailBuffer struct {
	mu    sync.Mutex
	max   int
	buf   []byte
	total int64
}

func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

// Write implements io.Writer; it never fails.
func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.total += int64(len(p))
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

// String returns what is kept, marked when older output was dropped.
func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := string(t.buf)
	if t.total > int64(len(t.buf)) {
		s = "[… earlier output dropped]\n" + s
	}
	return strings.TrimRight(s, "\n")
}
