package sandbox

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// eksToken presigns GetCallerIdentity at endpoint for cluster, as
// aws-iam-authenticator and `aws eks get-token` do.
func eksToken(t *testing.T, endpoint, cluster string) string {
	t.Helper()
	c := sts.New(sts.Options{
		Region:       DefaultRegion,
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", "testing"),
		BaseEndpoint: aws.String(endpoint),
	})
	req, err := sts.NewPresignClient(c).PresignGetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{},
		func(o *sts.PresignOptions) {
			o.ClientOptions = append(o.ClientOptions, func(so *sts.Options) {
				so.APIOptions = append(so.APIOptions, smithyhttp.AddHeaderValue("x-k8s-aws-id", cluster))
			})
		})
	if err != nil {
		t.Fatalf("presign GetCallerIdentity: %v", err)
	}
	return EKSTokenPrefix + base64.RawURLEncoding.EncodeToString([]byte(req.URL))
}

// retoken decodes an EKS token, edits its URL and encodes it again.
func retoken(t *testing.T, token string, edit func(string) string) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(token, EKSTokenPrefix))
	if err != nil {
		t.Fatal(err)
	}
	return EKSTokenPrefix + base64.RawURLEncoding.EncodeToString([]byte(edit(string(raw))))
}

func TestReviewEKSToken(t *testing.T) {
	const endpoint = "http://127.0.0.1:4566"
	opts := ControlPlaneOptions{ClusterName: "c1", STSEndpoint: endpoint, AccountID: "210987654321"}
	good := eksToken(t, endpoint, "c1")
	now := time.Now()
	u, err := reviewEKSToken(good, opts, now)
	if err != nil {
		t.Fatalf("good token refused: %v", err)
	}
	if u.Username != "arn:aws:iam::210987654321:user/moto" || len(u.Groups) != 1 || u.Groups[0] != "system:masters" {
		t.Fatalf("user %+v", u)
	}
	bad := map[string]string{
		"wrong action": retoken(t, good, func(s string) string {
			return strings.Replace(s, "Action=GetCallerIdentity", "Action=GetSessionToken", 1)
		}),
		"wrong version":   retoken(t, good, func(s string) string { return strings.Replace(s, "Version=2011-06-15", "Version=2012-01-01", 1) }),
		"no cluster id":   retoken(t, good, func(s string) string { return strings.Replace(s, "x-k8s-aws-id", "x-other", 1) }),
		"other endpoint":  eksToken(t, "http://127.0.0.1:4567", "c1"),
		"long expiry":     retoken(t, good, func(s string) string { return s + "&X-Amz-Expires=3600" }),
		"not base64":      EKSTokenPrefix + "%%%",
		"no prefix":       strings.TrimPrefix(good, EKSTokenPrefix),
		"unsigned":        retoken(t, good, func(s string) string { return s[:strings.Index(s, "&X-Amz-Signature")] }),
		"static-looking":  "abcdef0123456789",
		"empty":           "",
		"wrong signature": retoken(t, good, func(s string) string { return strings.Replace(s, "X-Amz-Signature=", "X-Amz-Signature=zz", 1) }),
	}
	t.Logf("presigned URL: %s", mustDecode(t, good))
	for name, tok := range bad {
		if _, err := reviewEKSToken(tok, opts, now); err == nil {
			t.Errorf("%s: accepted", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	if _, err := reviewEKSToken(good, opts, now.Add(16*time.Minute)); err == nil {
		t.Errorf("a token signed 16 minutes ago was accepted")
	}
	if _, err := reviewEKSToken(good, ControlPlaneOptions{ClusterName: "c1"}, now); err == nil {
		t.Errorf("accepted without an STS endpoint")
	}
}

func mustDecode(t *testing.T, token string) string {
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(token, EKSTokenPrefix))
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func TestFindBinariesNamesTheScript(t *testing.T) {
	t.Setenv("EKSENV_CACHE", t.TempDir())
	_, err := FindBinaries()
	if !errors.Is(err, ErrKubeNotBuilt) || !strings.Contains(err.Error(), "hack/build-kube.sh") {
		t.Fatalf("FindBinaries in an empty cache: %v", err)
	}
	dir, _ := KubeBinDir()
	if want := filepath.Join(os.Getenv("EKSENV_CACHE"), "bin", "kube-"+KubeVersion); dir != want {
		t.Fatalf("KubeBinDir = %s, want %s", dir, want)
	}
}

func TestControlPlane(t *testing.T) {
	if testing.Short() {
		t.Skip("sandbox: integration test, starts moto and a Kubernetes control plane (run without -short)")
	}
	const cluster = "kube-one"
	start := time.Now()
	s, cp := ForTestWithControlPlane(t, Options{}, ControlPlaneOptions{ClusterName: cluster})
	t.Logf("sandbox and control plane started in %v", time.Since(start).Round(time.Millisecond))
	ctx := testCtx(t)

	cfg, err := clientcmd.RESTConfigFromKubeConfig(cp.AdminKubeconfig())
	must(t, err)
	kc, err := kubernetes.NewForConfig(cfg)
	must(t, err)

	t.Run("version", func(t *testing.T) {
		v, err := kc.Discovery().ServerVersion()
		must(t, err)
		if v.Major != "1" || v.Minor != "33" || v.GitVersion != "v"+KubeVersion {
			t.Fatalf("server version %+v, want %s", v, KubeVersion)
		}
	})

	t.Run("namespace lifecycle", func(t *testing.T) {
		ns, err := kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a"}}, metav1.CreateOptions{})
		must(t, err)
		_, err = kc.CoreV1().ConfigMaps(ns.Name).Create(ctx, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: "settings"}, Data: map[string]string{"k": "v"}}, metav1.CreateOptions{})
		must(t, err)
		// The controller manager's service account controllers give every
		// namespace a default service account and the root CA ConfigMap.
		eventually(t, 60*time.Second, "kube-root-ca.crt in team-a", func() bool {
			_, err := kc.CoreV1().ConfigMaps(ns.Name).Get(ctx, "kube-root-ca.crt", metav1.GetOptions{})
			return err == nil
		})
		must(t, kc.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{}))
		took := eventually(t, 60*time.Second, "namespace team-a gone", func() bool {
			_, err := kc.CoreV1().Namespaces().Get(ctx, ns.Name, metav1.GetOptions{})
			return apierrors.IsNotFound(err)
		})
		t.Logf("namespace deleted by the controller manager in %v", took.Round(time.Millisecond))
	})

	t.Run("EKS tokens", func(t *testing.T) {
		good := eksToken(t, s.Endpoint(), cluster)
		wrong := retoken(t, good, func(u string) string {
			return strings.Replace(u, "Action=GetCallerIdentity", "Action=GetSessionToken", 1)
		})
		if got := statusWithToken(t, cp, wrong); got != http.StatusUnauthorized {
			t.Errorf("wrong action: HTTP %d, want 401", got)
		}
		if got := statusWithToken(t, cp, "not-a-token"); got != http.StatusUnauthorized {
			t.Errorf("garbage token: HTTP %d, want 401", got)
		}
		if got := statusWithToken(t, cp, good); got != http.StatusOK {
			t.Errorf("good token: HTTP %d, want 200", got)
		}
		// client-go with the EKS token: the creator is cluster admin.
		tc := rest.CopyConfig(cfg)
		tc.BearerToken = good
		kt, err := kubernetes.NewForConfig(tc)
		must(t, err)
		ssr, err := kt.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
		must(t, err)
		if u := ssr.Status.UserInfo; u.Username != "arn:aws:iam::"+s.AccountID()+":user/moto" {
			t.Errorf("EKS token user %+v", u)
		}
		_, err = kt.CoreV1().Secrets("kube-system").List(ctx, metav1.ListOptions{})
		must(t, err)
	})

	t.Run("DescribeCluster", func(t *testing.T) {
		c := eks.NewFromConfig(awsConfig(s))
		createCluster(ctx, t, c, cluster, ekstypes.AuthenticationModeApi)
		createCluster(ctx, t, c, "other", ekstypes.AuthenticationModeApi)
		d, err := c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(cluster)})
		must(t, err)
		if aws.ToString(d.Cluster.Endpoint) != cp.Endpoint() || aws.ToString(d.Cluster.CertificateAuthority.Data) != cp.CAData() {
			t.Fatalf("DescribeCluster endpoint %q CA %+v, want %s and the control plane's CA", aws.ToString(d.Cluster.Endpoint), d.Cluster.CertificateAuthority, cp.Endpoint())
		}
		o, err := c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("other")})
		must(t, err)
		if aws.ToString(o.Cluster.Endpoint) == cp.Endpoint() {
			t.Fatalf("another cluster reports the control plane")
		}
	})

	t.Run("stop", func(t *testing.T) {
		pids := cp.PIDs()
		dir := cp.dir
		must(t, cp.Stop())
		for name, pid := range pids {
			if err := syscall.Kill(-pid, 0); !errors.Is(err, syscall.ESRCH) {
				t.Errorf("%s's process group %d still exists after Stop (%v)", name, pid, err)
			}
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%s still exists after Stop", dir)
		}
	})
}

// statusWithToken is the HTTP status of GET /api/v1/namespaces with token.
func statusWithToken(t *testing.T, cp *ControlPlane, token string) int {
	t.Helper()
	cfg, err := clientcmd.RESTConfigFromKubeConfig(cp.AdminKubeconfig())
	must(t, err)
	cfg.BearerToken = ""
	tr, err := rest.TransportFor(cfg)
	must(t, err)
	req, err := http.NewRequest(http.MethodGet, cp.Endpoint()+"/api/v1/namespaces", nil)
	must(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Do(req)
	must(t, err)
	resp.Body.Close()
	return resp.StatusCode
}
