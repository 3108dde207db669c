package sandbox

import "slices"

// The add-on catalog DescribeAddonVersions answers from. The versions are
// plausible (the shapes and eksbuild suffixes of the real ones, the
// compatibilities of late 2025), not a copy of AWS's list: tests and
// rehearsals need one default per add-on and Kubernetes version, and
// versions to reject.

// catalogK8s are the Kubernetes versions the catalog covers.
var catalogK8s = []string{"1.32", "1.33", "1.34"}

// addonSpec is one add-on of the catalog.
type addonSpec struct {
	name, typ, namespace string
	requiresIAM          bool
	computeTypes         []string
	// podIdentity maps each service account the add-on can get a Pod
	// Identity association for to its recommended managed policies.
	podIdentity map[string][]string
	versions    []addonVersionSpec // newest first
}

// addonVersionSpec is one version: the Kubernetes versions it runs on and
// those it is the default for.
type addonVersionSpec struct {
	version    string
	k8s        []string
	defaultFor []string
}

var addonCatalog = []addonSpec{
	{
		name: "vpc-cni", typ: "networking", namespace: "kube-system", requiresIAM: true,
		computeTypes: []string{"ec2"},
		podIdentity:  map[string][]string{"aws-node": {"arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"}},
		versions: []addonVersionSpec{
			{"v1.20.4-eksbuild.2", catalogK8s, catalogK8s},
			{"v1.20.1-eksbuild.3", catalogK8s, nil},
			{"v1.19.6-eksbuild.7", []string{"1.32", "1.33"}, nil},
			{"v1.19.2-eksbuild.1", []string{"1.32"}, nil},
		},
	},
	{
		name: "kube-proxy", typ: "networking", namespace: "kube-system",
		computeTypes: []string{"ec2", "hybrid"},
		versions: []addonVersionSpec{
			{"v1.34.0-eksbuild.2", []string{"1.34"}, []string{"1.34"}},
			{"v1.33.3-eksbuild.6", []string{"1.33"}, []string{"1.33"}},
			{"v1.33.0-eksbuild.2", []string{"1.33"}, nil},
			{"v1.32.6-eksbuild.8", []string{"1.32"}, []string{"1.32"}},
			{"v1.32.0-eksbuild.2", []string{"1.32"}, nil},
		},
	},
	{
		name: "coredns", typ: "networking", namespace: "kube-system",
		computeTypes: []string{"ec2", "fargate", "hybrid"},
		versions: []addonVersionSpec{
			{"v1.12.3-eksbuild.1", []string{"1.33", "1.34"}, []string{"1.34"}},
			{"v1.12.2-eksbuild.4", []string{"1.33", "1.34"}, []string{"1.33"}},
			{"v1.12.1-eksbuild.2", []string{"1.33"}, nil},
			{"v1.11.4-eksbuild.14", []string{"1.32"}, []string{"1.32"}},
			{"v1.11.4-eksbuild.2", []string{"1.32"}, nil},
		},
	},
	{
		name: "eks-pod-identity-agent", typ: "security", namespace: "kube-system",
		computeTypes: []string{"ec2", "hybrid"},
		versions: []addonVersionSpec{
			{"v1.3.8-eksbuild.2", catalogK8s, catalogK8s},
			{"v1.3.7-eksbuild.2", catalogK8s, nil},
			{"v1.3.4-eksbuild.1", []string{"1.32", "1.33"}, nil},
		},
	},
	{
		name: "aws-ebs-csi-driver", typ: "storage", namespace: "kube-system", requiresIAM: true,
		computeTypes: []string{"ec2"},
		podIdentity: map[string][]string{
			"ebs-csi-controller-sa": {"arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"},
		},
		versions: []addonVersionSpec{
			{"v1.48.0-eksbuild.2", catalogK8s, catalogK8s},
			{"v1.47.0-eksbuild.1", catalogK8s, nil},
			{"v1.45.0-eksbuild.2", []string{"1.32", "1.33"}, nil},
		},
	},
	{
		name: "aws-efs-csi-driver", typ: "storage", namespace: "kube-system", requiresIAM: true,
		computeTypes: []string{"ec2", "fargate"},
		podIdentity: map[string][]string{
			"efs-csi-controller-sa": {"arn:aws:iam::aws:policy/service-role/AmazonEFSCSIDriverPolicy"},
			"efs-csi-node-sa":       {"arn:aws:iam::aws:policy/service-role/AmazonEFSCSIDriverPolicy"},
		},
		versions: []addonVersionSpec{
			{"v2.1.11-eksbuild.1", catalogK8s, catalogK8s},
			{"v2.1.10-eksbuild.1", catalogK8s, nil},
			{"v2.1.9-eksbuild.1", []string{"1.32", "1.33"}, nil},
		},
	},
	{
		name: "aws-mountpoint-s3-csi-driver", typ: "storage", namespace: "kube-system", requiresIAM: true,
		computeTypes: []string{"ec2"},
		podIdentity:  map[string][]string{"s3-csi-driver-sa": {}},
		versions: []addonVersionSpec{
			{"v2.1.0-eksbuild.1", catalogK8s, catalogK8s},
			{"v2.0.0-eksbuild.1", catalogK8s, nil},
			{"v1.15.0-eksbuild.1", []string{"1.32", "1.33"}, nil},
		},
	},
}

// catalogAddon finds an add-on of the catalog.
func catalogAddon(name string) (addonSpec, bool) {
	for _, a := range addonCatalog {
		if a.name == name {
			return a, true
		}
	}
	return addonSpec{}, false
}

// defaultVersion is the add-on's default version for Kubernetes k8s.
func (a addonSpec) defaultVersion(k8s string) string {
	for _, v := range a.versions {
		if slices.Contains(v.defaultFor, k8s) {
			return v.version
		}
	}
	return ""
}

// versionIndex is v's position (0 newest) among the versions that run on
// k8s, or -1.
func (a addonSpec) versionIndex(v, k8s string) int {
	for i, av := range a.versions {
		if av.version == v && slices.Contains(av.k8s, k8s) {
			return i
		}
	}
	return -1
}

// info renders the add-on as DescribeAddonVersions's AddonInfo, its versions
// limited to those for k8s when k8s is set; ok is false when none is left.
func (a addonSpec) info(k8s string) (map[string]any, bool) {
	versions := []map[string]any{}
	for _, v := range a.versions {
		compat := []map[string]any{}
		for _, kv := range v.k8s {
			if k8s != "" && kv != k8s {
				continue
			}
			compat = append(compat, map[string]any{
				"clusterVersion":   kv,
				"platformVersions": []string{"*"},
				"defaultVersion":   slices.Contains(v.defaultFor, kv),
			})
		}
		if len(compat) == 0 {
			continue
		}
		versions = append(versions, map[string]any{
			"addonVersion":           v.version,
			"architecture":           []string{"amd64", "arm64"},
			"computeTypes":           a.computeTypes,
			"compatibilities":        compat,
			"requiresConfiguration":  false,
			"requiresIamPermissions": a.requiresIAM,
		})
	}
	if len(versions) == 0 {
		return nil, false
	}
	return map[string]any{
		"addonName":        a.name,
		"type":             a.typ,
		"addonVersions":    versions,
		"publisher":        "eks",
		"owner":            "aws",
		"defaultNamespace": a.namespace,
	}, true
}
