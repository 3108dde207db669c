package sandbox

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// KubeVersion is the Kubernetes version of the control plane StartControlPlane
// runs (built by hack/build-kube.sh).
const KubeVersion = "1.33.13"

// kubeStartTimeout bounds StartControlPlane when ctx has no earlier deadline.
const kubeStartTimeout = 90 * time.Second

// ErrKubeNotBuilt is returned (wrapped) by FindBinaries when the control
// plane's binaries are not in the cache folder.
var ErrKubeNotBuilt = errors.New("the Kubernetes control plane is not built")

// kubeBinaries are the programs StartControlPlane runs from BinDir.
var kubeBinaries = []string{"etcd", "kube-apiserver", "kube-controller-manager"}

// KubeBinDir is the folder hack/build-kube.sh builds into:
// ${EKSENV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/eksenv}/bin/kube-1.33.13.
func KubeBinDir() (string, error) {
	cache := os.Getenv("EKSENV_CACHE")
	if cache == "" {
		base := os.Getenv("XDG_CACHE_HOME")
		if base == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("sandbox: find the cache folder: %w", err)
			}
			base = filepath.Join(home, ".cache")
		}
		cache = filepath.Join(base, "eksenv")
	}
	return filepath.Join(cache, "bin", "kube-"+KubeVersion), nil
}

// FindBinaries returns the folder holding etcd, kube-apiserver and
// kube-controller-manager (KubeBinDir), or an error wrapping ErrKubeNotBuilt
// that says to run hack/build-kube.sh.
func FindBinaries() (dir string, err error) {
	dir, err = KubeBinDir()
	if err != nil {
		return "", err
	}
	var missing []string
	for _, b := range kubeBinaries {
		if fi, err := os.Stat(filepath.Join(dir, b)); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			missing = append(missing, b)
		}
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("%w: %s missing from %s (build them with hack/build-kube.sh, several minutes the first time)",
			ErrKubeNotBuilt, strings.Join(missing, ", "), dir)
	}
	return dir, nil
}

// ControlPlaneOptions configure StartControlPlane.
type ControlPlaneOptions struct {
	// BinDir holds etcd, kube-apiserver and kube-controller-manager; empty
	// means FindBinaries.
	BinDir string
	// ClusterName is the EKS cluster the control plane stands for: the
	// cluster whose DescribeCluster reports it (StartWithControlPlane) and
	// the x-k8s-aws-id EKS tokens are signed for.
	ClusterName string
	// STSEndpoint is the sandbox endpoint whose presigned GetCallerIdentity
	// URLs the token webhook accepts (its scheme and host must match);
	// StartWithControlPlane sets it. Empty refuses every EKS token.
	STSEndpoint string
	// AccountID is the account of the user EKS tokens map to; empty means
	// DefaultAccountID.
	AccountID string
	// Logf, when set, receives diagnostics.
	Logf func(format string, args ...any)
}

// ControlPlane is a running etcd, kube-apiserver and kube-controller-manager
// on loopback ports, each in a process group of its own, with the sandbox's
// EKS token webhook.
type ControlPlane struct {
	opts     ControlPlaneOptions
	dir      string // temporary folder: certificates, keys, kubeconfigs, etcd data
	endpoint string // https://127.0.0.1:PORT
	caPEM    []byte
	token    string // the static admin token
	webhook  *tokenWebhook
	procs    []*kubeProc // in start order
	mu       sync.Mutex  // guards procs while starting

	stopOnce sync.Once
	stopErr  error
	done     chan struct{}
}

// Endpoint is the API server's URL, https://127.0.0.1:PORT.
func (c *ControlPlane) Endpoint() string { return c.endpoint }

// CAData is the API server's CA bundle as EKS reports it
// (certificateAuthority.data): base64 of the PEM certificate.
func (c *ControlPlane) CAData() string { return base64.StdEncoding.EncodeToString(c.caPEM) }

// CAPEM is the API server's CA bundle in PEM.
func (c *ControlPlane) CAPEM() []byte { return bytes.Clone(c.caPEM) }

// ClusterName is ControlPlaneOptions.ClusterName.
func (c *ControlPlane) ClusterName() string { return c.opts.ClusterName }

// AdminToken is the static bearer token of the sandbox's own admin user
// (group system:masters).
func (c *ControlPlane) AdminToken() string { return c.token }

// AdminKubeconfig is a kubeconfig for the API server with the static admin
// token (cluster, user and context "sandbox").
func (c *ControlPlane) AdminKubeconfig() []byte { return kubeconfig(c.endpoint, c.caPEM, c.token) }

// Output returns the last output of one of the processes ("etcd",
// "kube-apiserver", "kube-controller-manager").
func (c *ControlPlane) Output(name string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.procs {
		if p.name == name {
			return p.out.String()
		}
	}
	return ""
}

// StartControlPlane starts etcd, kube-apiserver (RBAC, service accounts,
// service range 10.96.0.0/16, a static admin token and the sandbox's EKS
// token webhook) and kube-controller-manager, and returns when the API
// server's /readyz answers ok. ctx bounds the start (90 s when it has no
// deadline) and the control plane's life: when ctx ends, it stops as if Stop
// were called. Callers must call Stop.
func StartControlPlane(ctx context.Context, opts ControlPlaneOptions) (*ControlPlane, error) {
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	if opts.AccountID == "" {
		opts.AccountID = DefaultAccountID
	}
	if opts.BinDir == "" {
		dir, err := FindBinaries()
		if err != nil {
			return nil, err
		}
		opts.BinDir = dir
	}
	startCtx := ctx
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		startCtx, cancel = context.WithTimeout(ctx, kubeStartTimeout)
		defer cancel()
	}
	begin := time.Now()
	dir, err := os.MkdirTemp("", "eksenv-kube-")
	if err != nil {
		return nil, fmt.Errorf("sandbox: control plane folder: %w", err)
	}
	c := &ControlPlane{opts: opts, dir: dir, done: make(chan struct{})}
	if err := c.start(startCtx); err != nil {
		_ = c.Stop()
		return nil, err
	}
	go func() {
		select {
		case <-ctx.Done():
			opts.Logf("sandbox: context ended (%v): stopping the control plane", ctx.Err())
			_ = c.Stop()
		case <-c.done:
		}
	}()
	opts.Logf("sandbox: control plane ready at %s in %v", c.endpoint, time.Since(begin).Round(time.Millisecond))
	return c, nil
}

func (c *ControlPlane) start(ctx context.Context) error {
	certPEM, keyPEM, err := selfSignedCert()
	if err != nil {
		return err
	}
	c.caPEM = certPEM
	saKey, saPub, err := serviceAccountKeys()
	if err != nil {
		return err
	}
	c.token = randomHex(24)
	kcmToken := randomHex(24)
	files := map[string][]byte{
		"serving.crt": certPEM,
		"serving.key": keyPEM,
		"sa.key":      saKey,
		"sa.pub":      saPub,
		// token,user,uid,"group1,group2"
		"tokens.csv": fmt.Appendf(nil, "%s,sandbox-admin,sandbox-admin,\"system:masters\"\n%s,system:kube-controller-manager,kcm,\"system:masters\"\n", c.token, kcmToken),
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return fmt.Errorf("sandbox: serving certificate: %w", err)
	}
	c.webhook, err = startTokenWebhook(cert, c.opts)
	if err != nil {
		return err
	}
	files["webhook.kubeconfig"] = kubeconfig(c.webhook.url, certPEM, "")
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(c.dir, name), data, 0o600); err != nil {
			return fmt.Errorf("sandbox: write %s: %w", name, err)
		}
	}
	path := func(name string) string { return filepath.Join(c.dir, name) }

	ports, err := freePorts(4)
	if err != nil {
		return err
	}
	clientURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	peerURL := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	apiPort, kcmPort := ports[2], ports[3]
	c.endpoint = "https://127.0.0.1:" + strconv.Itoa(apiPort)
	files = map[string][]byte{"kcm.kubeconfig": kubeconfig(c.endpoint, certPEM, kcmToken)}
	if err := os.WriteFile(path("kcm.kubeconfig"), files["kcm.kubeconfig"], 0o600); err != nil {
		return fmt.Errorf("sandbox: write kcm.kubeconfig: %w", err)
	}

	if err := c.launch("etcd",
		"--name=sandbox",
		"--data-dir="+path("etcd"),
		"--listen-client-urls="+clientURL,
		"--advertise-client-urls="+clientURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=sandbox="+peerURL,
		"--initial-cluster-state=new",
		"--unsafe-no-fsync",
		"--log-level=warn",
	); err != nil {
		return err
	}
	// The API server retries etcd until it answers: no need to wait here.
	if err := c.launch("kube-apiserver",
		"--etcd-servers="+clientURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(apiPort),
		"--tls-cert-file="+path("serving.crt"),
		"--tls-private-key-file="+path("serving.key"),
		"--authorization-mode=RBAC",
		"--token-auth-file="+path("tokens.csv"),
		"--authentication-token-webhook-config-file="+path("webhook.kubeconfig"),
		"--authentication-token-webhook-version=v1",
		"--authentication-token-webhook-cache-ttl=0s",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+path("sa.pub"),
		"--service-account-signing-key-file="+path("sa.key"),
		"--service-cluster-ip-range=10.96.0.0/16",
		"--endpoint-reconciler-type=none",
		"--allow-privileged=true",
		"--profiling=false",
		"--cert-dir="+path("apiserver-certs"),
	); err != nil {
		return err
	}
	if err := c.waitReady(ctx); err != nil {
		return err
	}
	return c.launch("kube-controller-manager",
		"--kubeconfig="+path("kcm.kubeconfig"),
		"--authentication-kubeconfig="+path("kcm.kubeconfig"),
		"--authorization-kubeconfig="+path("kcm.kubeconfig"),
		"--leader-elect=false",
		"--controllers=*,-nodeipam",
		"--root-ca-file="+path("serving.crt"),
		"--service-account-private-key-file="+path("sa.key"),
		"--bind-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(kcmPort),
		"--cert-dir="+path("kcm-certs"),
		"--profiling=false",
	)
}

// waitReady polls the API server's /readyz until it answers 200, a process
// exits or ctx ends.
func (c *ControlPlane) waitReady(ctx context.Context) error {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(c.caPEM)
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer client.CloseIdleConnections()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoint+"/readyz", nil)
		if err != nil {
			return fmt.Errorf("sandbox: readiness request: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+c.token)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		for _, p := range c.procs {
			if p.exitedEarly() {
				return fmt.Errorf("sandbox: %s exited before the API server was ready (%v); its output:\n%s", p.name, p.err, p.out.String())
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("sandbox: the API server at %s was not ready: %w; its output:\n%s", c.endpoint, ctx.Err(), c.Output("kube-apiserver"))
		case <-tick.C:
		}
	}
}

// Stop ends the controller manager, the API server and etcd (their whole
// process groups), the token webhook, and removes the temporary folder. It
// is idempotent and returns the same result every time.
func (c *ControlPlane) Stop() error {
	c.stopOnce.Do(func() {
		close(c.done)
		c.mu.Lock()
		procs := c.procs
		c.mu.Unlock()
		var errs []error
		for i := len(procs) - 1; i >= 0; i-- {
			errs = append(errs, procs[i].stop())
		}
		if c.webhook != nil {
			errs = append(errs, c.webhook.close())
		}
		if err := os.RemoveAll(c.dir); err != nil {
			errs = append(errs, fmt.Errorf("sandbox: remove %s: %w", c.dir, err))
		}
		c.stopErr = errors.Join(errs...)
		c.opts.Logf("sandbox: control plane stopped")
	})
	return c.stopErr
}

// PIDs returns the process ids (also process group ids) of the processes
// started, by name.
func (c *ControlPlane) PIDs() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := map[string]int{}
	for _, p := range c.procs {
		m[p.name] = p.cmd.Process.Pid
	}
	return m
}

// kubeProc is one process of the control plane in its own process group.
type kubeProc struct {
	name   string
	cmd    *exec.Cmd
	out    *tailBuffer
	exited chan struct{}
	err    error
}

func (c *ControlPlane) launch(name string, args ...string) error {
	bin := filepath.Join(c.opts.BinDir, name)
	cmd := exec.Command(bin, args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "ETCD_UNSUPPORTED_ARCH="+unsupportedArch())
	out := newTailBuffer(64 << 10)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = processGroupAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("sandbox: start %s: %w", bin, err)
	}
	p := &kubeProc{name: name, cmd: cmd, out: out, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	c.mu.Lock()
	c.procs = append(c.procs, p)
	c.mu.Unlock()
	c.opts.Logf("sandbox: started %s (pid %d)", name, cmd.Process.Pid)
	return nil
}

// unsupportedArch lets etcd run on architectures it calls unsupported.
func unsupportedArch() string {
	if a := os.Getenv("ETCD_UNSUPPORTED_ARCH"); a != "" {
		return a
	}
	return runtime.GOARCH
}

func (p *kubeProc) exitedEarly() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the process group, SIGKILL after a grace period.
func (p *kubeProc) stop() error {
	if p.exitedEarly() {
		_ = signalGroup(p.cmd.Process.Pid, true)
		return nil
	}
	_ = signalGroup(p.cmd.Process.Pid, false)
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		_ = signalGroup(p.cmd.Process.Pid, true)
		select {
		case <-p.exited:
		case <-time.After(5 * time.Second):
			return fmt.Errorf("sandbox: %s (pid %d) did not exit after SIGKILL", p.name, p.cmd.Process.Pid)
		}
	}
	_ = signalGroup(p.cmd.Process.Pid, true)
	return nil
}

// freePorts asks the kernel for n distinct free loopback ports.
func freePorts(n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("sandbox: find a free port: %w", err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// selfSignedCert makes an ECDSA certificate for 127.0.0.1 and localhost that
// is its own CA, valid for a year.
func selfSignedCert() (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("sandbox: serving key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return nil, nil, fmt.Errorf("sandbox: serial number: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "eksenv sandbox kube-apiserver"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(1, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.ParseIP("10.96.0.1")},
		DNSNames:              []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("sandbox: serving certificate: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("sandbox: serving key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), nil
}

// serviceAccountKeys makes the RSA key pair that signs service account
// tokens.
func serviceAccountKeys() (keyPEM, pubPEM []byte, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, fmt.Errorf("sandbox: service account key: %w", err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, nil, fmt.Errorf("sandbox: service account key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}),
		pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// kubeconfig is a kubeconfig for server with the CA caPEM and, when token is
// set, a bearer token.
func kubeconfig(server string, caPEM []byte, token string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `apiVersion: v1
kind: Config
clusters:
- name: sandbox
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: sandbox
  user:
`, server, base64.StdEncoding.EncodeToString(caPEM))
	if token != "" {
		fmt.Fprintf(&b, "    token: %s\n", token)
	} else {
		b.WriteString("    {}\n")
	}
	b.WriteString(`contexts:
- name: sandbox
  context:
    cluster: sandbox
    user: sandbox
current-context: sandbox
`)
	return []byte(b.String())
}
