package sandbox

import (
	"io"
	"net/http"
	"strings"
)

// Bucket policies. moto applies a bucket policy's Deny statements to object
// requests but ignores their conditions, so the TLS-only policy eksenv puts
// on its bucket (deny when aws:SecureTransport is false) refuses every
// PutObject and DeleteObjects over the emulator. The proxy keeps bucket
// policies itself: PutBucketPolicy is stored (after checking the bucket
// exists) and not forwarded, GetBucketPolicy answers the stored document,
// DeleteBucketPolicy and DeleteBucket forget it.

func (p *proxy) handleBucketPolicy(w http.ResponseWriter, r *http.Request, c *call) {
	bucket, _, _ := strings.Cut(strings.Trim(r.URL.Path, "/"), "/")
	p.stateMu.Lock()
	defer p.stateMu.Unlock()
	switch c.operation {
	case "PutBucketPolicy":
		m, err := p.motoDo(r.Context(), r, http.MethodHead, "/"+bucket, "", "", nil)
		if err != nil {
			p.badGateway(w, c, err)
			return
		}
		if !m.ok() {
			writeS3Error(w, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist")
			return
		}
		body := c.body
		if body == nil { // the classifier leaves S3 bodies unread
			b, err := io.ReadAll(r.Body)
			if err != nil {
				writeS3Error(w, http.StatusBadRequest, "IncompleteBody", "sandbox: read the policy: "+err.Error())
				return
			}
			body = b
		}
		p.bucketPolicies[bucket] = body
		w.WriteHeader(http.StatusNoContent)
	case "GetBucketPolicy":
		doc, ok := p.bucketPolicies[bucket]
		if !ok {
			p.rp.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	case "DeleteBucketPolicy":
		delete(p.bucketPolicies, bucket)
		w.WriteHeader(http.StatusNoContent)
	case "DeleteBucket":
		delete(p.bucketPolicies, bucket)
		p.rp.ServeHTTP(w, r)
	}
}
