package sandbox

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// protocol is the AWS wire protocol of one request, which decides how the
// proxy reads its operation and how it writes an error in reply.
type protocol int

const (
	protoRESTJSON protocol = iota // EKS, EFS: method + path, JSON bodies
	protoRESTXML                  // S3: method + path + sub-resource, XML bodies
	protoJSON                     // awsJson1_0/1_1: X-Amz-Target (SQS, EventBridge, SSM)
	protoQuery                    // awsQuery: Action parameter, XML replies (IAM, STS, ELBv2)
	protoEC2                      // ec2Query: like awsQuery with EC2's own error shape
	protoCBOR                     // Smithy RPCv2 CBOR: /service/S/operation/O (tagging API)
)

// call is what the proxy knows about one request.
type call struct {
	service   string // the SigV4 credential scope's service: eks, ec2, iam, sts, sqs, s3, ...
	operation string // the API operation, e.g. CreateCluster
	region    string // the SigV4 credential scope's region, else the sandbox's
	accessKey string // the SigV4 credential's access key id
	proto     protocol
	jsonVer   string            // "1.0" or "1.1" for protoJSON
	labels    map[string]string // REST path labels, unescaped
	query     url.Values        // the URL's query
	form      url.Values        // query-protocol parameters (URL query and form body)
	body      []byte            // the request body, read in full (nil for S3)
}

// key is the name Calls counts the call under.
func (c *call) key() string { return c.service + ":" + c.operation }

// mutating reports whether the operation changes state: every operation but
// those named Describe*, List*, Get* and Head*.
func (c *call) mutating() bool { return isMutating(c.operation) }

func isMutating(op string) bool {
	for _, p := range []string{"Describe", "List", "Get", "Head"} {
		if strings.HasPrefix(op, p) {
			return false
		}
	}
	return true
}

// classify identifies r's service, region and operation. It reads r's body
// (except for S3, whose objects are streamed) and replaces it with a copy.
func classify(r *http.Request, defaultRegion string) (*call, error) {
	c := &call{region: defaultRegion, query: r.URL.Query()}
	c.service, c.region, c.accessKey = credentialScope(r, defaultRegion)
	if c.service != "s3" && r.Body != nil {
		b, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return nil, err
		}
		c.body = b
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	switch {
	case r.Header.Get("Smithy-Protocol") == "rpc-v2-cbor":
		c.proto = protoCBOR
		// /service/{ServiceName}/operation/{OperationName}
		parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
		if len(parts) == 4 && parts[0] == "service" && parts[2] == "operation" {
			c.operation = parts[3]
		}
	case r.Header.Get("X-Amz-Target") != "":
		c.proto = protoJSON
		t := r.Header.Get("X-Amz-Target")
		c.operation = t[strings.LastIndex(t, ".")+1:]
		c.jsonVer = "1.1"
		if strings.Contains(r.Header.Get("Content-Type"), "1.0") {
			c.jsonVer = "1.0"
		}
	case c.service == "s3":
		c.proto = protoRESTXML
		c.operation = classifyS3(r)
	default:
		c.form = queryParams(r, c.body)
		if action := c.form.Get("Action"); action != "" {
			c.proto = protoQuery
			if c.service == "ec2" {
				c.proto = protoEC2
			}
			c.operation = action
			break
		}
		c.proto = protoRESTJSON
		if routes, ok := restRoutes[c.service]; ok {
			c.operation, c.labels = routes.match(r.Method, r.URL.EscapedPath())
		}
	}
	if c.service == "" {
		c.service = "unknown"
	}
	if c.operation == "" {
		c.operation = r.Method + " " + firstSegment(r.URL.Path)
	}
	return c, nil
}

// credentialScope reads service, region and access key from the SigV4
// Authorization header (Credential=AKID/DATE/REGION/SERVICE/aws4_request),
// or from X-Amz-Credential of a presigned URL. SigV4a scopes have no region.
func credentialScope(r *http.Request, defaultRegion string) (service, region, accessKey string) {
	region = defaultRegion
	cred := ""
	if auth := r.Header.Get("Authorization"); auth != "" {
		if i := strings.Index(auth, "Credential="); i >= 0 {
			cred = auth[i+len("Credential="):]
			if j := strings.IndexAny(cred, ", "); j >= 0 {
				cred = cred[:j]
			}
		}
	} else {
		cred = r.URL.Query().Get("X-Amz-Credential")
	}
	parts := strings.Split(cred, "/")
	switch len(parts) {
	case 5: // AKID/date/region/service/aws4_request
		accessKey, region, service = parts[0], parts[2], parts[3]
	case 4: // SigV4a: AKID/date/service/aws4_request
		accessKey, service = parts[0], parts[2]
	}
	if region == "" {
		region = defaultRegion
	}
	return service, region, accessKey
}

// queryParams merges the URL query and a form-encoded body.
func queryParams(r *http.Request, body []byte) url.Values {
	v := r.URL.Query()
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "application/x-www-form-urlencoded" && len(body) > 0 {
		if f, err := url.ParseQuery(string(body)); err == nil {
			for k, vs := range f {
				v[k] = append(v[k], vs...)
			}
		}
	}
	return v
}

func firstSegment(p string) string {
	p = strings.Trim(p, "/")
	if i := strings.Index(p, "/"); i >= 0 {
		p = p[:i]
	}
	return "/" + p
}

// routeTable maps REST method + path templates to operation names.
type routeTable []route

type route struct {
	method, op string
	segs       []string // literal segments, or "{label}" / "{label+}"
}

// routes compiles {method, template, operation} triples.
func routes(defs [][3]string) routeTable {
	t := make(routeTable, 0, len(defs))
	for _, d := range defs {
		t = append(t, route{method: d[0], op: d[2], segs: strings.Split(strings.Trim(d[1], "/"), "/")})
	}
	return t
}

// match finds the operation for method and escaped path, preferring the
// template with the most literal segments, and returns its unescaped labels.
func (t routeTable) match(method, escapedPath string) (string, map[string]string) {
	segs := strings.Split(strings.Trim(escapedPath, "/"), "/")
	best, bestScore := -1, -1
	var bestLabels map[string]string
	for i, rt := range t {
		if rt.method != method {
			continue
		}
		labels, score, ok := matchSegs(rt.segs, segs)
		if ok && score > bestScore {
			best, bestScore, bestLabels = i, score, labels
		}
	}
	if best < 0 {
		return "", nil
	}
	return t[best].op, bestLabels
}

func matchSegs(tmpl, segs []string) (map[string]string, int, bool) {
	labels := map[string]string{}
	score := 0
	for i, ts := range tmpl {
		if strings.HasPrefix(ts, "{") && strings.HasSuffix(ts, "+}") {
			if i >= len(segs) {
				return nil, 0, false
			}
			rest := strings.Join(segs[i:], "/")
			v, err := url.PathUnescape(rest)
			if err != nil {
				return nil, 0, false
			}
			labels[ts[1:len(ts)-2]] = v
			return labels, score, true
		}
		if i >= len(segs) {
			return nil, 0, false
		}
		if strings.HasPrefix(ts, "{") {
			v, err := url.PathUnescape(segs[i])
			if err != nil || v == "" {
				return nil, 0, false
			}
			labels[ts[1:len(ts)-1]] = v
			continue
		}
		if ts != segs[i] {
			return nil, 0, false
		}
		score++
	}
	if len(tmpl) != len(segs) {
		return nil, 0, false
	}
	return labels, score, true
}

// restRoutes holds the REST-JSON services whose operations the proxy names.
var restRoutes = map[string]routeTable{
	"eks":               routes(eksRouteDefs),
	"elasticfilesystem": routes(efsRouteDefs),
}

// s3SubResources maps a bucket sub-resource query key to the noun of its
// Get/Put/Delete operations.
var s3SubResources = map[string]string{
	"accelerate":          "BucketAccelerateConfiguration",
	"acl":                 "BucketAcl",
	"analytics":           "BucketAnalyticsConfiguration",
	"cors":                "BucketCors",
	"encryption":          "BucketEncryption",
	"intelligent-tiering": "BucketIntelligentTieringConfiguration",
	"inventory":           "BucketInventoryConfiguration",
	"lifecycle":           "BucketLifecycleConfiguration",
	"location":            "BucketLocation",
	"logging":             "BucketLogging",
	"metrics":             "BucketMetricsConfiguration",
	"notification":        "BucketNotificationConfiguration",
	"object-lock":         "ObjectLockConfiguration",
	"ownershipControls":   "BucketOwnershipControls",
	"policy":              "BucketPolicy",
	"policyStatus":        "BucketPolicyStatus",
	"publicAccessBlock":   "PublicAccessBlock",
	"replication":         "BucketReplication",
	"requestPayment":      "BucketRequestPayment",
	"tagging":             "BucketTagging",
	"versioning":          "BucketVersioning",
	"website":             "BucketWebsite",
}

// classifyS3 names an S3 request (path-style addressing, which the SDK uses
// for an IP-address endpoint). The Go SDK sends the name itself as x-id on
// most operations; the rest follow from method, path and sub-resource.
func classifyS3(r *http.Request) string {
	q := r.URL.Query()
	if id := q.Get("x-id"); id != "" {
		return id
	}
	p := strings.Trim(r.URL.Path, "/")
	has := func(k string) bool { _, ok := q[k]; return ok }
	if p == "" {
		if r.Method == http.MethodGet {
			return "ListBuckets"
		}
		return r.Method + " /"
	}
	if !strings.Contains(p, "/") { // bucket
		keys := make([]string, 0, len(q))
		for k := range q {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			noun, ok := s3SubResources[k]
			if !ok {
				continue
			}
			switch r.Method {
			case http.MethodGet:
				return "Get" + noun
			case http.MethodPut:
				return "Put" + noun
			case http.MethodDelete:
				if noun == "BucketLifecycleConfiguration" {
					return "DeleteBucketLifecycle"
				}
				return "Delete" + noun
			}
		}
		switch r.Method {
		case http.MethodGet:
			switch {
			case q.Get("list-type") == "2":
				return "ListObjectsV2"
			case has("versions"):
				return "ListObjectVersions"
			case has("uploads"):
				return "ListMultipartUploads"
			}
			return "ListObjects"
		case http.MethodPut:
			return "CreateBucket"
		case http.MethodDelete:
			return "DeleteBucket"
		case http.MethodHead:
			return "HeadBucket"
		case http.MethodPost:
			if has("delete") {
				return "DeleteObjects"
			}
		}
		return r.Method + " bucket"
	}
	switch r.Method { // object
	case http.MethodGet:
		switch {
		case has("tagging"):
			return "GetObjectTagging"
		case has("acl"):
			return "GetObjectAcl"
		case has("uploadId"):
			return "ListParts"
		case has("attributes"):
			return "GetObjectAttributes"
		}
		return "GetObject"
	case http.MethodHead:
		return "HeadObject"
	case http.MethodPut:
		switch {
		case has("partNumber") && r.Header.Get("X-Amz-Copy-Source") != "":
			return "UploadPartCopy"
		case has("partNumber"):
			return "UploadPart"
		case has("tagging"):
			return "PutObjectTagging"
		case has("acl"):
			return "PutObjectAcl"
		case r.Header.Get("X-Amz-Copy-Source") != "":
			return "CopyObject"
		}
		return "PutObject"
	case http.MethodDelete:
		switch {
		case has("uploadId"):
			return "AbortMultipartUpload"
		case has("tagging"):
			return "DeleteObjectTagging"
		}
		return "DeleteObject"
	case http.MethodPost:
		switch {
		case has("uploads"):
			return "CreateMultipartUpload"
		case has("uploadId"):
			return "CompleteMultipartUpload"
		case has("restore"):
			return "RestoreObject"
		}
	}
	return r.Method + " object"
}
