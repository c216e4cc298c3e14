// ndind:index:Command, a command run with sh on the machine running Pulumi:
// `create` when the resource is made (and again, as a replacement, when a
// trigger changes), `update` for other changes if given, `delete` on destroy.
//
// Inputs: create, update?, delete?, dir?, environment? (name -> value),
// triggers? (any values). Outputs: the inputs plus stdout and stderr.
package main

import (
	"crypto/rand"
	"encoding/hex"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

type command struct{}

var commandKeys = []string{"create", "update", "delete", "dir", "environment", "triggers"}

// A changed trigger replaces; so does any change when there is no `update`
// command to run instead. The old one is deleted after the new one runs.
func (command) diff(olds, news resource.PropertyMap) diffResult {
	changed := changedKeys(olds, news, commandKeys)
	d := diffResult{changed: changed}
	if slices.Contains(changed, "triggers") || (!defined(news, "update") && len(changed) > 0) {
		d.replaces = changed
	}
	return d
}

func (command) create(inputs resource.PropertyMap) (string, resource.PropertyMap, error) {
	outs, err := runStep(inputs, "create")
	if err != nil {
		return "", nil, err
	}
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", nil, err
	}
	return hex.EncodeToString(b), outs, nil
}

func (command) read(string, resource.PropertyMap) (bool, error) {
	return true, nil // nothing to look at: the state stays as it is
}

func (command) update(_ string, _, news resource.PropertyMap) (resource.PropertyMap, error) {
	step := "update"
	if !defined(news, step) {
		step = "create"
	}
	return runStep(news, step)
}

func (command) delete(_ string, state resource.PropertyMap) error {
	if str(state, "delete") == "" {
		return nil
	}
	_, err := run("sh", []string{"-c", str(state, "delete")}, strMap(state, "environment"), str(state, "dir"))
	return err
}

// runStep runs the step's command and returns the new state.
func runStep(inputs resource.PropertyMap, step string) (resource.PropertyMap, error) {
	out, err := run("sh", []string{"-c", str(inputs, step)}, strMap(inputs, "environment"), str(inputs, "dir"))
	if err != nil {
		return nil, err
	}
	return withOutputs(inputs, map[string]string{"stdout": out.stdout, "stderr": out.stderr}), nil
}
