// ndind:index:Command, a command run with sh on the machine running Pulumi,
// the offline twin of @pulumi/command 1.2's command.local.Command: `create`
// when the resource is made, and again, as a replacement, when a trigger
// changes (the new one runs before the old one's `delete`); any other change
// updates in place, running `update`, or `create` again when there is none;
// `delete` on destroy.
//
// Inputs: create, update?, delete?, dir?, environment? (name -> value),
// triggers? (any values). Outputs: the inputs plus stdout and stderr. A
// secret environment value stays secret: the plugin accepts no secrets, so
// the engine sends it plain and marks the same key of the output secret.
package main

import (
	"crypto/rand"
	"encoding/hex"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

type command struct{}

var commandShape = object(map[string]shape{
	"create": aString, "update": aString, "delete": aString, "dir": aString,
	"environment": stringMap, "triggers": listOf(anyValue),
}, "create")

var commandKeys = sortedKeys(commandShape.fields)

func (command) check(inputs resource.PropertyMap) []*pulumirpc.CheckFailure {
	return checkInputs(inputs, commandShape, []string{"stdout", "stderr"})
}

// Only a changed trigger replaces; the old one is deleted after the new one
// runs.
func (command) diff(olds, news resource.PropertyMap) diffResult {
	return diffInputs(olds, news, commandKeys).replacing([]string{"triggers"})
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

func (command) read(_ string, state resource.PropertyMap) (resource.PropertyMap, error) {
	return state, nil // nothing to look at: the state stays as it is
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
