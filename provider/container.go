// ndind:index:Container, a Docker container started with `docker run -d`.
// Any change replaces it, the old one first (its name is fixed); a refresh
// notices a container removed behind Pulumi's back, so the next `up`
// recreates it.
//
// Inputs: name, image, options (`docker run` options, in order),
// dockerHost?. Outputs: the inputs; the resource's ID is the container ID.
package main

import (
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

type container struct{}

var containerKeys = []string{"name", "image", "options", "dockerHost"}

func (container) diff(olds, news resource.PropertyMap) diffResult {
	changed := changedKeys(olds, news, containerKeys)
	return diffResult{changed: changed, replaces: changed, deleteBeforeReplace: true}
}

func (container) create(inputs resource.PropertyMap) (string, resource.PropertyMap, error) {
	args := append([]string{"run", "-d", "--name", str(inputs, "name")}, strList(inputs, "options")...)
	out, err := run("docker", append(args, str(inputs, "image")), dockerEnv(str(inputs, "dockerHost")), "")
	if err != nil {
		return "", nil, err
	}
	return strings.TrimSpace(out.stdout), inputs.Copy(), nil
}

func (container) read(id string, state resource.PropertyMap) (bool, error) {
	return succeeds("docker", []string{"container", "inspect", id}, dockerEnv(str(state, "dockerHost"))), nil
}

// Every change replaces, so update only records the new inputs.
func (container) update(_ string, olds, news resource.PropertyMap) (resource.PropertyMap, error) {
	return merge(olds, news), nil
}

func (container) delete(id string, state resource.PropertyMap) error {
	env := dockerEnv(str(state, "dockerHost"))
	if !succeeds("docker", []string{"container", "inspect", id}, env) {
		return nil
	}
	_, err := run("docker", []string{"rm", "-f", id}, env, "")
	return err
}
