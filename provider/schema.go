// What each kind's inputs must look like, for Check: a wrong type, a value
// outside an enum or a missing required input fails at preview, named by its
// property path (ports[0].protocol), rather than as a docker error mid-up.
package main

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

type shape struct {
	typ      string // "string", "bool", "int", "list", "map", "object" or "any"
	enum     []string
	elem     *shape           // a list's or a map's values
	fields   map[string]shape // an object's
	required []string
	// valid: a further rule for a known value, "" when it holds.
	valid func(resource.PropertyValue) string
}

var (
	anyValue   = shape{typ: "any"}
	aString    = shape{typ: "string"}
	aBool      = shape{typ: "bool"}
	anInt      = shape{typ: "int"}
	stringList = shape{typ: "list", elem: &aString}
	stringMap  = shape{typ: "map", elem: &aString}
	aDuration  = shape{typ: "string", valid: func(v resource.PropertyValue) string {
		if _, err := time.ParseDuration(v.StringValue()); err != nil {
			return "must be a duration such as 5s or 1m30s"
		}
		return ""
	}}
	aPort = shape{typ: "int", valid: func(v resource.PropertyValue) string {
		if n := v.NumberValue(); n < 1 || n > 65535 {
			return "must be a port number, 1 to 65535"
		}
		return ""
	}}
)

func enum(values ...string) shape { return shape{typ: "string", enum: values} }

func listOf(s shape) shape { return shape{typ: "list", elem: &s} }

// object: the given fields, plus the engine keys at the top of every kind.
func object(fields map[string]shape, required ...string) shape {
	return shape{typ: "object", fields: fields, required: required}
}

func withEngine(fields map[string]shape) map[string]shape {
	for _, k := range engineKeys {
		fields[k] = aString
	}
	return fields
}

// checkInputs: the failures of inputs against s; the outputs of the kind
// are allowed too (an old program may send them as undefined).
func checkInputs(inputs resource.PropertyMap, s shape, outputs []string) []*pulumirpc.CheckFailure {
	var failures []*pulumirpc.CheckFailure
	inputs = inputs.Copy()
	for _, k := range outputs {
		delete(inputs, resource.PropertyKey(k))
	}
	// Property is the top-level input, whose value the engine prints with
	// the reason; the reason names the path within it.
	for _, problem := range validate(nil, resource.NewObjectProperty(inputs), s) {
		failures = append(failures, &pulumirpc.CheckFailure{Property: problem.path[0].(string),
			Reason: problem.path.String() + ": " + problem.reason})
	}
	return failures
}

type problem struct {
	path   resource.PropertyPath
	reason string
}

// validate: what is wrong with v at path; unknown values (preview) pass.
func validate(path resource.PropertyPath, v resource.PropertyValue, s shape) []problem {
	if v.ContainsUnknowns() && !v.IsObject() && !v.IsArray() || s.typ == "any" {
		return nil
	}
	bad := func(reason string) []problem { return []problem{{path, reason}} }
	switch s.typ {
	case "string":
		if !v.IsString() {
			return bad("must be a string")
		}
		if len(s.enum) > 0 && !slices.Contains(s.enum, v.StringValue()) {
			return bad("must be " + oneOf(s.enum))
		}
	case "bool":
		if !v.IsBool() {
			return bad("must be true or false")
		}
	case "int":
		if !v.IsNumber() || v.NumberValue() != float64(int64(v.NumberValue())) {
			return bad("must be a whole number")
		}
	case "list":
		if !v.IsArray() {
			return bad("must be a list")
		}
		var out []problem
		for i, e := range v.ArrayValue() {
			out = append(out, validate(append(slices.Clone(path), i), e, *s.elem)...)
		}
		if len(out) > 0 {
			return out
		}
	case "map", "object":
		if !v.IsObject() {
			return bad("must be an object")
		}
		return validateObject(path, v.ObjectValue(), s)
	}
	if s.valid != nil && !v.ContainsUnknowns() {
		if reason := s.valid(v); reason != "" {
			return bad(reason)
		}
	}
	return nil
}

func validateObject(path resource.PropertyPath, m resource.PropertyMap, s shape) []problem {
	var out []problem
	for _, k := range s.required {
		if v, ok := m[resource.PropertyKey(k)]; !ok || v.IsNull() {
			out = append(out, problem{append(slices.Clone(path), k), "is required"})
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, at := m[resource.PropertyKey(k)], append(slices.Clone(path), k)
		field, known := s.fields[k]
		switch {
		case s.typ == "map":
			out = append(out, validate(at, v, *s.elem)...)
		case !known:
			out = append(out, problem{at, fmt.Sprintf("is not an input (the inputs: %s)", strings.Join(sortedKeys(s.fields), ", "))})
		case v.IsNull():
		default:
			out = append(out, validate(at, v, field)...)
		}
	}
	return out
}

// oneOf: "a, b or c".
func oneOf(values []string) string {
	last := len(values) - 1
	if last == 0 {
		return values[0]
	}
	return strings.Join(values[:last], ", ") + " or " + values[last]
}
