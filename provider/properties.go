// Reading plain values out of property maps, and the diff every kind
// shares: by property path, as `pulumi preview --diff` shows it.
package main

import (
	"slices"
	"sort"
	"strconv"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
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

func boolean(m resource.PropertyMap, key string) bool {
	v := m[resource.PropertyKey(key)]
	return v.IsBool() && v.BoolValue()
}

// obj: an object input, empty when absent.
func obj(m resource.PropertyMap, key string) resource.PropertyMap {
	if v := m[resource.PropertyKey(key)]; v.IsObject() {
		return v.ObjectValue()
	}
	return resource.PropertyMap{}
}

// objList: the objects of a list input.
func objList(m resource.PropertyMap, key string) []resource.PropertyMap {
	v := m[resource.PropertyKey(key)]
	if !v.IsArray() {
		return nil
	}
	var out []resource.PropertyMap
	for _, e := range v.ArrayValue() {
		if e.IsObject() {
			out = append(out, e.ObjectValue())
		}
	}
	return out
}

// diffInputs: how the given inputs differ, property path by property path
// (ports[0].external), as ADD, DELETE or UPDATE; a value unknown at preview,
// even deep inside, counts as changed.
func diffInputs(olds, news resource.PropertyMap, keys []string) diffResult {
	d := diffResult{detail: map[string]pulumirpc.PropertyDiff_Kind{}}
	for _, k := range keys {
		before := len(d.detail)
		walk(resource.PropertyPath{k}, olds[resource.PropertyKey(k)], news[resource.PropertyKey(k)], d.detail)
		if len(d.detail) > before {
			d.changed = append(d.changed, k)
		}
	}
	if len(d.changed) == 0 {
		d.detail = nil
	}
	return d
}

// walk records where o and n differ: objects key by key, arrays index by
// index, anything else as a whole.
func walk(path resource.PropertyPath, o, n resource.PropertyValue, acc map[string]pulumirpc.PropertyDiff_Kind) {
	switch {
	case o.IsObject() && n.IsObject():
		keys := map[resource.PropertyKey]bool{}
		for k := range o.ObjectValue() {
			keys[k] = true
		}
		for k := range n.ObjectValue() {
			keys[k] = true
		}
		for k := range keys {
			walk(append(slices.Clone(path), string(k)), o.ObjectValue()[k], n.ObjectValue()[k], acc)
		}
	case o.IsArray() && n.IsArray():
		for i := 0; i < max(len(o.ArrayValue()), len(n.ArrayValue())); i++ {
			walk(append(slices.Clone(path), i), at(o, i), at(n, i), acc)
		}
	case n.ContainsUnknowns() && o.IsNull():
		acc[path.String()] = pulumirpc.PropertyDiff_ADD
	case n.ContainsUnknowns():
		acc[path.String()] = pulumirpc.PropertyDiff_UPDATE
	case o.IsNull() && n.IsNull():
	case o.IsNull():
		acc[path.String()] = pulumirpc.PropertyDiff_ADD
	case n.IsNull():
		acc[path.String()] = pulumirpc.PropertyDiff_DELETE
	case !o.DeepEquals(n):
		acc[path.String()] = pulumirpc.PropertyDiff_UPDATE
	}
}

// at: element i of an array, null past its end.
func at(v resource.PropertyValue, i int) resource.PropertyValue {
	if i < len(v.ArrayValue()) {
		return v.ArrayValue()[i]
	}
	return resource.PropertyValue{}
}

var replaceKind = map[pulumirpc.PropertyDiff_Kind]pulumirpc.PropertyDiff_Kind{
	pulumirpc.PropertyDiff_ADD:    pulumirpc.PropertyDiff_ADD_REPLACE,
	pulumirpc.PropertyDiff_DELETE: pulumirpc.PropertyDiff_DELETE_REPLACE,
	pulumirpc.PropertyDiff_UPDATE: pulumirpc.PropertyDiff_UPDATE_REPLACE,
}

// replacing: d with a change of any of keys asking for a replacement, and
// every path under those keys marked as replacing.
func (d diffResult) replacing(keys []string) diffResult {
	for _, k := range d.changed {
		if slices.Contains(keys, k) {
			d.replaces = append(d.replaces, k)
		}
	}
	for p, kind := range d.detail {
		if top, err := resource.ParsePropertyPath(p); err == nil && slices.Contains(d.replaces, top[0].(string)) {
			d.detail[p] = replaceKind[kind]
		}
	}
	return d
}

// withOutputs: the inputs plus the given outputs, as the new state.
func withOutputs(inputs resource.PropertyMap, outs map[string]string) resource.PropertyMap {
	state := inputs.Copy()
	for k, v := range outs {
		state[resource.PropertyKey(k)] = resource.NewStringProperty(v)
	}
	return state
}

// sortedKeys: a map's keys in order, so that docker gets its flags, and a
// message its list, in a fixed order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
