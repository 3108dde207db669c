package schema

import (
	"context"
	"fmt"
	"sync"

	"k8s.io/apiextensions-apiserver/pkg/apihelpers"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	structurallisttype "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	metavalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
)

// customKind is one served version of one CustomResourceDefinition. Its
// schema is compiled on first use.
type customKind struct {
	gvk     schema.GroupVersionKind
	crd     *apiextensionsv1.CustomResourceDefinition // private copy, read only
	version string

	once     sync.Once
	compiled *compiledSchema
	err      error
}

// compiledSchema holds everything needed to validate one GroupVersionKind the
// way the API server's customresource handler does.
type compiledSchema struct {
	namespaced bool
	hasStatus  bool
	structural *structuralschema.Structural
	openAPI    apiservervalidation.SchemaValidator
	cel        *cel.Validator // nil when the schema has no x-kubernetes-validations
}

// schema returns the compiled schema, compiling it on first use.
func (k *customKind) schema() (*compiledSchema, error) {
	k.once.Do(func() {
		k.compiled, k.err = compileSchema(k.crd, k.version)
		if k.err != nil {
			k.err = fmt.Errorf("compiling schema of %s: %w", k.gvk, k.err)
		}
	})
	return k.compiled, k.err
}

// compileSchema mirrors what k8s.io/apiextensions-apiserver/pkg/apiserver
// (crdHandler.getOrCreateServingInfoFor) does for one served version.
func compileSchema(crd *apiextensionsv1.CustomResourceDefinition, version string) (*compiledSchema, error) {
	val, err := apihelpers.GetSchemaForVersion(crd, version)
	if err != nil {
		return nil, fmt.Errorf("reading schema: %w", err)
	}
	if val == nil || val.OpenAPIV3Schema == nil {
		return nil, fmt.Errorf("version %s has no openAPIV3Schema", version)
	}
	if crd.Spec.PreserveUnknownFields {
		return nil, fmt.Errorf("spec.preserveUnknownFields is set; only structural schemas are supported")
	}
	internal := &apiextensions.CustomResourceValidation{}
	if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(val, internal, nil); err != nil {
		return nil, fmt.Errorf("converting to internal version: %w", err)
	}
	s, err := structuralschema.NewStructural(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("building structural schema: %w", err)
	}
	// As in the API server: NewStructural does not deep-copy defaults, and
	// PruneDefaults modifies them.
	s = s.DeepCopy()
	if err := structuraldefaulting.PruneDefaults(s); err != nil {
		return nil, fmt.Errorf("pruning defaults: %w", err)
	}
	openAPI, _, err := apiservervalidation.NewSchemaValidator(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("building OpenAPI schema validator: %w", err)
	}
	sub, err := apihelpers.GetSubresourcesForVersion(crd, version)
	if err != nil {
		return nil, fmt.Errorf("reading subresources: %w", err)
	}
	return &compiledSchema{
		namespaced: crd.Spec.Scope == apiextensionsv1.NamespaceScoped,
		hasStatus:  sub != nil && sub.Status != nil,
		structural: s,
		openAPI:    openAPI,
		// CEL programs are compiled here, exactly as in customresource.NewStrategy.
		cel: cel.NewValidator(s, true, celconfig.PerCallLimit),
	}, nil
}

// customResult is the outcome of validating one custom resource.
type customResult struct {
	metaErr error           // metadata cannot be decoded; nothing else was checked
	unknown []string        // paths of fields not declared in the schema
	errs    field.ErrorList // everything else
	// skippedCEL is set when the CEL rules were not evaluated because of
	// blocking errors, as the API server does.
	skippedCEL bool
}

// validate checks obj, which it modifies (pruning, defaulting), the way the
// API server handles a create request with fieldValidation=Strict: decoding
// (unknown fields, defaults), PrepareForCreate, then the strategy's Validate.
func (c *compiledSchema) validate(ctx context.Context, obj map[string]any) customResult {
	var res customResult

	// Decoding: unstructuredSchemaCoercer.apply.
	objectMeta, foundMeta, metaUnknown, err := schemaobjectmeta.GetObjectMetaWithOptions(obj, schemaobjectmeta.ObjectMetaOptions{ReturnUnknownFieldPaths: true})
	if err != nil {
		// Validating the rest would only produce noise about metadata.
		res.metaErr = err
		return res
	}
	if foundMeta {
		// The API server writes the decoded metadata back, dropping unknown fields.
		if err := schemaobjectmeta.SetObjectMeta(obj, objectMeta); err != nil {
			res.metaErr = err
			return res
		}
	}
	res.unknown = append(res.unknown, metaUnknown...)
	res.unknown = append(res.unknown, structuralpruning.PruneWithOptions(obj, c.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})...)
	structuraldefaulting.PruneNonNullableNullsWithoutDefaults(obj, c.structural)
	ferr, embeddedUnknown := schemaobjectmeta.CoerceWithOptions(nil, obj, c.structural, false, schemaobjectmeta.CoerceOptions{ReturnUnknownFieldPaths: true})
	if ferr != nil {
		res.errs = append(res.errs, ferr)
	}
	res.unknown = append(res.unknown, embeddedUnknown...)

	// Decoding: unstructuredDefaulter.
	structuraldefaulting.Default(obj, c.structural)

	// PrepareForCreate: status is dropped when the status subresource is enabled.
	if c.hasStatus {
		delete(obj, "status")
	}

	// customResourceStrategy.Validate.
	u := &unstructured.Unstructured{Object: obj}
	res.errs = append(res.errs, c.validateMeta(objectMeta)...)
	res.errs = append(res.errs, apiservervalidation.ValidateCustomResource(nil, u.UnstructuredContent(), c.openAPI)...)
	res.errs = append(res.errs, schemaobjectmeta.Validate(nil, u.Object, c.structural, false)...)
	res.errs = append(res.errs, structurallisttype.ValidateListSetsAndMaps(nil, c.structural, u.Object)...)
	if c.cel != nil {
		if hasBlockingErr(res.errs) {
			res.skippedCEL = true
		} else {
			celErrs, _ := c.cel.Validate(ctx, nil, c.structural, u.Object, nil, celconfig.RuntimeCELCostBudget)
			res.errs = append(res.errs, celErrs...)
		}
	}
	return res
}

// validateMeta runs the generic ObjectMeta validation of the API server. The
// namespace is first adjusted the way the API server does for a request:
// cluster-scoped objects lose it, namespaced objects get the request's one.
func (c *compiledSchema) validateMeta(m *metav1.ObjectMeta) field.ErrorList {
	if m == nil {
		m = &metav1.ObjectMeta{}
	} else {
		m = m.DeepCopy()
	}
	switch {
	case !c.namespaced:
		m.Namespace = ""
	case m.Namespace == "":
		m.Namespace = metav1.NamespaceDefault
	}
	return metavalidation.ValidateObjectMetaAccessor(m, c.namespaced, metavalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
}

// skippedCELMessage is the API server's note when CEL rules were skipped.
const skippedCELMessage = "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation"

// hasBlockingErr is customresource.hasBlockingErr: CEL rules are not
// evaluated when the object has errors that make evaluation meaningless.
func hasBlockingErr(errs field.ErrorList) bool {
	for _, err := range errs {
		switch err.Type {
		case field.ErrorTypeNotSupported, field.ErrorTypeRequired, field.ErrorTypeTooLong, field.ErrorTypeTooMany, field.ErrorTypeTypeInvalid:
			return true
		}
	}
	return false
}
