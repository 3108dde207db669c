package sandbox

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/eks/schemas"
	smithy "github.com/aws/smithy-go"
	smithytraits "github.com/aws/smithy-go/traits"
)

// The EKS routes the proxy knows must be the SDK's, for the operations it
// implements and amends at the least.
func TestEKSRoutesMatchSDK(t *testing.T) {
	sdk := map[string]*smithy.Schema{
		"CreateCluster": schemas.CreateCluster, "DescribeCluster": schemas.DescribeCluster,
		"DeleteCluster": schemas.DeleteCluster, "ListClusters": schemas.ListClusters,
		"UpdateClusterConfig": schemas.UpdateClusterConfig, "DescribeUpdate": schemas.DescribeUpdate,
		"ListUpdates":          schemas.ListUpdates,
		"CreateFargateProfile": schemas.CreateFargateProfile, "DescribeFargateProfile": schemas.DescribeFargateProfile,
		"DeleteFargateProfile": schemas.DeleteFargateProfile, "ListFargateProfiles": schemas.ListFargateProfiles,
		"CreateNodegroup": schemas.CreateNodegroup,
		"TagResource":     schemas.TagResource, "UntagResource": schemas.UntagResource, "ListTagsForResource": schemas.ListTagsForResource,
		"CreatePodIdentityAssociation":   schemas.CreatePodIdentityAssociation,
		"DescribePodIdentityAssociation": schemas.DescribePodIdentityAssociation,
		"ListPodIdentityAssociations":    schemas.ListPodIdentityAssociations,
		"UpdatePodIdentityAssociation":   schemas.UpdatePodIdentityAssociation,
		"DeletePodIdentityAssociation":   schemas.DeletePodIdentityAssociation,
		"CreateAccessEntry":              schemas.CreateAccessEntry, "DescribeAccessEntry": schemas.DescribeAccessEntry,
		"ListAccessEntries": schemas.ListAccessEntries, "UpdateAccessEntry": schemas.UpdateAccessEntry,
		"DeleteAccessEntry": schemas.DeleteAccessEntry, "AssociateAccessPolicy": schemas.AssociateAccessPolicy,
		"DisassociateAccessPolicy":     schemas.DisassociateAccessPolicy,
		"ListAssociatedAccessPolicies": schemas.ListAssociatedAccessPolicies,
		"ListAccessPolicies":           schemas.ListAccessPolicies,
		"CreateAddon":                  schemas.CreateAddon, "DescribeAddon": schemas.DescribeAddon, "ListAddons": schemas.ListAddons,
		"UpdateAddon": schemas.UpdateAddon, "DeleteAddon": schemas.DeleteAddon,
		"DescribeAddonVersions":      schemas.DescribeAddonVersions,
		"DescribeAddonConfiguration": schemas.DescribeAddonConfiguration,
	}
	ours := map[string][2]string{}
	for _, d := range eksRouteDefs {
		ours[d[2]] = [2]string{d[0], d[1]}
	}
	for op, s := range sdk {
		h, ok := smithy.SchemaTrait[*smithytraits.HTTP](s)
		if !ok {
			t.Fatalf("%s: the SDK schema has no http trait", op)
		}
		if got, want := ours[op], [2]string{h.Method, h.URI}; got != want {
			t.Errorf("%s: route %v, SDK says %v", op, got, want)
		}
	}
}

func signed(r *http.Request, service string) *http.Request {
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-west-1/"+service+"/aws4_request, SignedHeaders=host, Signature=00")
	return r
}

func TestClassify(t *testing.T) {
	form := func(method, target, body string) *http.Request {
		r := httptest.NewRequest(method, target, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		return r
	}
	json := func(target string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}"))
		r.Header.Set("X-Amz-Target", target)
		r.Header.Set("Content-Type", "application/x-amz-json-1.0")
		return r
	}
	principal := url.PathEscape("arn:aws:iam::123456789012:role/path/admin")
	cbor := httptest.NewRequest(http.MethodPost, "/service/ResourceGroupsTaggingAPI_20170126/operation/GetResources", nil)
	cbor.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
	copyObj := httptest.NewRequest(http.MethodPut, "/bucket/a/b.txt", nil)
	copyObj.Header.Set("X-Amz-Copy-Source", "/other/key")
	cases := []struct {
		r         *http.Request
		service   string
		key       string
		proto     protocol
		mutating  bool
		wantLabel [2]string
	}{
		{r: form(http.MethodPost, "/", "Action=DescribeNatGateways&Version=2016-11-15"), service: "ec2", key: "ec2:DescribeNatGateways", proto: protoEC2},
		{r: form(http.MethodPost, "/", "Action=CreateRole&Version=2010-05-08"), service: "iam", key: "iam:CreateRole", proto: protoQuery, mutating: true},
		{r: form(http.MethodGet, "/?Action=GetCallerIdentity&Version=2011-06-15", ""), service: "sts", key: "sts:GetCallerIdentity", proto: protoQuery},
		{r: json("AmazonSQS.CreateQueue"), service: "sqs", key: "sqs:CreateQueue", proto: protoJSON, mutating: true},
		{r: json("AWSEvents.PutRule"), service: "events", key: "events:PutRule", proto: protoJSON, mutating: true},
		{r: cbor, service: "tagging", key: "tagging:GetResources", proto: protoCBOR},
		{r: httptest.NewRequest(http.MethodPost, "/clusters", nil), service: "eks", key: "eks:CreateCluster", proto: protoRESTJSON, mutating: true},
		{r: httptest.NewRequest(http.MethodGet, "/clusters/c1", nil), service: "eks", key: "eks:DescribeCluster", proto: protoRESTJSON, wantLabel: [2]string{"name", "c1"}},
		{r: httptest.NewRequest(http.MethodGet, "/clusters/c1/updates/u-1", nil), service: "eks", key: "eks:DescribeUpdate", proto: protoRESTJSON, wantLabel: [2]string{"updateId", "u-1"}},
		{r: httptest.NewRequest(http.MethodPost, "/clusters/c1/addons/vpc-cni/update", nil), service: "eks", key: "eks:UpdateAddon", proto: protoRESTJSON, mutating: true, wantLabel: [2]string{"addonName", "vpc-cni"}},
		{r: httptest.NewRequest(http.MethodGet, "/addons/supported-versions?kubernetesVersion=1.33", nil), service: "eks", key: "eks:DescribeAddonVersions", proto: protoRESTJSON},
		{r: httptest.NewRequest(http.MethodGet, "/clusters/c1/access-entries/"+principal, nil), service: "eks", key: "eks:DescribeAccessEntry", proto: protoRESTJSON,
			wantLabel: [2]string{"principalArn", "arn:aws:iam::123456789012:role/path/admin"}},
		{r: httptest.NewRequest(http.MethodDelete, "/clusters/c1/access-entries/"+principal+"/access-policies/"+url.PathEscape("arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"), nil),
			service: "eks", key: "eks:DisassociateAccessPolicy", proto: protoRESTJSON, mutating: true,
			wantLabel: [2]string{"policyArn", "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"}},
		{r: httptest.NewRequest(http.MethodGet, "/tags/"+url.PathEscape("arn:aws:eks:eu-west-1:123456789012:cluster/c1"), nil), service: "eks", key: "eks:ListTagsForResource", proto: protoRESTJSON,
			wantLabel: [2]string{"resourceArn", "arn:aws:eks:eu-west-1:123456789012:cluster/c1"}},
		{r: httptest.NewRequest(http.MethodGet, "/2015-02-01/file-systems?CreationToken=x", nil), service: "elasticfilesystem", key: "elasticfilesystem:DescribeFileSystems", proto: protoRESTJSON},
		{r: httptest.NewRequest(http.MethodDelete, "/2015-02-01/mount-targets/fsmt-1", nil), service: "elasticfilesystem", key: "elasticfilesystem:DeleteMountTarget", proto: protoRESTJSON, mutating: true},
		{r: httptest.NewRequest(http.MethodGet, "/2015-02-01/file-systems/replication-configurations", nil), service: "elasticfilesystem", key: "elasticfilesystem:DescribeReplicationConfigurations", proto: protoRESTJSON},
		{r: httptest.NewRequest(http.MethodPut, "/bucket", nil), service: "s3", key: "s3:CreateBucket", proto: protoRESTXML, mutating: true},
		{r: httptest.NewRequest(http.MethodPut, "/bucket?publicAccessBlock", nil), service: "s3", key: "s3:PutPublicAccessBlock", proto: protoRESTXML, mutating: true},
		{r: httptest.NewRequest(http.MethodGet, "/bucket?list-type=2", nil), service: "s3", key: "s3:ListObjectsV2", proto: protoRESTXML},
		{r: httptest.NewRequest(http.MethodHead, "/bucket", nil), service: "s3", key: "s3:HeadBucket", proto: protoRESTXML},
		{r: httptest.NewRequest(http.MethodGet, "/bucket/a/b.txt?x-id=GetObject", nil), service: "s3", key: "s3:GetObject", proto: protoRESTXML},
		{r: copyObj, service: "s3", key: "s3:CopyObject", proto: protoRESTXML, mutating: true},
		{r: httptest.NewRequest(http.MethodDelete, "/bucket?lifecycle", nil), service: "s3", key: "s3:DeleteBucketLifecycle", proto: protoRESTXML, mutating: true},
	}
	for _, tc := range cases {
		c, err := classify(signed(tc.r, tc.service), "us-east-1")
		if err != nil {
			t.Fatal(err)
		}
		if c.key() != tc.key || c.proto != tc.proto || c.mutating() != tc.mutating || c.region != "eu-west-1" || c.accessKey != "AKID" {
			t.Errorf("%s %s: got %s proto %d mutating %v region %s key %s; want %s proto %d mutating %v",
				tc.r.Method, tc.r.URL, c.key(), c.proto, c.mutating(), c.region, c.accessKey, tc.key, tc.proto, tc.mutating)
		}
		if tc.wantLabel[0] != "" && c.labels[tc.wantLabel[0]] != tc.wantLabel[1] {
			t.Errorf("%s %s: label %s = %q, want %q", tc.r.Method, tc.r.URL, tc.wantLabel[0], c.labels[tc.wantLabel[0]], tc.wantLabel[1])
		}
	}
	// Unsigned: the default region, "unknown" service.
	c, err := classify(httptest.NewRequest(http.MethodGet, "/whatever/x", nil), "us-east-1")
	if err != nil || c.key() != "unknown:GET /whatever" || c.region != "us-east-1" {
		t.Errorf("unsigned request: %+v, %v", c, err)
	}
}

func TestLatencyScale(t *testing.T) {
	r := Realistic()
	if r.ClusterCreate != 12*time.Minute || r.ClusterDelete != 5*time.Minute || r.FargateCreate != 2*time.Minute ||
		r.FargateDelete != 3*time.Minute || r.NATCreate != 2*time.Minute || r.AddonCreate != time.Minute {
		t.Errorf("Realistic() = %+v", r)
	}
	s := r.Scale(0.01)
	if s.ClusterCreate != 7200*time.Millisecond || s.AddonDelete != 600*time.Millisecond {
		t.Errorf("Scale(0.01) = %+v", s)
	}
	if (Latency{}) != r.Scale(-1) {
		t.Errorf("Scale(-1) is not instant")
	}
}

func TestAddonCatalogOneDefaultPerVersion(t *testing.T) {
	want := []string{"aws-ebs-csi-driver", "aws-efs-csi-driver", "aws-mountpoint-s3-csi-driver", "coredns", "eks-pod-identity-agent", "kube-proxy", "vpc-cni"}
	var names []string
	for _, a := range addonCatalog {
		names = append(names, a.name)
		for _, k := range catalogK8s {
			n := 0
			for _, v := range a.versions {
				if slices.Contains(v.defaultFor, k) {
					n++
					if !slices.Contains(v.k8s, k) {
						t.Errorf("%s %s: default for %s but not compatible with it", a.name, v.version, k)
					}
				}
			}
			if n != 1 {
				t.Errorf("%s: %d defaults for Kubernetes %s, want 1", a.name, n, k)
			}
		}
	}
	slices.Sort(names)
	if !slices.Equal(names, want) {
		t.Errorf("catalog add-ons = %v, want %v", names, want)
	}
}

func TestRewriteNATItems(t *testing.T) {
	doc := `<DescribeNatGatewaysResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><natGatewaySet>` +
		`<item><natGatewayId>nat-1</natGatewayId><natGatewayAddressSet><item><allocationId>eipalloc-1</allocationId></item></natGatewayAddressSet><state>available</state><tagSet><item><key>state</key><value>x</value></item></tagSet></item>` +
		`<item><natGatewayId>nat-2</natGatewayId><state>deleted</state></item>` +
		`</natGatewaySet></DescribeNatGatewaysResponse>`
	out := rewriteNATItems([]byte(doc), func(id, state string) (string, bool) {
		if id == "nat-2" {
			return state, false
		}
		return "pending", true
	})
	want := strings.Replace(doc, "<state>available</state>", "<state>pending</state>", 1)
	want = strings.Replace(want, `<item><natGatewayId>nat-2</natGatewayId><state>deleted</state></item>`, "", 1)
	if string(out) != want {
		t.Errorf("rewrite:\n got %s\nwant %s", out, want)
	}
}

func TestWidenStateFilter(t *testing.T) {
	form := url.Values{"Action": {"DescribeNatGateways"}, "Filter.1.Name": {"state"}, "Filter.1.Value.1": {"available"},
		"Filter.2.Name": {"vpc-id"}, "Filter.2.Value.1": {"vpc-1"}}
	body, want := widenStateFilter(form)
	got, _ := url.ParseQuery(string(body))
	if !slices.Equal(want, []string{"available"}) || got.Get("Filter.1.Value.5") != "deleted" || got.Get("Filter.2.Value.1") != "vpc-1" {
		t.Errorf("widen: %v %v", want, got)
	}
}

func TestTailBuffer(t *testing.T) {
	b := newTailBuffer(8)
	_, _ = b.Write([]byte("0123456789"))
	_, _ = b.Write([]byte("ab"))
	if got := b.String(); !strings.HasSuffix(got, "456789ab") || !strings.Contains(got, "dropped") {
		t.Errorf("tail = %q", got)
	}
}

func TestFaultsDeterministic(t *testing.T) {
	c := &call{operation: "CreateCluster"}
	draw := func() []Fault {
		rng := newFaultRand(7)
		cfg := parseFaults(0.5, nil)
		var out []Fault
		for range 64 {
			f, _ := cfg.pick(rng, c)
			out = append(out, f)
		}
		return out
	}
	a, b := draw(), draw()
	if !slices.Equal(a, b) || !slices.Contains(a, 0) || !slices.Contains(a, Throttle) || !slices.Contains(a, ServerError) {
		t.Errorf("draws differ or lack a kind: %v / %v", a, b)
	}
	read := &call{operation: "DescribeCluster"}
	if _, ok := parseFaults(1, []Fault{Throttle, MutatingOnly}).pick(newFaultRand(1), read); ok {
		t.Error("MutatingOnly faulted a Describe call")
	}
}
