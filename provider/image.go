// ndind:index:Image, a Docker image built by the engine's legacy builder
// (works with every engine and client here; BuildKit needs buildx, which the
// newer docker CLI lacks). Rebuilt, as a replacement, when anything it is
// built from changes; an image already labelled with the same content hash
// is reused unbuilt, under its own name or (tagged) under another stack's.
// Deleting it keeps the image, as build cache.
//
// Inputs: name, context, contextPaths (what the build reads, relative to the
// context: only these are sent), dockerfile (relative to the context),
// buildArgs (name -> value), contentHash, platform? (docker build
// --platform: the engine's, e.g. linux/arm64), dockerHost?, dockerContext?,
// dockerCertPath?. Outputs: the inputs plus imageId and imageName (the name,
// as docker.Image gives it); the resource's ID is the image ID too.
package main

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

type image struct{}

var imageShape = object(withEngine(map[string]shape{
	"name": aString, "context": aString, "contextPaths": stringList, "dockerfile": aString,
	"buildArgs": stringMap, "contentHash": aString, "platform": aString,
}), "name", "context", "contextPaths", "dockerfile", "contentHash")

var imageKeys = sortedKeys(imageShape.fields)

func (image) check(inputs resource.PropertyMap) []*pulumirpc.CheckFailure {
	return checkInputs(inputs, imageShape, []string{"imageId", "imageName"})
}

const contentHashLabel = "nerdctl-dind.content-hash"

// The context goes as a tar of just what the build reads, not the whole folder.
const buildScript = `cd "$1" && shift && tar -cf - $PATHS | docker build "$@" -`

func (image) diff(olds, news resource.PropertyMap) diffResult {
	return diffInputs(olds, news, imageKeys).replacing(imageKeys)
}

func (image) create(inputs resource.PropertyMap) (string, resource.PropertyMap, error) {
	env := dockerEnv(inputs)
	env["DOCKER_BUILDKIT"] = "0"
	name, hash := str(inputs, "name"), str(inputs, "contentHash")
	label := ""
	if out, err := run("docker", []string{"image", "inspect", "-f",
		fmt.Sprintf(`{{index .Config.Labels %q}}`, contentHashLabel), name}, env, ""); err == nil {
		label = strings.TrimSpace(out.stdout)
	}
	if label != hash {
		// Another stack's image on this engine, built from the same content:
		// tagged, not built. On an engine far away (ssh, a VM) sending the
		// context and unpacking it are most of a first up (measured on an
		// emulated guest: 150 of 280 s sending a 270 MB context).
		if out, err := run("docker", []string{"images", "-q", "--no-trunc", "--filter",
			"label=" + contentHashLabel + "=" + hash}, env, ""); err == nil {
			if ids := strings.Fields(out.stdout); len(ids) > 0 {
				if _, err := run("docker", []string{"tag", ids[0], name}, env, ""); err == nil {
					label = hash
				}
			}
		}
	}
	if label != hash {
		env["PATHS"] = strings.Join(strList(inputs, "contextPaths"), " ")
		args := append([]string{"-c", buildScript, "sh", str(inputs, "context")}, buildArgs(inputs)...)
		if _, err := run("sh", args, env, ""); err != nil {
			return "", nil, fmt.Errorf("building %s on %s: %w", name, engineName(inputs), err)
		}
	}
	out, err := run("docker", []string{"image", "inspect", "-f", "{{.Id}}", name}, env, "")
	if err != nil {
		return "", nil, err
	}
	id := strings.TrimSpace(out.stdout)
	return id, withOutputs(inputs, map[string]string{"imageId": id, "imageName": name}), nil
}

// buildArgs: the `docker build` arguments after the context.
func buildArgs(inputs resource.PropertyMap) []string {
	args := []string{"-q", "-f", str(inputs, "dockerfile"), "-t", str(inputs, "name"),
		"--label", contentHashLabel + "=" + str(inputs, "contentHash")}
	// The legacy builder takes it too (API 1.32); Docker 20.10's uses a local
	// FROM image of another platform as it is, so the base must be right already.
	if p := str(inputs, "platform"); p != "" {
		args = append(args, "--platform", p)
	}
	values := strMap(inputs, "buildArgs")
	for _, k := range sortedKeys(values) {
		args = append(args, "--build-arg", k+"="+values[k])
	}
	return args
}

func (image) read(id string, state resource.PropertyMap) (resource.PropertyMap, error) {
	if !succeeds("docker", []string{"image", "inspect", id}, dockerEnv(state)) {
		return nil, nil
	}
	return state, nil
}

// Every change replaces, so update only records the new inputs.
func (image) update(_ string, olds, news resource.PropertyMap) (resource.PropertyMap, error) {
	return merge(olds, news), nil
}

func (image) delete(string, resource.PropertyMap) error {
	return nil // kept on purpose: a later `up` rebuilds in seconds
}

// merge: the old state with the new inputs over it.
func merge(olds, news resource.PropertyMap) resource.PropertyMap {
	state := olds.Copy()
	for k, v := range news {
		state[k] = v
	}
	return state
}
