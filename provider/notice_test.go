package main

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

func TestReplacementNotice(t *testing.T) {
	got := replacementNotice("nerdctl-dind-dev", "keep default always\nkeep2 default \nbatch team1 on-failure\n")
	want := "replacing nerdctl-dind-dev stops the 3 inner container(s) running in it: " +
		"batch (namespace team1, restart on-failure: stays stopped; nerdctl start batch), " +
		"keep (namespace default, restart always: comes back), keep2 (namespace default, no restart policy: stays stopped; nerdctl start keep2)"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if got := replacementNotice("w", "\n"); got != "" {
		t.Errorf("nothing running gave %q", got)
	}
}

func TestIsWrapper(t *testing.T) {
	labels := func(name string) resource.PropertyMap {
		return resource.NewPropertyMapFromMap(map[string]interface{}{
			"labels": []interface{}{map[string]interface{}{"label": name, "value": "nerdctl-dind/dev"}},
		})
	}
	if !isWrapper(labels("nerdctl-dind.stack")) || isWrapper(labels("other")) || isWrapper(resource.PropertyMap{}) {
		t.Error("a wrapper is a container labelled nerdctl-dind.stack, and nothing else")
	}
}

func TestEngineAddress(t *testing.T) {
	if got := engineAddress([]string{"--logtostderr", "-v=9", "127.0.0.1:4321"}); got != "127.0.0.1:4321" {
		t.Errorf("got %q", got)
	}
}
