package kube

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// EntryName names the kubeconfig cluster, user and context eksenv writes
// for cluster in region: "<cluster>.<region>.eksenv". The region keeps two
// environments of the same name in different regions apart, and the suffix
// marks the entries as eksenv's (eksctl writes "<user>@<cluster>.<region>.eksctl.io",
// aws eks update-kubeconfig the cluster ARN); the name is the kubectl context.
func EntryName(cluster, region string) string {
	return cluster + "." + region + ".eksenv"
}

// Kubeconfig is a kubeconfig with one cluster, user and context, all named
// EntryName(cluster, region), and that context current. The user runs
// eksenvPath as a client.authentication.k8s.io/v1 exec credential plugin:
// `eksenv token --cluster C --region R`, never interactive, without the
// cluster information (the token needs only the name and region).
// Check endpoint and caData with CheckCluster first.
func Kubeconfig(cluster, region, endpoint, caData, eksenvPath string) *clientcmdapi.Config {
	name := EntryName(cluster, region)
	cfg := clientcmdapi.NewConfig()
	c := clientcmdapi.NewCluster()
	c.Server = endpoint
	// caData is base64 as DescribeCluster reports it; the kubeconfig field
	// holds the bytes (clientcmd encodes them as base64 again). Callers
	// check it first with CheckCluster; undecodable data is left out.
	if ca, err := decodeCA(caData); err == nil {
		c.CertificateAuthorityData = ca
	}
	cfg.Clusters[name] = c
	u := clientcmdapi.NewAuthInfo()
	u.Exec = &clientcmdapi.ExecConfig{
		APIVersion:         ExecCredentialAPIVersion,
		Command:            eksenvPath,
		Args:               []string{"token", "--cluster", cluster, "--region", region},
		InteractiveMode:    clientcmdapi.NeverExecInteractiveMode,
		ProvideClusterInfo: false,
	}
	cfg.AuthInfos[name] = u
	ctx := clientcmdapi.NewContext()
	ctx.Cluster = name
	ctx.AuthInfo = name
	cfg.Contexts[name] = ctx
	cfg.CurrentContext = name
	return cfg
}

// Merge writes cfg's clusters, users and contexts into the kubeconfig at
// path, replacing entries of the same names and keeping every other; with
// setCurrent, cfg's current context becomes the file's. An absent file
// (and its directory) is created. The file is replaced atomically (a
// temporary file in the same directory, renamed over it) with mode 0600;
// a symlink at path is followed, so the file it points at is updated.
func Merge(path string, cfg *clientcmdapi.Config, setCurrent bool) error {
	if path == "" {
		return errors.New("merge kubeconfig: no path")
	}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	existing := clientcmdapi.NewConfig()
	switch data, err := os.ReadFile(path); {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("read kubeconfig %s: %w", path, err)
	default:
		existing, err = clientcmd.Load(data)
		if err != nil {
			return fmt.Errorf("read kubeconfig %s: %w; fix or move it, or write elsewhere with --kubeconfig", path, err)
		}
	}
	for k, v := range cfg.Clusters {
		existing.Clusters[k] = v
	}
	for k, v := range cfg.AuthInfos {
		existing.AuthInfos[k] = v
	}
	for k, v := range cfg.Contexts {
		existing.Contexts[k] = v
	}
	if setCurrent && cfg.CurrentContext != "" {
		existing.CurrentContext = cfg.CurrentContext
	}
	data, err := clientcmd.Write(*existing)
	if err != nil {
		return fmt.Errorf("encode kubeconfig %s: %w", path, err)
	}
	return writeAtomic(path, data)
}

// writeAtomic replaces path with data, mode 0600.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("write kubeconfig %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write kubeconfig %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op after the rename
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("write kubeconfig %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write kubeconfig %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write kubeconfig %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write kubeconfig %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write kubeconfig %s: %w", path, err)
	}
	return nil
}

// DefaultKubeconfigPath is where kubectl looks first: the first path of
// $KUBECONFIG, else ~/.kube/config. getenv and home are passed in so
// callers (and tests) choose the environment.
func DefaultKubeconfigPath(getenv func(string) string, home func() (string, error)) (string, error) {
	for _, p := range filepath.SplitList(getenv(clientcmd.RecommendedConfigPathEnvVar)) {
		if p != "" {
			return p, nil
		}
	}
	h, err := home()
	if err != nil {
		return "", fmt.Errorf("find the kubeconfig: no $KUBECONFIG and no home directory (%w); pass --kubeconfig", err)
	}
	return filepath.Join(h, clientcmd.RecommendedHomeDir, clientcmd.RecommendedFileName), nil
}
