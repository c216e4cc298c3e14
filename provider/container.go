// ndind:index:Container, a Docker container started with `docker run -d`,
// the offline twin of @pulumi/docker 4.11's docker.Container: inputs named
// like its inputs, any change replaces it (the old one first: its name is
// fixed), and a refresh reports drift as it does (removed or not running:
// gone, so the next `up` recreates it; another image: recorded, so the next
// diff replaces it).
//
// Inputs: name, image (an image ID, or a name), hostname?, envs? [NAME=VALUE], privileged?,
// capabilities? {adds?, drops?}, securityOpts?, cgroupnsMode? (private |
// host), init?, restart? (no | on-failure | always | unless-stopped), tmpfs?
// (target -> options), mounts? [{type: bind, source, target, readOnly?}],
// ports? [{internal, external?, ip?, protocol? (tcp | udp)}], healthcheck?
// {tests: [CMD, program, args...] | [CMD-SHELL, line] | [NONE], interval?,
// timeout?, startPeriod?, retries?}, labels? [{label, value}], networkMode?,
// dockerHost?, dockerContext?, dockerCertPath?. Outputs: the inputs; the
// resource's ID is the container ID.
package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

type container struct{}

var containerShape = object(withEngine(map[string]shape{
	"name":         aString,
	"image":        aString,
	"hostname":     aString,
	"envs":         stringList,
	"privileged":   aBool,
	"capabilities": object(map[string]shape{"adds": stringList, "drops": stringList}),
	"securityOpts": stringList,
	"cgroupnsMode": enum("private", "host"),
	"init":         aBool,
	"restart":      enum("no", "on-failure", "always", "unless-stopped"),
	"tmpfs":        stringMap,
	"mounts": listOf(object(map[string]shape{
		"type": enum("bind"), "source": aString, "target": aString, "readOnly": aBool,
	}, "type", "source", "target")),
	"ports": listOf(object(map[string]shape{
		"internal": aPort, "external": aPort, "ip": aString, "protocol": enum("tcp", "udp"),
	}, "internal")),
	"healthcheck": object(map[string]shape{
		"tests": {typ: "list", elem: &aString, valid: healthTests}, "interval": aDuration,
		"timeout": aDuration, "startPeriod": aDuration, "retries": anInt,
	}, "tests"),
	"labels":      listOf(object(map[string]shape{"label": aString, "value": aString}, "label", "value")),
	"networkMode": aString,
}), "name", "image")

var containerKeys = sortedKeys(containerShape.fields)

func healthTests(v resource.PropertyValue) string {
	tests := v.ArrayValue()
	if len(tests) == 0 || !tests[0].IsString() {
		return "must start with CMD, CMD-SHELL or NONE"
	}
	switch first := tests[0].StringValue(); {
	case first == "CMD" && len(tests) >= 2, first == "CMD-SHELL" && len(tests) == 2, first == "NONE" && len(tests) == 1:
		return ""
	}
	return `must be ["CMD", program, args...], ["CMD-SHELL", command line] or ["NONE"]`
}

func (container) check(inputs resource.PropertyMap) []*pulumirpc.CheckFailure {
	return checkInputs(inputs, containerShape, nil)
}

func (container) diff(olds, news resource.PropertyMap) diffResult {
	d := diffInputs(olds, news, containerKeys).replacing(containerKeys)
	d.deleteBeforeReplace = true
	return d
}

func (container) create(inputs resource.PropertyMap) (string, resource.PropertyMap, error) {
	if err := removeLeftover(inputs); err != nil {
		return "", nil, err
	}
	out, err := run("docker", runArgs(inputs), dockerEnv(inputs), "")
	if err != nil {
		return "", nil, fmt.Errorf("on %s: %w%s", engineName(inputs), err, capsHint(err))
	}
	return strings.TrimSpace(out.stdout), inputs.Copy(), nil
}

// runArgs: the `docker run` arguments for the inputs, in a fixed order.
func runArgs(in resource.PropertyMap) []string {
	args := []string{"run", "-d", "--name", str(in, "name")}
	opt := func(flag, value string) {
		if value != "" {
			args = append(args, flag, value)
		}
	}
	flag := func(flag string, on bool) {
		if on {
			args = append(args, flag)
		}
	}
	opt("--hostname", str(in, "hostname"))
	for _, e := range strList(in, "envs") {
		opt("--env", e)
	}
	flag("--privileged", boolean(in, "privileged"))
	caps := obj(in, "capabilities")
	for _, c := range strList(caps, "adds") {
		opt("--cap-add", c)
	}
	for _, c := range strList(caps, "drops") {
		opt("--cap-drop", c)
	}
	for _, o := range strList(in, "securityOpts") {
		opt("--security-opt", o)
	}
	opt("--cgroupns", str(in, "cgroupnsMode"))
	flag("--init", boolean(in, "init"))
	opt("--restart", str(in, "restart"))
	tmpfs := strMap(in, "tmpfs")
	for _, t := range sortedKeys(tmpfs) {
		opt("--tmpfs", strings.TrimSuffix(t+":"+tmpfs[t], ":"))
	}
	for _, m := range objList(in, "mounts") {
		fields := []string{"type=" + str(m, "type"), "source=" + str(m, "source"), "target=" + str(m, "target")}
		if boolean(m, "readOnly") {
			fields = append(fields, "readonly")
		}
		opt("--mount", csvLine(fields))
	}
	for _, p := range objList(in, "ports") {
		opt("--publish", publish(p))
	}
	args = append(args, healthArgs(obj(in, "healthcheck"))...)
	for _, l := range objList(in, "labels") {
		opt("--label", str(l, "label")+"="+str(l, "value"))
	}
	opt("--network", str(in, "networkMode"))
	return append(args, str(in, "image"))
}

// publish: a --publish value, IP:EXTERNAL:INTERNAL/PROTOCOL; an IPv6 address
// goes in brackets, and no external port lets the engine pick one.
func publish(p resource.PropertyMap) string {
	proto := str(p, "protocol")
	if proto == "" {
		proto = "tcp"
	}
	host := str(p, "external")
	if ip := str(p, "ip"); ip != "" {
		if strings.Contains(ip, ":") {
			ip = "[" + ip + "]"
		}
		host = ip + ":" + host
	}
	if host != "" {
		host += ":"
	}
	return host + str(p, "internal") + "/" + proto
}

// healthArgs: --health-cmd takes a shell command line (Docker stores it as
// CMD-SHELL), so a CMD list is joined with each word quoted as sh needs.
func healthArgs(h resource.PropertyMap) []string {
	tests := strList(h, "tests")
	if len(tests) == 0 {
		return nil
	}
	var line string
	switch tests[0] {
	case "NONE":
		return []string{"--no-healthcheck"}
	case "CMD-SHELL":
		line = strings.Join(tests[1:], " ")
	default:
		words := make([]string, 0, len(tests)-1)
		for _, w := range tests[1:] {
			words = append(words, shellQuote(w))
		}
		line = strings.Join(words, " ")
	}
	args := []string{"--health-cmd", line}
	for _, f := range [][2]string{{"interval", "--health-interval"}, {"timeout", "--health-timeout"},
		{"startPeriod", "--health-start-period"}, {"retries", "--health-retries"}} {
		if v := str(h, f[0]); v != "" {
			args = append(args, f[1], v)
		}
	}
	return args
}

// shellQuote: w as one sh word, quoted only when it needs to be.
func shellQuote(w string) string {
	if w != "" && strings.Trim(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,@+%") == "" {
		return w
	}
	return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
}

// csvLine: --mount's value is a CSV record; a field with a comma or a quote
// is quoted.
func csvLine(fields []string) string {
	for i, f := range fields {
		if strings.ContainsAny(f, `,"`) {
			fields[i] = `"` + strings.ReplaceAll(f, `"`, `""`) + `"`
		}
	}
	return strings.Join(fields, ",")
}

// read reports drift as docker.Container does: a container removed, or not
// running (its mustRun default), is gone; one running another image than
// recorded gets that image's ID as its image, so the next diff replaces it.
func (container) read(id string, state resource.PropertyMap) (resource.PropertyMap, error) {
	env := dockerEnv(state)
	out, err := run("docker", []string{"container", "inspect", "-f", "{{.State.Running}} {{.Image}}", id}, env, "")
	if err != nil {
		return nil, nil // no such container
	}
	running, runs, _ := strings.Cut(strings.TrimSpace(out.stdout), " ")
	if running != "true" {
		return nil, nil
	}
	recorded := str(state, "image")
	if !strings.HasPrefix(recorded, "sha256:") {
		// A name: the image it names now.
		if out, err := run("docker", []string{"image", "inspect", "-f", "{{.Id}}", recorded}, env, ""); err == nil {
			recorded = strings.TrimSpace(out.stdout)
		}
	}
	if runs == recorded {
		return state, nil
	}
	state = state.Copy()
	state["image"] = resource.NewStringProperty(runs)
	return state, nil
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
// bounding set is short (README, "Setup": the Docker engine).
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
	want := map[string]string{}
	for _, l := range objList(inputs, "labels") {
		want[str(l, "label")] = str(l, "value")
	}
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
