package kube

import (
	"context"
	"errors"
	"fmt"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// FieldManager is the server-side apply field manager of everything eksenv
// applies.
const FieldManager = "eksenv"

// Applier applies objects by server-side apply, resolving kinds through
// the API server's discovery (refreshed after CRDs are established).
type Applier struct {
	dyn    dynamic.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
}

// NewApplier builds an applier for cfg.
func NewApplier(cfg *rest.Config) (*Applier, error) {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("dynamic client: %w", err)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("discovery client: %w", err)
	}
	return &Applier{dyn: dyn, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))}, nil
}

// Apply server-side-applies obj (forcing eksenv's ownership of the fields it
// sets); with dryRun the API server validates and admits it without
// persisting it.
func (a *Applier) Apply(ctx context.Context, obj *unstructured.Unstructured, dryRun bool) error {
	gvk := obj.GroupVersionKind()
	m, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return fmt.Errorf("%s %s: the API server does not serve this kind: %w", gvk.Kind, obj.GetName(), err)
	}
	opts := metav1.ApplyOptions{FieldManager: FieldManager, Force: true}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	var ri dynamic.ResourceInterface = a.dyn.Resource(m.Resource)
	if m.Scope.Name() == "namespace" {
		ns := obj.GetNamespace()
		if ns == "" {
			ns = "default"
		}
		ri = a.dyn.Resource(m.Resource).Namespace(ns)
	}
	if _, err := ri.Apply(ctx, obj.GetName(), obj, opts); err != nil {
		return fmt.Errorf("apply %s %s: %w", gvk.Kind, describeName(obj), err)
	}
	return nil
}

func describeName(obj *unstructured.Unstructured) string {
	if ns := obj.GetNamespace(); ns != "" {
		return ns + "/" + obj.GetName()
	}
	return obj.GetName()
}

// ApplyCRDs applies the CRDs and waits until each is Established, then
// refreshes discovery so their kinds can be applied.
func (a *Applier) ApplyCRDs(ctx context.Context, crds []*apiextensionsv1.CustomResourceDefinition, timeout time.Duration) error {
	for _, crd := range crds {
		u, err := toUnstructured(crd)
		if err != nil {
			return err
		}
		u.SetAPIVersion("apiextensions.k8s.io/v1")
		u.SetKind("CustomResourceDefinition")
		if err := a.Apply(ctx, u, false); err != nil {
			return err
		}
	}
	gvr := apiextensionsv1.SchemeGroupVersion.WithResource("customresourcedefinitions")
	deadline := time.Now().Add(timeout)
	for _, crd := range crds {
		for {
			got, err := a.dyn.Resource(gvr).Get(ctx, crd.Name, metav1.GetOptions{})
			if err != nil {
				return fmt.Errorf("read CRD %s: %w", crd.Name, err)
			}
			if established(got) {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("CRD %s is not Established after %s; check the API server's log, then run up again", crd.Name, timeout)
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("waiting for CRD %s to be Established: %w", crd.Name, ctx.Err())
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	a.mapper.Reset()
	return nil
}

func established(u *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if ok && m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}

func toUnstructured(o runtime.Object) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
	if err != nil {
		return nil, fmt.Errorf("convert %T: %w", o, err)
	}
	u := &unstructured.Unstructured{Object: m}
	unstructured.RemoveNestedField(u.Object, "status")
	unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
	return u, nil
}

// Delete removes obj (foreground, so dependents go first) and waits until it
// is gone; an object already gone is fine.
func (a *Applier) Delete(ctx context.Context, obj *unstructured.Unstructured, timeout time.Duration) error {
	gvk := obj.GroupVersionKind()
	m, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		if meta.IsNoMatchError(err) {
			return nil // the kind is not served: nothing of it exists
		}
		return fmt.Errorf("%s %s: %w", gvk.Kind, obj.GetName(), err)
	}
	var ri dynamic.ResourceInterface = a.dyn.Resource(m.Resource)
	if m.Scope.Name() == "namespace" {
		ns := obj.GetNamespace()
		if ns == "" {
			ns = "default"
		}
		ri = a.dyn.Resource(m.Resource).Namespace(ns)
	}
	fg := metav1.DeletePropagationForeground
	if err := ri.Delete(ctx, obj.GetName(), metav1.DeleteOptions{PropagationPolicy: &fg}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete %s %s: %w", gvk.Kind, describeName(obj), err)
	}
	deadline := time.Now().Add(timeout)
	for {
		_, err := ri.Get(ctx, obj.GetName(), metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s %s: %w", gvk.Kind, describeName(obj), err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s %s is still there %s after its deletion (a finalizer waits: check its controller); run down again, or with --force", gvk.Kind, describeName(obj), timeout)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s %s to go: %w", gvk.Kind, describeName(obj), ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Reach checks that the API server answers and accepts the credentials,
// naming which of the two failed.
func Reach(ctx context.Context, cfg *rest.Config) error {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return fmt.Errorf("client for %s: %w", cfg.Host, err)
	}
	_, err = dc.RESTClient().Get().AbsPath("/apis").Do(ctx).Raw()
	switch {
	case err == nil:
		return nil
	case apierrors.IsUnauthorized(err):
		return fmt.Errorf("the Kubernetes API server at %s refused eksenv's EKS token (401 Unauthorized): check that your IAM principal has an access entry (eksenv access list): %w", cfg.Host, err)
	case apierrors.IsForbidden(err):
		return fmt.Errorf("the Kubernetes API server at %s accepted eksenv's token but forbids it (403): grant your IAM principal admin access (eksenv access grant ARN): %w", cfg.Host, err)
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return fmt.Errorf("the Kubernetes API server at %s answered %d: %w", cfg.Host, status.Status().Code, err)
	}
	return fmt.Errorf("cannot reach the Kubernetes API server at %s (is the endpoint reachable from here, or private only?): %w", cfg.Host, err)
}
