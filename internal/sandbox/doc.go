// Package sandbox is the local stand-in for AWS (and later EKS's Kubernetes
// API): moto server behind a reverse proxy of ours that fills exactly the
// gaps moto has for the APIs eksenv calls.
//
// Start runs moto_server (moto 5.2.1, from PATH) on a free loopback port with
// MOTO_IAM_LOAD_MANAGED_POLICIES=true and a fixed account id, and a proxy on
// another loopback port. Clients use the proxy's Endpoint (or Env). The proxy
// names every request from its SigV4 credential scope (the service) and its
// X-Amz-Target, Action parameter, RPCv2 CBOR path or REST method and path
// (the operation), counts it (Calls, MutatingCalls), optionally fails it
// (SetFaults), and either answers it itself or forwards it to moto.
//
// What the SDK in go.mod speaks: EKS and EFS REST-JSON, S3 REST-XML, EC2 the
// EC2 query protocol, IAM, STS and ELBv2 the query protocol, SQS, EventBridge,
// SSM and Pricing JSON (X-Amz-Target), and the Resource Groups Tagging API
// JSON 1.1 at v1.41.x; from v1.42.0 on the tagging API speaks Smithy RPCv2
// CBOR, which moto 5.2.1 does not (the proxy names and faults CBOR calls but
// does not translate them: keep that module below v1.42.0).
//
// # The gaps filled (the one place eksenv says what moto lacks)
//
// Conditions only a real account reaches (an account limit such as
// AddressLimitExceeded on AllocateAddress) are played with FailOperation,
// which answers one operation with a given AWS error in its protocol.
//
// Bucket policies: moto applies a policy's Deny statements to object calls
// but ignores their conditions, so a TLS-only policy (deny when
// aws:SecureTransport is false) refuses every object call. The proxy keeps
// bucket policies itself (Put stores, Get answers, Delete and DeleteBucket
// forget) and never forwards them to moto.
//
// The cluster security group: EKS makes one per cluster in its VPC and
// reports it as resourcesVpcConfig.clusterSecurityGroupId; moto reports
// none. The proxy creates it in moto (in the VPC of the cluster's first
// subnet, tagged kubernetes.io/cluster/<name>=owned) when CreateCluster
// succeeds, reports it with the VPC id, and deletes it on DeleteCluster.
//
// EKS APIs moto answers with an HTML 404, emulated in memory per cluster with
// AWS's paths, JSON shapes and errors (ResourceNotFoundException,
// ResourceInUseException, InvalidParameterException, InvalidRequestException
// in x-amzn-errortype with a {"message": ...} body):
//
//   - Pod Identity associations: Create, Describe, List (namespace and
//     serviceAccount filters), Update, Delete. One association per
//     namespace/service account; associations an add-on owns (ownerArn) can
//     be changed only through the add-on.
//   - Access entries: Create, Describe, List (associatedPolicyArn filter),
//     Update, Delete; AssociateAccessPolicy, DisassociateAccessPolicy,
//     ListAssociatedAccessPolicies, ListAccessPolicies. Types STANDARD (the
//     default) and EC2_LINUX and the other node types, which take no
//     Kubernetes groups, username or access policies; every call needs the
//     cluster's authentication mode to be API or API_AND_CONFIG_MAP. With
//     bootstrapClusterCreatorAdminPermissions (the default) the caller moto's
//     STS names (arn:aws:iam::ACCOUNT:user/moto for the dummy credentials)
//     gets a STANDARD entry with AmazonEKSClusterAdminPolicy, as on AWS.
//   - Add-ons: CreateAddon (with podIdentityAssociations, which create owned
//     associations, and configurationValues, which must be a JSON or YAML
//     object), DescribeAddon, ListAddons, UpdateAddon (no downgrades),
//     DeleteAddon (deletes the owned associations), DescribeAddonVersions and
//     DescribeAddonConfiguration from a catalog of plausible versions of
//     vpc-cni, kube-proxy, coredns, eks-pod-identity-agent,
//     aws-ebs-csi-driver, aws-efs-csi-driver and aws-mountpoint-s3-csi-driver,
//     one marked default per Kubernetes version 1.32, 1.33 and 1.34.
//     CreateAddon needs an ACTIVE cluster.
//   - DescribeUpdate and ListUpdates, for the updates UpdateAddon and
//     UpdateClusterConfig return.
//   - TagResource, UntagResource and ListTagsForResource on the ARNs of those
//     add-ons, associations and access entries (moto tags clusters only).
//   - Tags given on create are kept and returned.
//
// EKS APIs moto answers incompletely:
//
//   - CreateCluster and DescribeCluster: moto drops accessConfig; the proxy
//     remembers authenticationMode and bootstrapClusterCreatorAdminPermissions
//     from the CreateCluster request (AWS's default: CONFIG_MAP, true) and adds
//     accessConfig to every cluster it returns.
//   - UpdateClusterConfig: moto ignores accessConfig and answers with the
//     cluster instead of an update. The proxy applies accessConfig itself
//     (CONFIG_MAP → API_AND_CONFIG_MAP → API only, as AWS), forwards the other
//     settings to moto, and answers with an Update that DescribeUpdate knows.
//   - DeleteCluster deletes the cluster's add-ons, associations and entries.
//   - DescribeCluster reports, for clusters past CREATING, the endpoint and CA
//     of Options.ClusterEndpoint when it is set (moto's are made up).
//
// IAM and EFS APIs moto lacks, kept as an overlay on moto's objects:
//
//   - IAM AddClientIDToOpenIDConnectProvider and
//     RemoveClientIDFromOpenIDConnectProvider: the proxy keeps the ids added
//     and removed and amends GetOpenIDConnectProvider's ClientIDList
//     (unknown providers get moto's NoSuchEntity).
//   - EFS UpdateFileSystem (throughput mode and provisioned MiB/s, checked as
//     EFS does): the proxy keeps the setting and amends DescribeFileSystems.
//
// States moto reports final at once, made to take the time of Options.Latency
// (SetLatency; zero is instant):
//
//   - EKS clusters CREATING (no endpoint or CA yet, as AWS) until
//     ClusterCreate has passed since CreateCluster, then ACTIVE; DeleteCluster
//     deletes in moto at once, and the proxy answers DescribeCluster and
//     ListClusters with the cluster DELETING until ClusterDelete has passed,
//     then ResourceNotFoundException.
//   - Fargate profiles CREATING → ACTIVE (FargateCreate) and DELETING → gone
//     (FargateDelete), the same way.
//   - EC2 NAT gateways pending → available (NATCreate) and deleting → deleted
//     (NATDelete) in CreateNatGateway and DescribeNatGateways, whose state
//     filter is applied to the reported states.
//   - EKS add-ons CREATING (and UPDATING) → ACTIVE (AddonCreate), DELETING →
//     gone (AddonDelete).
//
// Rules AWS enforces and moto does not:
//
//   - DeleteCluster with Fargate profiles still attached (in any state) is
//     refused with ResourceInUseException. (moto refuses node groups itself.)
//   - Only one Fargate profile per cluster may be CREATING or DELETING: a
//     second CreateFargateProfile or DeleteFargateProfile meanwhile gets
//     ResourceInUseException ("Cannot create Fargate Profile p2 because
//     cluster c currently has Fargate profile p1 in status CREATING").
//   - CreateFargateProfile, CreateNodegroup and CreateAddon on a cluster that
//     is not ACTIVE get InvalidRequestException (moto checks its own status,
//     which is always ACTIVE).
//   - CreateCluster with the name of a cluster still DELETING gets
//     ResourceInUseException.
//
// Everything else goes to moto unchanged. EKS operations neither moto nor
// the proxy implements get a 400 SandboxNotImplemented error naming the
// operation instead of moto's HTML 404.
//
// # Faults
//
// SetFaults fails a fraction of calls, deterministically for Options.Seed,
// before they reach moto (so they change nothing), with the protocol's
// throttling error (ThrottlingException, RequestLimitExceeded for EC2,
// Throttling for query services, SlowDown for S3) or an internal error
// (InternalFailure, InternalError for EC2 and S3), which the SDK classifies as
// retryable. The sandbox's own endpoints (/_sandbox/healthz, /_sandbox/calls)
// and moto's (/moto-api/) are never faulted nor counted.
//
// # A Kubernetes control plane
//
// StartControlPlane (kube.go) runs a real etcd 3.5.35, kube-apiserver and
// kube-controller-manager 1.33.13 on free loopback ports, each in a process
// group of its own, from binaries hack/build-kube.sh builds into
// ${EKSENV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/eksenv}/bin/kube-1.33.13
// (FindBinaries; ForTestControlPlane skips a test when they are missing). The
// API server has a self-signed serving certificate for 127.0.0.1 made in Go
// (CAData reports it base64 PEM, as EKS does), RBAC, service account keys,
// the service range 10.96.0.0/16, a static admin token (AdminKubeconfig) and
// a token webhook of the sandbox's that plays EKS's authenticator: it accepts
// "k8s-aws-v1." + base64url(presigned STS GetCallerIdentity URL) when the URL
// is for the sandbox's STS endpoint, signs x-k8s-aws-id, is at most 15
// minutes old and expires within 15 (the header's value, the cluster name,
// travels outside the URL and the signature is not checked), and maps it to
// arn:aws:iam::ACCOUNT:user/moto in system:masters, the cluster creator's
// admin access entry. StartWithControlPlane (or ForTestWithControlPlane)
// starts a sandbox and a control plane together and sets the
// ClusterEndpoint hook so that DescribeCluster of ControlPlaneOptions.ClusterName
// reports the control plane. Cold start with the binaries built: a few
// seconds, mostly the API server's post-start hooks.
package sandbox
