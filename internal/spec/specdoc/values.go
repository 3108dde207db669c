package specdoc

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/eksenv/eksenv/internal/spec"
)

// Reflection over spec.Environment by field path. The paths are those of
// FieldDocs: json names, "[]" for list items, "[*]" for map values.

const (
	itemStep  = "[]"
	entryStep = "[*]"
)

// steps splits a field path into json names, "[]" and "[*]":
// spec.karpenter.nodePools[].name is spec, karpenter, nodePools, [], name.
func steps(path string) []string {
	var out []string
	for _, part := range strings.Split(path, ".") {
		var suffix []string
		for {
			if p, ok := strings.CutSuffix(part, itemStep); ok {
				part, suffix = p, append([]string{itemStep}, suffix...)
			} else if p, ok := strings.CutSuffix(part, entryStep); ok {
				part, suffix = p, append([]string{entryStep}, suffix...)
			} else {
				break
			}
		}
		out = append(out, part)
		out = append(out, suffix...)
	}
	return out
}

// jsonName is the name of a struct field in the file, "" when the file
// leaves it out; the same rule as spec.Load.
func jsonName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "-" {
		return ""
	}
	return name
}

func fieldIndex(t reflect.Type, name string) (int, bool) {
	for i := 0; i < t.NumField(); i++ {
		if jsonName(t.Field(i)) == name {
			return i, true
		}
	}
	return 0, false
}

// materialize makes the value at path exist in v, which must be settable:
// nil pointers on the way get a zero value, and every list on the way is
// replaced by a list of one zero item (every map by a map of one zero value
// under the key ""), so that spec.SetDefaults then fills in what a new item
// gets. With set, a nil pointer at path itself gets a zero value too.
func materialize(v reflect.Value, rest []string, path string, set bool) error {
	if len(rest) == 0 {
		for set && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		return nil
	}
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		v = v.Elem()
	}
	step := rest[0]
	switch v.Kind() {
	case reflect.Struct:
		i, ok := fieldIndex(v.Type(), step)
		if !ok {
			return fmt.Errorf("%s: %s has no field %q (is the spec package built from these types?)", path, v.Type(), step)
		}
		return materialize(v.Field(i), rest[1:], path, set)
	case reflect.Slice:
		if step != itemStep {
			return fmt.Errorf("%s: %q on a list", path, step)
		}
		s := reflect.MakeSlice(v.Type(), 1, 1)
		if err := materialize(s.Index(0), rest[1:], path, set); err != nil {
			return err
		}
		v.Set(s)
		return nil
	case reflect.Map:
		if step != entryStep {
			return fmt.Errorf("%s: %q on a map", path, step)
		}
		e := reflect.New(v.Type().Elem()).Elem()
		if err := materialize(e, rest[1:], path, set); err != nil {
			return err
		}
		m := reflect.MakeMapWithSize(v.Type(), 1)
		m.SetMapIndex(reflect.Zero(v.Type().Key()), e)
		v.Set(m)
		return nil
	}
	return fmt.Errorf("%s: %q below a %s", path, step, v.Kind())
}

// lookup returns the value at path in v: the first item of lists, the value
// under "" of maps. It fails where the value does not exist.
func lookup(v reflect.Value, rest []string, path string) (reflect.Value, error) {
	for ; len(rest) > 0; rest = rest[1:] {
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, fmt.Errorf("%s: nil pointer on the way", path)
			}
			v = v.Elem()
		}
		switch step := rest[0]; {
		case v.Kind() == reflect.Struct:
			i, ok := fieldIndex(v.Type(), step)
			if !ok {
				return reflect.Value{}, fmt.Errorf("%s: %s has no field %q (is the spec package built from these types?)", path, v.Type(), step)
			}
			v = v.Field(i)
		case v.Kind() == reflect.Slice && step == itemStep && v.Len() > 0:
			v = v.Index(0)
		case v.Kind() == reflect.Map && step == entryStep:
			v = v.MapIndex(reflect.Zero(v.Type().Key()))
			if !v.IsValid() {
				return reflect.Value{}, fmt.Errorf("%s: no map value", path)
			}
		default:
			return reflect.Value{}, fmt.Errorf("%s: cannot take %q of a %s", path, step, v.Kind())
		}
	}
	return v, nil
}

// defaultAt returns the default of the field at path in env: env copied,
// the path materialized, spec.SetDefaults applied. For a field of a list
// item it is the default every item gets; for a field below an unset
// pointer, the default once the pointer is set. With set, an unset pointer
// at path is set too, and the value it points to returned.
func defaultAt(env *spec.Environment, path string, set bool) (reflect.Value, error) {
	c := deepCopy(reflect.ValueOf(env)).Interface().(*spec.Environment)
	st := steps(path)
	if err := materialize(reflect.ValueOf(c).Elem(), st, path, set); err != nil {
		return reflect.Value{}, err
	}
	spec.SetDefaults(c)
	v, err := lookup(reflect.ValueOf(c).Elem(), st, path)
	for set && err == nil && v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	return v, err
}

// deepCopy copies pointers, structs, slices and maps, keeping nil as nil
// and empty as empty (the two mean different things to spec.SetDefaults).
func deepCopy(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		c := reflect.New(v.Type().Elem())
		c.Elem().Set(deepCopy(v.Elem()))
		return c
	case reflect.Struct:
		c := reflect.New(v.Type()).Elem()
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				c.Field(i).Set(deepCopy(v.Field(i)))
			}
		}
		return c
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := 0; i < v.Len(); i++ {
			c.Index(i).Set(deepCopy(v.Index(i)))
		}
		return c
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeMapWithSize(v.Type(), v.Len())
		iter := v.MapRange()
		for iter.Next() {
			c.SetMapIndex(iter.Key(), deepCopy(iter.Value()))
		}
		return c
	}
	return v
}
