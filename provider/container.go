// ndind:index:Container, a Docker container started with `docker run -d`.
// Any change replaces it, the old one first (its name is fixed); a refresh
// notices a container removed behind Pulumi's back, so the next `up`
// recreates it.
//
// Inputs: name, image, options (`docker run` options, in order),
// dockerHost?, dockerContext?, dockerCertPath?. Outputs: the inputs; the resource's ID is the container ID.
package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

type container struct{}

var containerKeys = append([]string{"name", "image", "options"}, engineKeys...)

func (container) diff(olds, news resource.PropertyMap) diffResult {
	changed := changedKeys(olds, news, containerKeys)
	return diffResult{changed: changed, replaces: changed, deleteBeforeReplace: true}
}

func (container) create(inputs resource.PropertyMap) (string, resource.PropertyMap, error) {
	if err := removeLeftover(inputs); err != nil {
		return "", nil, err
	}
	args := append([]string{"run", "-d", "--name", str(inputs, "name")}, strList(inputs, "options")...)
	out, err := run("docker", append(args, str(inputs, "image")), dockerEnv(inputs), "")
	if err != nil {
		return "", nil, fmt.Errorf("on %s: %w%s", engineName(inputs), err, capsHint(err))
	}
	return strings.TrimSpace(out.stdout), inputs.Copy(), nil
}

func (container) read(id string, state resource.PropertyMap) (bool, error) {
	return succeeds("docker", []string{"container", "inspect", id}, dockerEnv(state)), nil
}

// Every change replaces, so update only records the new inputs.
func (container) update(_ string, olds, news resource.PropertyMap) (resource.PropertyMap, error) {
	return merge(olds, news), nil
}

func (container) delete(id string, state resource.PropertyMap) error {
	env := dockerEnv(state)
	if !succeeds("docker", []string{"container", "inspect", id}, env) {
		return nil
	}
	_, err := run("docker", []string{"rm", "-f", id}, env, "")
	return err
}

// capsHint explains runc's "unable to apply caps": Docker 20.10 asks for
// every capability on --privileged, which fails on a host whose capability
// bounding set is short (DESIGN.md section 4).
func capsHint(err error) string {
	if !strings.Contains(err.Error(), "unable to apply caps") {
		return ""
	}
	return "\nthat engine cannot grant --privileged containers every capability (its host's bounding set is short): " +
		"register toolchain/runc-capfilter.sh as its default OCI runtime (README: Remote engines), or use Docker 23 or later"
}

// removeLeftover removes a container of this name that carries every label
// asked for: an earlier create made it but its answer was lost (an ssh link
// dropped during docker run), so Pulumi never recorded it. A container that
// lacks one of the labels is someone else's and stays (docker run then
// refuses the name).
func removeLeftover(inputs resource.PropertyMap) error {
	env, name := dockerEnv(inputs), str(inputs, "name")
	want := labels(strList(inputs, "options"))
	if len(want) == 0 {
		return nil
	}
	out, err := run("docker", []string{"container", "inspect", "-f", "{{json .Config.Labels}}", name}, env, "")
	if err != nil {
		return nil // no such container
	}
	var have map[string]string
	if json.Unmarshal([]byte(out.stdout), &have) != nil {
		return nil
	}
	for k, v := range want {
		if have[k] != v {
			return nil
		}
	}
	if _, err := run("docker", []string{"rm", "-f", name}, env, ""); err != nil {
		return fmt.Errorf("on %s: removing the leftover container %s: %w", engineName(inputs), name, err)
	}
	return nil
}

// labels: the --label KEY=VALUE options.
func labels(options []string) map[string]string {
	out := map[string]string{}
	for i := 0; i+1 < len(options); i++ {
		if options[i] == "--label" {
			k, v, _ := strings.Cut(options[i+1], "=")
			out[k] = v
		}
	}
	return out
}
