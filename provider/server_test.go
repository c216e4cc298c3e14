package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"
)

const (
	commandType   = "ndind:index:Command"
	imageType     = "ndind:index:Image"
	containerType = "ndind:index:Container"
)

var ctx = context.Background()

func wire(t *testing.T, m resource.PropertyMap) *structpb.Struct {
	t.Helper()
	s, err := plugin.MarshalProperties(m, marshal)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func unwire(t *testing.T, s *structpb.Struct) resource.PropertyMap {
	t.Helper()
	m, err := props(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// fakeDocker puts a `docker` first on the PATH that logs each call (its
// arguments, DOCKER_HOST, DOCKER_BUILDKIT and what it read on stdin) and
// answers from the environment: FAKE_LABEL for the labels asked for,
// FAKE_MISSING=1 to fail every inspect, FAKE_RUNNING (default true) and
// FAKE_IMAGE (default sha256:1) for a container's state and image,
// FAKE_NAMED (default sha256:built) for the ID an image name has,
// FAKE_LABELLED for the IDs of the images with a given label. It returns
// the log's path.
func fakeDocker(t *testing.T) string {
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	script := `#!/bin/sh
{ echo "docker $* host=${DOCKER_HOST:-} buildkit=${DOCKER_BUILDKIT:-}"; } >>"` + log + `"
case "$1 $2" in
"image inspect"|"container inspect")
	[ "${FAKE_MISSING:-}" != 1 ] || { echo "Error: No such object: $3" >&2; exit 1; }
	case "$*" in
	*Labels*) echo "${FAKE_LABEL:-}" ;;
	*State.Running*) echo "${FAKE_RUNNING:-true} ${FAKE_IMAGE:-sha256:1}" ;;
	*.Id*) echo "${FAKE_NAMED:-sha256:built}" ;;
	esac ;;
"run -d") echo "  container-id  " ;;
"images -q") printf '%s\n' ${FAKE_LABELLED:-} ;;
build*) tar -tf - | sort | tr '\n' ' ' >>"` + log + `"; echo >>"` + log + `" ;;
esac
`
	if err := os.WriteFile(filepath.Join(dir, "docker"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return log
}

func readLog(t *testing.T, log string) string {
	t.Helper()
	b, err := os.ReadFile(log)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

func TestPluginInfoAndSchema(t *testing.T) {
	s := newServer()
	info, _ := s.GetPluginInfo(ctx, nil)
	b, err := os.ReadFile("VERSION")
	if err != nil {
		t.Fatal(err)
	}
	if info.GetVersion() != strings.TrimSpace(string(b)) || info.GetVersion() == "" {
		t.Errorf("version %q, VERSION says %q", info.GetVersion(), b)
	}
	schema, _ := s.GetSchema(ctx, &pulumirpc.GetSchemaRequest{})
	var parsed struct{ Name, Version string }
	if err := json.Unmarshal([]byte(schema.GetSchema()), &parsed); err != nil || parsed.Name != "ndind" || parsed.Version != info.GetVersion() {
		t.Errorf("schema %q: %v", schema.GetSchema(), err)
	}
}

func TestUnknownType(t *testing.T) {
	_, err := newServer().Check(ctx, &pulumirpc.CheckRequest{Type: "ndind:index:Nothing"})
	if err == nil || !strings.Contains(err.Error(), `no resource type "ndind:index:Nothing"`) {
		t.Errorf("got %v", err)
	}
}

// An unknown input arrives as a sentinel string and must survive as unknown.
func TestDiffOverTheWireKeepsUnknowns(t *testing.T) {
	olds := commandInputs()
	news := with(olds, "triggers", resource.NewArrayProperty([]resource.PropertyValue{unknown()}))
	resp, err := newServer().Diff(ctx, &pulumirpc.DiffRequest{
		Urn:  "urn:pulumi:dev::nerdctl-dind::nerdctl-dind:index:Verify$" + commandType + "::verify-run",
		Olds: wire(t, olds), News: wire(t, news),
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetChanges() != pulumirpc.DiffResponse_DIFF_SOME || strings.Join(resp.GetReplaces(), ",") != "triggers" {
		t.Errorf("got %v", resp)
	}
}

func TestCommandLifecycle(t *testing.T) {
	s := newServer()
	dir := t.TempDir()
	inputs := resource.NewPropertyMapFromMap(map[string]interface{}{
		"create":      `echo "made $NAME in $(pwd)"; echo warn >&2; touch made`,
		"delete":      `rm made; echo deleted`,
		"dir":         dir,
		"environment": map[string]interface{}{"NAME": "x"},
	})
	created, err := s.Create(ctx, &pulumirpc.CreateRequest{Type: commandType, Properties: wire(t, inputs)})
	if err != nil {
		t.Fatal(err)
	}
	if len(created.GetId()) != 16 {
		t.Errorf("id %q is not 8 random bytes in hex", created.GetId())
	}
	state := unwire(t, created.GetProperties())
	// Output is kept whole: trailing newline included.
	if str(state, "stdout") != "made x in "+dir+"\n" || str(state, "stderr") != "warn\n" || str(state, "create") != str(inputs, "create") {
		t.Errorf("state %v", state)
	}

	// No update command: update runs create again.
	updated, err := s.Update(ctx, &pulumirpc.UpdateRequest{Type: commandType, Id: created.GetId(),
		Olds: created.GetProperties(), News: wire(t, with(inputs, "environment", resource.NewObjectProperty(
			resource.PropertyMap{"NAME": resource.NewStringProperty("y")})))})
	if err != nil {
		t.Fatal(err)
	}
	if got := str(unwire(t, updated.GetProperties()), "stdout"); got != "made y in "+dir+"\n" {
		t.Errorf("update ran %q", got)
	}
	withUpdate := with(inputs, "update", resource.NewStringProperty("echo updated"))
	updated, err = s.Update(ctx, &pulumirpc.UpdateRequest{Type: commandType, Olds: created.GetProperties(), News: wire(t, withUpdate)})
	if err != nil || str(unwire(t, updated.GetProperties()), "stdout") != "updated\n" {
		t.Errorf("update: %v %v", updated, err)
	}

	read, err := s.Read(ctx, &pulumirpc.ReadRequest{Type: commandType, Id: created.GetId(), Properties: created.GetProperties()})
	if err != nil || read.GetId() != created.GetId() || !unwire(t, read.GetProperties()).DeepEquals(state) {
		t.Errorf("read changed the state: %v %v", read, err)
	}

	if _, err := s.Delete(ctx, &pulumirpc.DeleteRequest{Type: commandType, Id: created.GetId(), Properties: created.GetProperties()}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "made")); !os.IsNotExist(err) {
		t.Errorf("delete did not run in dir: %v", err)
	}
	// No delete command: nothing to do.
	if _, err := s.Delete(ctx, &pulumirpc.DeleteRequest{Type: commandType, Properties: wire(t, with(inputs, "delete", resource.PropertyValue{}))}); err != nil {
		t.Error(err)
	}
}

// As before: the last 15 lines of stderr, a blank line, stdout.
func TestCommandFailureCarriesTheLastLines(t *testing.T) {
	inputs := resource.NewPropertyMapFromMap(map[string]interface{}{
		"create": `i=1; while [ $i -le 10 ]; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); done; exit 3`,
	})
	_, err := newServer().Create(ctx, &pulumirpc.CreateRequest{Type: commandType, Properties: wire(t, inputs)})
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	if !strings.HasPrefix(lines[0], "sh -c i=1; while") || !strings.HasSuffix(lines[0], "exited 3:") {
		t.Errorf("first line %q", lines[0])
	}
	if len(lines) != 16 || lines[1] != "err 7" || lines[4] != "err 10" || lines[5] != "" || lines[6] != "out 1" || lines[15] != "out 10" {
		t.Errorf("got %q", err.Error())
	}
}

func TestRunCannotStart(t *testing.T) {
	_, err := run("/nonexistent/prog", nil, nil, "")
	if err == nil || !strings.HasPrefix(err.Error(), "/nonexistent/prog could not run: ") {
		t.Errorf("got %v", err)
	}
}

// Independent resources are created side by side: two one-second commands
// take about a second.
func TestConcurrentCalls(t *testing.T) {
	s := newServer()
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := resource.NewPropertyMapFromMap(map[string]interface{}{"create": "sleep 1"})
			if _, err := s.Create(ctx, &pulumirpc.CreateRequest{Type: commandType, Properties: wire(t, in)}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if d := time.Since(start); d > 1900*time.Millisecond {
		t.Errorf("three 1 s commands took %v: not run in parallel", d)
	}
}

func TestContainer(t *testing.T) {
	log := fakeDocker(t)
	s := newServer()
	inputs := resource.NewPropertyMapFromMap(map[string]interface{}{
		"name": "w", "image": "sha256:1", "init": true, "dockerHost": "tcp://h:1",
		"ports":  []interface{}{map[string]interface{}{"internal": 22, "external": 2222, "ip": "127.0.0.1", "protocol": "tcp"}},
		"labels": []interface{}{map[string]interface{}{"label": "a", "value": "b c"}},
	})
	created, err := s.Create(ctx, &pulumirpc.CreateRequest{Type: containerType, Properties: wire(t, inputs)})
	if err != nil {
		t.Fatal(err)
	}
	if created.GetId() != "container-id" || !unwire(t, created.GetProperties()).DeepEquals(inputs) {
		t.Errorf("got %v", created)
	}
	if got := readLog(t, log); got != "docker container inspect -f {{json .Config.Labels}} w host=tcp://h:1 buildkit=\n"+
		"docker run -d --name w --init --publish 127.0.0.1:2222:22/tcp --label a=b c sha256:1 host=tcp://h:1 buildkit=\n" {
		t.Errorf("ran %q", got)
	}
	readReq := &pulumirpc.ReadRequest{Type: containerType, Id: "container-id", Properties: created.GetProperties(), Inputs: wire(t, inputs)}

	// Running the image recorded: the state as it is.
	read, err := s.Read(ctx, readReq)
	if err != nil || read.GetId() != "container-id" || !unwire(t, read.GetProperties()).DeepEquals(inputs) || !unwire(t, read.GetInputs()).DeepEquals(inputs) {
		t.Errorf("read: %v %v", read, err)
	}
	// Running another image: that image's ID, in the state and the inputs,
	// so the next diff replaces the container.
	t.Setenv("FAKE_IMAGE", "sha256:2")
	read, err = s.Read(ctx, readReq)
	if err != nil || read.GetId() != "container-id" || str(unwire(t, read.GetProperties()), "image") != "sha256:2" ||
		str(unwire(t, read.GetInputs()), "image") != "sha256:2" {
		t.Errorf("read of a container running another image: %v %v", read, err)
	}
	if d := (container{}).diff(unwire(t, read.GetProperties()), inputs); !reflect.DeepEqual(d.replaces, []string{"image"}) {
		t.Errorf("the diff after it: %+v", d)
	}
	// An image recorded by name: compared by the ID the name has now.
	named := with(inputs, "image", resource.NewStringProperty("alpine:3.18"))
	t.Setenv("FAKE_NAMED", "sha256:2")
	if read, err := s.Read(ctx, &pulumirpc.ReadRequest{Type: containerType, Id: "container-id", Properties: wire(t, named)}); err != nil ||
		str(unwire(t, read.GetProperties()), "image") != "alpine:3.18" || read.GetInputs() != nil {
		t.Errorf("read of a container of a named image: %v %v", read, err)
	}
	t.Setenv("FAKE_NAMED", "sha256:3")
	if read, err := s.Read(ctx, &pulumirpc.ReadRequest{Type: containerType, Id: "container-id", Properties: wire(t, named)}); err != nil ||
		str(unwire(t, read.GetProperties()), "image") != "sha256:2" {
		t.Errorf("read of a container of a named image, retagged: %v %v", read, err)
	}
	// Stopped or exited: gone (docker.Container's mustRun), so up recreates it.
	t.Setenv("FAKE_RUNNING", "false")
	read, err = s.Read(ctx, readReq)
	if err != nil || read.GetId() != "" || read.GetProperties() != nil {
		t.Errorf("read of a stopped container: %v %v", read, err)
	}
	t.Setenv("FAKE_RUNNING", "true")

	if _, err := s.Delete(ctx, &pulumirpc.DeleteRequest{Type: containerType, Id: "container-id", Properties: created.GetProperties()}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(readLog(t, log), "docker container inspect container-id host=tcp://h:1 buildkit=\ndocker rm -f container-id host=tcp://h:1 buildkit=\n") {
		t.Errorf("delete ran %q", readLog(t, log))
	}

	// Removed behind Pulumi's back: read says gone, delete has nothing to do.
	t.Setenv("FAKE_MISSING", "1")
	read, err = s.Read(ctx, readReq)
	if err != nil || read.GetId() != "" || read.GetProperties() != nil {
		t.Errorf("read of a removed container: %v %v", read, err)
	}
	before := readLog(t, log)
	if _, err := s.Delete(ctx, &pulumirpc.DeleteRequest{Type: containerType, Id: "container-id", Properties: created.GetProperties()}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.TrimPrefix(readLog(t, log), before), "rm -f") {
		t.Errorf("removed a missing container")
	}
}

// `pulumi preview --diff` of one changed port: the detailed diff names the
// port's field, and the container is replaced, the old one first.
func TestContainerDiffOverTheWire(t *testing.T) {
	olds := containerInputs()
	news := set(t, olds, "ports[0].external", resource.NewNumberProperty(17001))
	resp, err := newServer().Diff(ctx, &pulumirpc.DiffRequest{Type: containerType, Olds: wire(t, olds), News: wire(t, news)})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetChanges() != pulumirpc.DiffResponse_DIFF_SOME || !resp.GetHasDetailedDiff() || !resp.GetDeleteBeforeReplace() ||
		strings.Join(resp.GetReplaces(), ",") != "ports" || len(resp.GetDetailedDiff()) != 1 ||
		resp.GetDetailedDiff()["ports[0].external"].GetKind() != updateReplace {
		t.Errorf("got %v", resp)
	}
}

func TestCheckOverTheWire(t *testing.T) {
	inputs := set(t, containerInputs(), "ports[0].protocol", resource.NewStringProperty("sctp"))
	resp, err := newServer().Check(ctx, &pulumirpc.CheckRequest{Type: containerType, News: wire(t, inputs)})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetFailures()) != 1 || resp.GetFailures()[0].GetProperty() != "ports" ||
		resp.GetFailures()[0].GetReason() != "ports[0].protocol: must be tcp or udp" || !unwire(t, resp.GetInputs()).DeepEquals(inputs) {
		t.Errorf("got %v", resp)
	}
}

func TestImage(t *testing.T) {
	log := fakeDocker(t)
	ctxDir := t.TempDir()
	for _, f := range []string{"dockerfile", "scripts/entry.sh", "nerdctl/out/key/bin", "unrelated"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(ctxDir, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(ctxDir, f), []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	inputs := with(imageInputs(), "context", resource.NewStringProperty(ctxDir))
	s := newServer()

	// A label that differs: built, with only the context paths sent.
	t.Setenv("FAKE_LABEL", "old")
	created, err := s.Create(ctx, &pulumirpc.CreateRequest{Type: imageType, Properties: wire(t, inputs)})
	if err != nil {
		t.Fatal(err)
	}
	state := unwire(t, created.GetProperties())
	if created.GetId() != "sha256:built" || str(state, "imageId") != "sha256:built" || str(state, "imageName") != "nerdctl-dind:dev" ||
		!with(with(state, "imageId", resource.PropertyValue{}), "imageName", resource.PropertyValue{}).DeepEquals(inputs) {
		t.Errorf("got %v", created)
	}
	want := "docker image inspect -f {{index .Config.Labels \"nerdctl-dind.content-hash\"}} nerdctl-dind:dev host= buildkit=0\n" +
		"docker images -q --no-trunc --filter label=nerdctl-dind.content-hash=abc host= buildkit=0\n" +
		"docker build -q -f dockerfile -t nerdctl-dind:dev --label nerdctl-dind.content-hash=abc " +
		"--platform linux/arm64 --build-arg BASE_IMAGE=alpine:3.18 --build-arg BUNDLE=key - host= buildkit=0\n" +
		"dockerfile nerdctl/out/key/ nerdctl/out/key/bin scripts/ scripts/entry.sh \n" +
		"docker image inspect -f {{.Id}} nerdctl-dind:dev host= buildkit=0\n"
	if got := readLog(t, log); got != want {
		t.Errorf("ran\n%s\nwant\n%s", got, want)
	}

	// The same content hash: reused, not built.
	t.Setenv("FAKE_LABEL", "abc")
	before := readLog(t, log)
	if _, err := s.Create(ctx, &pulumirpc.CreateRequest{Type: imageType, Properties: wire(t, inputs)}); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimPrefix(readLog(t, log), before); strings.Contains(got, "docker build") {
		t.Errorf("rebuilt an image with the same content hash: %q", got)
	}

	// Another image with the same content hash (another stack's): tagged, not built.
	t.Setenv("FAKE_LABEL", "old")
	t.Setenv("FAKE_LABELLED", "sha256:other sha256:other")
	before = readLog(t, log)
	if _, err := s.Create(ctx, &pulumirpc.CreateRequest{Type: imageType, Properties: wire(t, inputs)}); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimPrefix(readLog(t, log), before); strings.Contains(got, "docker build") ||
		!strings.Contains(got, "docker tag sha256:other nerdctl-dind:dev host= buildkit=0\n") {
		t.Errorf("an image of the same content hash under another name: ran %q", got)
	}
	t.Setenv("FAKE_LABELLED", "")

	// Delete keeps the image; read follows it.
	before = readLog(t, log)
	if _, err := s.Delete(ctx, &pulumirpc.DeleteRequest{Type: imageType, Id: "sha256:built", Properties: created.GetProperties()}); err != nil {
		t.Fatal(err)
	}
	if readLog(t, log) != before {
		t.Errorf("delete called docker")
	}
	t.Setenv("FAKE_MISSING", "1")
	if read, err := s.Read(ctx, &pulumirpc.ReadRequest{Type: imageType, Id: "sha256:built", Properties: created.GetProperties()}); err != nil || read.GetId() != "" {
		t.Errorf("read of a removed image: %v %v", read, err)
	}
}

// A container of the same name with every label asked for is a leftover of
// a create whose answer was lost: removed first. One without them stays.
func TestContainerLeftover(t *testing.T) {
	inputs := resource.NewPropertyMapFromMap(map[string]interface{}{
		"name": "w", "image": "sha256:1", "labels": []interface{}{map[string]interface{}{"label": "a", "value": "b c"}},
	})
	for labels, removed := range map[string]bool{`{"a":"b c","x":"y"}`: true, `{"a":"other"}`: false} {
		log := fakeDocker(t)
		t.Setenv("FAKE_LABEL", labels)
		if _, err := newServer().Create(ctx, &pulumirpc.CreateRequest{Type: containerType, Properties: wire(t, inputs)}); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(readLog(t, log), "docker rm -f w "); got != removed {
			t.Errorf("labels %s: removed=%v, log %q", labels, got, readLog(t, log))
		}
	}
}

func TestDockerEnv(t *testing.T) {
	m := resource.NewPropertyMapFromMap(map[string]interface{}{"dockerContext": "team", "dockerCertPath": "/tls"})
	want := map[string]string{"DOCKER_CONTEXT": "team", "DOCKER_CERT_PATH": "/tls", "DOCKER_TLS_VERIFY": "1"}
	if got := dockerEnv(m); !reflect.DeepEqual(got, want) {
		t.Errorf("got %v", got)
	}
	if got := engineName(m); got != "Docker context team" {
		t.Errorf("engine name %q", got)
	}
	if got := dockerEnv(resource.PropertyMap{}); len(got) != 0 {
		t.Errorf("local engine got %v", got)
	}
}

// Secrets: the plugin accepts none, so the engine sends a secret environment
// value plain and marks secret the output at the same path; for that the
// state must hold environment as the same object, key for key.
func TestCommandSecretsStayWhereTheEngineCanFindThem(t *testing.T) {
	s := newServer()
	conf, err := s.Configure(ctx, &pulumirpc.ConfigureRequest{})
	if err != nil || conf.GetAcceptSecrets() || conf.GetSupportsPreview() {
		t.Fatalf("configure: %v %v", conf, err)
	}
	inputs := resource.NewPropertyMapFromMap(map[string]interface{}{
		"create": `test "$TOKEN" = s3cret && echo ok`, "environment": map[string]interface{}{"TOKEN": "s3cret", "PLAIN": "p"},
	})
	created, err := s.Create(ctx, &pulumirpc.CreateRequest{Type: commandType, Properties: wire(t, inputs)})
	if err != nil {
		t.Fatal(err)
	}
	state := unwire(t, created.GetProperties())
	if !state["environment"].DeepEquals(inputs["environment"]) || str(state, "stdout") != "ok\n" {
		t.Errorf("state %v", state)
	}
}

// A change that is not a trigger's updates in place over the wire too.
func TestCommandChangeUpdatesInPlace(t *testing.T) {
	olds := withOutputs(commandInputs(), map[string]string{"stdout": "", "stderr": ""})
	news := with(commandInputs(), "create", resource.NewStringProperty("echo other"))
	resp, err := newServer().Diff(ctx, &pulumirpc.DiffRequest{Type: commandType, Olds: wire(t, olds), News: wire(t, news)})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetChanges() != pulumirpc.DiffResponse_DIFF_SOME || len(resp.GetReplaces()) != 0 || resp.GetDeleteBeforeReplace() ||
		resp.GetDetailedDiff()["create"].GetKind() != update {
		t.Errorf("got %v", resp)
	}
}
