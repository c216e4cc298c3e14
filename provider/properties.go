// Reading plain values out of property maps, and the one diff rule every
// kind shares.
package main

import (
	"strconv"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// defined: present and not null (JavaScript's "!== undefined" for what
// arrives over the wire). An unknown value is defined.
func defined(m resource.PropertyMap, key string) bool {
	v, ok := m[resource.PropertyKey(key)]
	return ok && !v.IsNull()
}

// text: a scalar as the string a program argument or variable gets.
func text(v resource.PropertyValue) string {
	switch {
	case v.IsString():
		return v.StringValue()
	case v.IsNumber():
		return strconv.FormatFloat(v.NumberValue(), 'f', -1, 64)
	case v.IsBool():
		return strconv.FormatBool(v.BoolValue())
	}
	return ""
}

func str(m resource.PropertyMap, key string) string {
	return text(m[resource.PropertyKey(key)])
}

func strList(m resource.PropertyMap, key string) []string {
	v := m[resource.PropertyKey(key)]
	if !v.IsArray() {
		return nil
	}
	out := make([]string, 0, len(v.ArrayValue()))
	for _, e := range v.ArrayValue() {
		out = append(out, text(e))
	}
	return out
}

func strMap(m resource.PropertyMap, key string) map[string]string {
	v := m[resource.PropertyKey(key)]
	out := map[string]string{}
	if v.IsObject() {
		for k, e := range v.ObjectValue() {
			out[string(k)] = text(e)
		}
	}
	return out
}

// changedKeys: the keys whose values differ, in the order given. A value
// that is unknown (at preview), even deep inside, counts as changed.
func changedKeys(olds, news resource.PropertyMap, keys []string) []string {
	var changed []string
	for _, k := range keys {
		o, n := olds[resource.PropertyKey(k)], news[resource.PropertyKey(k)]
		if n.ContainsUnknowns() || !o.DeepEquals(n) {
			changed = append(changed, k)
		}
	}
	return changed
}

// withOutputs: the inputs plus the given outputs, as the new state.
func withOutputs(inputs resource.PropertyMap, outs map[string]string) resource.PropertyMap {
	state := inputs.Copy()
	for k, v := range outs {
		state[resource.PropertyKey(k)] = resource.NewStringProperty(v)
	}
	return state
}
