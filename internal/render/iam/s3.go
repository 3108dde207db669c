package iam

// MountpointS3Policy returns the least-privilege policy that Mountpoint for
// Amazon S3 documents for full access to one bucket, p.BucketName ("IAM
// permissions" in doc/CONFIGURATION.md of awslabs/mountpoint-s3, which the
// Mountpoint for Amazon S3 CSI driver's docs and the EKS user guide,
// s3-csi-create, point to): s3:ListBucket on the bucket; s3:GetObject,
// s3:PutObject, s3:AbortMultipartUpload and s3:DeleteObject on its objects.
// It is for general purpose buckets; directory buckets need
// s3express:CreateSession instead.
func MountpointS3Policy(p Params) Document {
	bucket := BucketARN(p)
	return Document{
		Version: Version2012,
		Statement: []Statement{
			{
				Sid:      "MountpointFullBucketAccess",
				Effect:   Allow,
				Action:   List("s3:ListBucket"),
				Resource: List(bucket),
			},
			{
				Sid:    "MountpointFullObjectAccess",
				Effect: Allow,
				Action: List(
					"s3:GetObject",
					"s3:PutObject",
					"s3:AbortMultipartUpload",
					"s3:DeleteObject",
				),
				Resource: List(bucket + "/*"),
			},
		},
	}
}

// S3BucketPolicy returns the bucket policy of p.BucketName: every request to
// the bucket or its objects that does not use TLS (aws:SecureTransport
// false) is denied, for every principal. This is the policy the AWS Config
// rule s3-bucket-ssl-requests-only (Security Hub S3.5) asks for, as in AWS
// Knowledge Center "s3-bucket-policy-for-config-rule".
func S3BucketPolicy(p Params) Document {
	bucket := BucketARN(p)
	return Document{
		Version: Version2012,
		Statement: []Statement{{
			Sid:       "DenyInsecureTransport",
			Effect:    Deny,
			Principal: Principal{Any: true},
			Action:    String("s3:*"),
			Resource:  List(bucket, bucket+"/*"),
			Condition: Condition{"Bool": {"aws:SecureTransport": String("false")}},
		}},
	}
}
