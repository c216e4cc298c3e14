package main

import (
	"reflect"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

func unknown() resource.PropertyValue {
	return resource.MakeComputed(resource.NewStringProperty(""))
}

func commandInputs() resource.PropertyMap {
	return resource.NewPropertyMapFromMap(map[string]interface{}{
		"create":      "docker exec w /scripts/verify.sh",
		"environment": map[string]interface{}{"DOCKER_HOST": "ssh://h"},
		"triggers":    []interface{}{"container-id", "report"},
	})
}

// with: a copy of m with key set to v (resource.PropertyValue{} removes it).
func with(m resource.PropertyMap, key string, v resource.PropertyValue) resource.PropertyMap {
	c := m.Copy()
	if v.V == nil {
		delete(c, resource.PropertyKey(key))
	} else {
		c[resource.PropertyKey(key)] = v
	}
	return c
}

func TestCommandDiff(t *testing.T) {
	base := commandInputs()
	// The state also holds the outputs, which never count.
	olds := withOutputs(base, map[string]string{"stdout": "old", "stderr": ""})
	withUpdate := with(base, "update", resource.NewStringProperty("true"))
	oldsWithUpdate := withOutputs(withUpdate, map[string]string{"stdout": "old"})
	cases := []struct {
		name       string
		olds, news resource.PropertyMap
		want       diffResult
	}{
		{"no change", olds, base, diffResult{}},
		{"a trigger changes: replace", olds,
			with(base, "triggers", resource.NewArrayProperty([]resource.PropertyValue{resource.NewStringProperty("new-id")})),
			diffResult{changed: []string{"triggers"}, replaces: []string{"triggers"}}},
		{"no update command: any change replaces", olds,
			with(base, "create", resource.NewStringProperty("other")),
			diffResult{changed: []string{"create"}, replaces: []string{"create"}}},
		{"with an update command: a change updates in place", oldsWithUpdate,
			with(withUpdate, "environment", resource.NewObjectProperty(resource.PropertyMap{"DIR": resource.NewStringProperty("/x")})),
			diffResult{changed: []string{"environment"}}},
		{"with an update command, a trigger still replaces, with every changed key", oldsWithUpdate,
			with(with(withUpdate, "triggers", resource.NewArrayProperty(nil)), "dir", resource.NewStringProperty("/d")),
			diffResult{changed: []string{"dir", "triggers"}, replaces: []string{"dir", "triggers"}}},
		{"the update command removed: replace", oldsWithUpdate, base,
			diffResult{changed: []string{"update"}, replaces: []string{"update"}}},
		{"an unknown trigger (preview) is a change", olds,
			with(base, "triggers", resource.NewArrayProperty([]resource.PropertyValue{unknown(), resource.NewStringProperty("report")})),
			diffResult{changed: []string{"triggers"}, replaces: []string{"triggers"}}},
		{"an unknown update command counts as given", oldsWithUpdate,
			with(withUpdate, "update", unknown()),
			diffResult{changed: []string{"update"}}},
		{"a key that is not an input is ignored", olds, with(base, "stdout", resource.NewStringProperty("x")), diffResult{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := (command{}).diff(c.olds, c.news); !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func imageInputs() resource.PropertyMap {
	return resource.NewPropertyMapFromMap(map[string]interface{}{
		"name":         "nerdctl-dind:dev",
		"context":      "/work/main",
		"contextPaths": []interface{}{"dockerfile", "scripts", "nerdctl/out/key"},
		"dockerfile":   "dockerfile",
		"buildArgs":    map[string]interface{}{"BASE_IMAGE": "alpine:3.18", "BUNDLE": "key"},
		"contentHash":  "abc",
	})
}

func TestImageDiff(t *testing.T) {
	news := imageInputs()
	olds := withOutputs(news, map[string]string{"imageId": "sha256:1"})
	if got := (image{}).diff(olds, news); got.changed != nil || got.replaces != nil {
		t.Errorf("no change: got %+v", got)
	}
	for key, v := range map[string]resource.PropertyValue{
		"name":         resource.NewStringProperty("nerdctl-dind:other"),
		"contextPaths": resource.NewArrayProperty([]resource.PropertyValue{resource.NewStringProperty("dockerfile")}),
		"buildArgs":    resource.NewObjectProperty(resource.PropertyMap{"BUNDLE": resource.NewStringProperty("key2")}),
		"contentHash":  unknown(),
		"dockerHost":   resource.NewStringProperty("ssh://h"),
	} {
		got := (image{}).diff(olds, with(news, key, v))
		want := diffResult{changed: []string{key}, replaces: []string{key}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s changed: got %+v, want %+v", key, got, want)
		}
	}
}

func TestContainerDiff(t *testing.T) {
	news := resource.NewPropertyMapFromMap(map[string]interface{}{
		"name": "nerdctl-dind-dev", "image": "sha256:1", "options": []interface{}{"--init", "--privileged"},
	})
	if got := (container{}).diff(news.Copy(), news); got.changed != nil {
		t.Errorf("no change: got %+v", got)
	}
	// An image ID that is unknown at preview (the image is being rebuilt).
	got := (container{}).diff(news.Copy(), with(with(news, "image", unknown()), "dockerHost", resource.NewStringProperty("tcp://h:2375")))
	want := diffResult{changed: []string{"image", "dockerHost"}, replaces: []string{"image", "dockerHost"}, deleteBeforeReplace: true}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	// Options are ordered: the same options in another order are a change.
	reordered := with(news, "options", resource.NewArrayProperty([]resource.PropertyValue{
		resource.NewStringProperty("--privileged"), resource.NewStringProperty("--init")}))
	if got := (container{}).diff(news, reordered); !reflect.DeepEqual(got.replaces, []string{"options"}) {
		t.Errorf("reordered options: got %+v", got)
	}
}

func TestDiffResponse(t *testing.T) {
	resp := diffResponse(diffResult{changed: []string{"triggers", "create"}, replaces: []string{"triggers", "create"}, deleteBeforeReplace: true})
	if resp.GetChanges().String() != "DIFF_SOME" || !reflect.DeepEqual(resp.GetReplaces(), []string{"create", "triggers"}) ||
		!reflect.DeepEqual(resp.GetDiffs(), []string{"create", "triggers"}) || !resp.GetDeleteBeforeReplace() {
		t.Errorf("got %v", resp)
	}
	if resp := diffResponse(diffResult{deleteBeforeReplace: true}); resp.GetChanges().String() != "DIFF_NONE" || resp.GetDeleteBeforeReplace() {
		t.Errorf("no change: got %v", resp)
	}
}
