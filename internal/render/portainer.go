package render

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/eksenv/eksenv/internal/placement"
	"github.com/eksenv/eksenv/internal/spec"
)

// Names of Portainer's objects.
const (
	PortainerNamespace      = "portainer"
	PortainerName           = "portainer"
	PortainerServiceAccount = "portainer-sa-clusteradmin"
	PortainerClass          = "portainer-efs"
	PortainerClaim          = "portainer-data"
	// PortainerVolume is the statically provisioned EFS volume of a
	// Fargate-hosted Portainer.
	PortainerVolume = "portainer-data"
	// PortainerHTTPSPort serves the UI over HTTPS (self-signed certificate);
	// PortainerHTTPPort is the legacy plain-HTTP port.
	PortainerHTTPSPort = 9443
	PortainerHTTPPort  = 9000
)

// Annotations of the AWS Load Balancer Controller.
const (
	albScheme            = "alb.ingress.kubernetes.io/scheme"
	albTargetType        = "alb.ingress.kubernetes.io/target-type"
	albBackendProtocol   = "alb.ingress.kubernetes.io/backend-protocol"
	albHealthcheckPath   = "alb.ingress.kubernetes.io/healthcheck-path"
	albHealthcheckProto  = "alb.ingress.kubernetes.io/healthcheck-protocol"
	albTags              = "alb.ingress.kubernetes.io/tags"
	nlbType              = "service.beta.kubernetes.io/aws-load-balancer-type"
	nlbTargetType        = "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"
	nlbScheme            = "service.beta.kubernetes.io/aws-load-balancer-scheme"
	nlbTags              = "service.beta.kubernetes.io/aws-load-balancer-additional-resource-tags"
	ALBIngressClass      = "alb"
	SchemeInternal       = "internal"
	SchemeInternetFacing = "internet-facing"
	portainerDataMount   = "/data"
)

// PortainerPodLabels are the labels of Portainer's pods. With EFS storage
// they carry fargate: enabled, which the default profile selects; EBS
// storage cannot be mounted on Fargate, so then the label is left off and
// the pod runs on EC2.
func PortainerPodLabels(e *spec.Environment) map[string]string {
	l := ownerLabels(e)
	l["app.kubernetes.io/name"] = PortainerName
	if e.Spec.Portainer.Storage != spec.PortainerStorageEBS {
		l[spec.FargateLabelKey] = spec.FargateLabelValue
	}
	return l
}

// PortainerOnFargate reports whether a Fargate profile selects Portainer's
// pods, which decides between a static EFS volume (Fargate) and a dynamic one
// (EC2).
func PortainerOnFargate(e *spec.Environment) bool {
	m, _ := placement.MatchFargate(e.Spec.Fargate.Profiles, PortainerNamespace, PortainerPodLabels(e))
	return m != nil
}

// PortainerManifests returns the seed's Portainer files in apply order:
// portainer/portainer-efs-storageclass.yaml (EFS storage only),
// portainer/portainer-efs-pvc.yaml and portainer/portainer-deployment.yaml.
// It returns nil when Portainer is disabled.
//
// On Fargate the data volume is statically provisioned (Fargate mounts no
// dynamic EFS volume): a PV on the access point eksenv creates,
// p.EFSFileSystemID::p.PortainerAccessPointID, and a claim bound to it. On EC2
// the claim is provisioned by the portainer-efs class (an access point per
// claim) or, with EBS storage, by the default gp3 class.
func PortainerManifests(e *spec.Environment, p Params) []Manifest {
	pt := e.Spec.Portainer
	if !pt.IsEnabled() {
		return nil
	}
	fargate := PortainerOnFargate(e)
	var out []Manifest
	if pt.Storage != spec.PortainerStorageEBS {
		out = append(out, Manifest{Path: "portainer/portainer-efs-storageclass.yaml", Objects: []runtime.Object{portainerClass(e, p, fargate)}})
	}
	// The claim needs its namespace, and this file comes before the
	// deployment file: it carries the Namespace too, so it applies alone.
	volume := []runtime.Object{namespaceObject(e, PortainerNamespace)}
	volume = append(volume, portainerVolume(e, p, fargate)...)
	out = append(out, Manifest{Path: "portainer/portainer-efs-pvc.yaml", Objects: volume})

	objs := []runtime.Object{
		namespaceObject(e, PortainerNamespace),
		portainerServiceAccount(e),
		portainerClusterRoleBinding(e),
		PortainerDeployment(e),
		portainerService(e),
	}
	if ing := portainerIngress(e); ing != nil {
		objs = append(objs, ing)
	}
	out = append(out, Manifest{Path: "portainer/portainer-deployment.yaml", Objects: objs})
	return out
}

// namespaceObject is a Namespace carrying the owner labels.
func namespaceObject(e *spec.Environment, name string) *corev1.Namespace {
	return &corev1.Namespace{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: ownerLabels(e)},
	}
}

func portainerMeta(e *spec.Environment, name string) metav1.ObjectMeta {
	l := ownerLabels(e)
	l["app.kubernetes.io/name"] = PortainerName
	return metav1.ObjectMeta{Name: name, Namespace: PortainerNamespace, Labels: l}
}

// portainerClass is the portainer-efs class. On Fargate it only names the
// class that binds the static volume to its claim (nothing is provisioned
// through it); on EC2 it provisions an access point for the claim.
func portainerClass(e *spec.Environment, p Params, fargate bool) *storagev1.StorageClass {
	sc := &storagev1.StorageClass{
		TypeMeta:          metav1.TypeMeta{APIVersion: "storage.k8s.io/v1", Kind: "StorageClass"},
		ObjectMeta:        metav1.ObjectMeta{Name: PortainerClass, Labels: ownerLabels(e)},
		Provisioner:       placement.DriverEFS,
		ReclaimPolicy:     ptr(corev1.PersistentVolumeReclaimRetain),
		VolumeBindingMode: ptr(storagev1.VolumeBindingImmediate),
	}
	if !fargate {
		sc.Parameters = map[string]string{
			"provisioningMode": "efs-ap",
			"fileSystemId":     p.EFSFileSystemID,
			"directoryPerms":   "700",
			"basePath":         "/portainer",
		}
	}
	return sc
}

// portainerVolume is the data claim, preceded on Fargate by the static PV
// it binds to.
func portainerVolume(e *spec.Environment, p Params, fargate bool) []runtime.Object {
	pt := e.Spec.Portainer
	size, err := resource.ParseQuantity(pt.Size)
	if err != nil {
		// Validation rejects such a size; render the default rather than panic.
		size = resource.MustParse("10Gi")
	}
	claim := &corev1.PersistentVolumeClaim{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
		ObjectMeta: portainerMeta(e, PortainerClaim),
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany},
			StorageClassName: ptr(PortainerClass),
			Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: size}},
		},
	}
	if pt.Storage == spec.PortainerStorageEBS {
		claim.Spec.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}
		claim.Spec.StorageClassName = ptr(e.Spec.Storage.EBS.DefaultClass)
		return []runtime.Object{claim}
	}
	if !fargate {
		return []runtime.Object{claim}
	}
	claim.Spec.VolumeName = PortainerVolume
	l := ownerLabels(e)
	l["app.kubernetes.io/name"] = PortainerName
	pv := &corev1.PersistentVolume{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolume"},
		ObjectMeta: metav1.ObjectMeta{Name: PortainerVolume, Labels: l},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: size},
			AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany},
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
			StorageClassName:              PortainerClass,
			VolumeMode:                    ptr(corev1.PersistentVolumeFilesystem),
			// Pre-bound: no other claim can take Portainer's data.
			ClaimRef: &corev1.ObjectReference{Namespace: PortainerNamespace, Name: PortainerClaim},
			PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{
				Driver:       placement.DriverEFS,
				VolumeHandle: p.EFSFileSystemID + "::" + p.PortainerAccessPointID,
			}},
		},
	}
	return []runtime.Object{pv, claim}
}

func portainerServiceAccount(e *spec.Environment) *corev1.ServiceAccount {
	return &corev1.ServiceAccount{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta: portainerMeta(e, PortainerServiceAccount),
	}
}

func portainerClusterRoleBinding(e *spec.Environment) *rbacv1.ClusterRoleBinding {
	om := portainerMeta(e, PortainerName)
	om.Namespace = ""
	return &rbacv1.ClusterRoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding"},
		ObjectMeta: om,
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: PortainerServiceAccount, Namespace: PortainerNamespace}},
	}
}

// PortainerDeployment is Portainer CE: one replica (it keeps its database
// on the data volume, so Recreate, never two at once), requests equal to
// limits (Fargate sizes the pod by them: 0.25 vCPU, 1 GB).
func PortainerDeployment(e *spec.Environment) *appsv1.Deployment {
	rl := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("512Mi")}
	probe := func(initial int32) *corev1.Probe {
		return &corev1.Probe{
			ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
				Path: "/", Port: intstr.FromInt32(PortainerHTTPSPort), Scheme: corev1.URISchemeHTTPS,
			}},
			InitialDelaySeconds: initial,
			PeriodSeconds:       10,
			TimeoutSeconds:      5,
			FailureThreshold:    3,
		}
	}
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: portainerMeta(e, PortainerName),
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr(int32(1)),
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType},
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/name": PortainerName}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: PortainerPodLabels(e)},
				Spec: corev1.PodSpec{
					ServiceAccountName: PortainerServiceAccount,
					Containers: []corev1.Container{{
						Name:            PortainerName,
						Image:           e.Spec.Portainer.Image,
						ImagePullPolicy: corev1.PullIfNotPresent,
						Ports: []corev1.ContainerPort{
							{Name: "http", ContainerPort: PortainerHTTPPort, Protocol: corev1.ProtocolTCP},
							{Name: "https", ContainerPort: PortainerHTTPSPort, Protocol: corev1.ProtocolTCP},
						},
						Resources:      corev1.ResourceRequirements{Requests: rl, Limits: rl.DeepCopy()},
						ReadinessProbe: probe(5),
						LivenessProbe:  probe(30),
						VolumeMounts:   []corev1.VolumeMount{{Name: "data", MountPath: portainerDataMount}},
					}},
					Volumes: []corev1.Volume{{
						Name: "data",
						VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{
							ClaimName: PortainerClaim,
						}},
					}},
				},
			},
		},
	}
}

// portainerService is ClusterIP for port-forward and the ALBs (IP targets
// reach the pods directly), and an internal NLB with IP targets for
// loadBalancer.
func portainerService(e *spec.Environment) *corev1.Service {
	svc := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: portainerMeta(e, PortainerName),
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: map[string]string{"app.kubernetes.io/name": PortainerName},
			Ports: []corev1.ServicePort{
				{Name: "http", Port: PortainerHTTPPort, TargetPort: intstr.FromString("http"), Protocol: corev1.ProtocolTCP},
				{Name: "https", Port: PortainerHTTPSPort, TargetPort: intstr.FromString("https"), Protocol: corev1.ProtocolTCP},
			},
		},
	}
	if e.Spec.Portainer.Expose == spec.ExposeLoadBalancer {
		svc.Spec.Type = corev1.ServiceTypeLoadBalancer
		// Only HTTPS goes through the load balancer.
		svc.Spec.Ports = svc.Spec.Ports[1:]
		svc.Annotations = map[string]string{
			nlbType:       "external",
			nlbTargetType: "ip",
			nlbScheme:     SchemeInternal,
			nlbTags:       spec.OwnerTagKey + "=" + e.Metadata.Name,
		}
	}
	return svc
}

// portainerIngress is the ALB of internal-alb and internet-alb, or nil. The
// ALB speaks HTTPS to Portainer's port 9443 (which has a self-signed
// certificate, accepted by ALBs) and checks its health on /.
func portainerIngress(e *spec.Environment) *networkingv1.Ingress {
	var scheme string
	switch e.Spec.Portainer.Expose {
	case spec.ExposeInternalALB:
		scheme = SchemeInternal
	case spec.ExposeInternetALB:
		scheme = SchemeInternetFacing
	default:
		return nil
	}
	om := portainerMeta(e, PortainerName)
	om.Annotations = map[string]string{
		albScheme:           scheme,
		albTargetType:       "ip",
		albBackendProtocol:  "HTTPS",
		albHealthcheckProto: "HTTPS",
		albHealthcheckPath:  "/",
		albTags:             spec.OwnerTagKey + "=" + e.Metadata.Name,
	}
	return albIngress(om, PortainerName, "https")
}

// albIngress is an Ingress of the alb class sending / to a Service port by
// name; the annotations in om choose scheme, targets and health checks.
func albIngress(om metav1.ObjectMeta, service, port string) *networkingv1.Ingress {
	return &networkingv1.Ingress{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "Ingress"},
		ObjectMeta: om,
		Spec: networkingv1.IngressSpec{
			IngressClassName: ptr(ALBIngressClass),
			Rules: []networkingv1.IngressRule{{IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
				Paths: []networkingv1.HTTPIngressPath{{
					Path:     "/",
					PathType: ptr(networkingv1.PathTypePrefix),
					Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
						Name: service, Port: networkingv1.ServiceBackendPort{Name: port},
					}},
				}},
			}}}},
		},
	}
}
