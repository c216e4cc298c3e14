package main

import (
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

const (
	add           = pulumirpc.PropertyDiff_ADD
	update        = pulumirpc.PropertyDiff_UPDATE
	addReplace    = pulumirpc.PropertyDiff_ADD_REPLACE
	deleteReplace = pulumirpc.PropertyDiff_DELETE_REPLACE
	updateReplace = pulumirpc.PropertyDiff_UPDATE_REPLACE
)

type detail = map[string]pulumirpc.PropertyDiff_Kind

func unknown() resource.PropertyValue {
	return resource.MakeComputed(resource.NewStringProperty(""))
}

func strs(s ...string) resource.PropertyValue {
	out := make([]resource.PropertyValue, 0, len(s))
	for _, e := range s {
		out = append(out, resource.NewStringProperty(e))
	}
	return resource.NewArrayProperty(out)
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
		{"a trigger changes: replace", olds, with(base, "triggers", strs("new-id", "report")),
			diffResult{changed: []string{"triggers"}, replaces: []string{"triggers"}, detail: detail{"triggers[0]": updateReplace}}},
		{"no update command: a change still updates in place (create runs again)", olds,
			with(base, "create", resource.NewStringProperty("other")),
			diffResult{changed: []string{"create"}, detail: detail{"create": update}}},
		{"with an update command: a change updates in place", oldsWithUpdate,
			with(withUpdate, "environment", resource.NewObjectProperty(resource.PropertyMap{
				"DOCKER_HOST": resource.NewStringProperty("ssh://h"), "DIR": resource.NewStringProperty("/x")})),
			diffResult{changed: []string{"environment"}, detail: detail{"environment.DIR": add}}},
		{"a trigger replaces; the other changed keys show as updates", oldsWithUpdate,
			with(with(withUpdate, "triggers", resource.NewArrayProperty(nil)), "dir", resource.NewStringProperty("/d")),
			diffResult{changed: []string{"dir", "triggers"}, replaces: []string{"triggers"},
				detail: detail{"dir": add, "triggers[0]": deleteReplace, "triggers[1]": deleteReplace}}},
		{"the update command removed: an update", oldsWithUpdate, base,
			diffResult{changed: []string{"update"}, detail: detail{"update": pulumirpc.PropertyDiff_DELETE}}},
		{"an unknown trigger (preview) is a change", olds,
			with(base, "triggers", resource.NewArrayProperty([]resource.PropertyValue{unknown(), resource.NewStringProperty("report")})),
			diffResult{changed: []string{"triggers"}, replaces: []string{"triggers"}, detail: detail{"triggers[0]": updateReplace}}},
		{"an unknown trigger list (preview) is a change", olds, with(base, "triggers", unknown()),
			diffResult{changed: []string{"triggers"}, replaces: []string{"triggers"}, detail: detail{"triggers": updateReplace}}},
		{"an unknown update command is a change in place", oldsWithUpdate, with(withUpdate, "update", unknown()),
			diffResult{changed: []string{"update"}, detail: detail{"update": update}}},
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
		"platform":     "linux/arm64",
	})
}

func TestImageDiff(t *testing.T) {
	news := imageInputs()
	olds := withOutputs(news, map[string]string{"imageId": "sha256:1", "imageName": "nerdctl-dind:dev"})
	if got := (image{}).diff(olds, news); got.changed != nil || got.replaces != nil || got.detail != nil {
		t.Errorf("no change: got %+v", got)
	}
	for key, c := range map[string]struct {
		v    resource.PropertyValue
		want detail
	}{
		"name":         {resource.NewStringProperty("nerdctl-dind:other"), detail{"name": updateReplace}},
		"contextPaths": {strs("dockerfile"), detail{"contextPaths[1]": deleteReplace, "contextPaths[2]": deleteReplace}},
		"buildArgs": {resource.NewObjectProperty(resource.PropertyMap{"BUNDLE": resource.NewStringProperty("key2")}),
			detail{"buildArgs.BASE_IMAGE": deleteReplace, "buildArgs.BUNDLE": updateReplace}},
		"contentHash": {unknown(), detail{"contentHash": updateReplace}},
		"dockerHost":  {resource.NewStringProperty("ssh://h"), detail{"dockerHost": addReplace}},
	} {
		got := (image{}).diff(olds, with(news, key, c.v))
		want := diffResult{changed: []string{key}, replaces: []string{key}, detail: c.want}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s changed: got %+v, want %+v", key, got, want)
		}
	}
}

// containerInputs: what the wrapper asks for.
func containerInputs() resource.PropertyMap {
	return resource.NewPropertyMapFromMap(map[string]interface{}{
		"name": "nerdctl-dind-dev", "image": "sha256:1", "hostname": "nerdctl-dind-dev", "envs": []interface{}{"NDIND_IPTABLES=nft"},
		"privileged": false, "capabilities": map[string]interface{}{"adds": []interface{}{"SYS_ADMIN", "NET_ADMIN"}, "drops": []interface{}{}},
		"securityOpts": []interface{}{"seccomp=unconfined", "apparmor=unconfined"},
		"cgroupnsMode": "private", "init": true, "restart": "unless-stopped",
		"tmpfs": map[string]interface{}{"/run": "rw,exec,mode=755", "/tmp": ""},
		"mounts": []interface{}{
			map[string]interface{}{"type": "bind", "source": "/data/containerd", "target": "/var/lib/containerd", "readOnly": false},
			map[string]interface{}{"type": "bind", "source": "/preload/a.tar", "target": "/preload/a.tar", "readOnly": true},
		},
		"ports": []interface{}{
			map[string]interface{}{"internal": 17000, "external": 17000, "ip": "127.0.0.1", "protocol": "tcp"},
			map[string]interface{}{"internal": 53, "external": 1053, "ip": "::1", "protocol": "udp"},
		},
		"healthcheck": map[string]interface{}{"tests": []interface{}{"CMD", "/scripts/healthcheck.sh"},
			"interval": "5s", "timeout": "3s", "startPeriod": "2s", "retries": 3},
		"labels":      []interface{}{map[string]interface{}{"label": "nerdctl-dind.stack", "value": "dev"}},
		"networkMode": "ndind-net",
		"dockerHost":  "tcp://h:2375",
	})
}

// set: a copy of m with the value at path (ports[0].external) set.
func set(t *testing.T, m resource.PropertyMap, path string, v resource.PropertyValue) resource.PropertyMap {
	t.Helper()
	p, err := resource.ParsePropertyPath(path)
	if err != nil {
		t.Fatal(err)
	}
	// A deep copy (the fixtures hold no unknowns).
	root := resource.NewObjectProperty(resource.NewPropertyMapFromMap(m.Mappable()))
	if !p.Set(root, v) {
		t.Fatalf("no path %s", path)
	}
	return root.ObjectValue()
}

func TestContainerDiff(t *testing.T) {
	news := containerInputs()
	if got := (container{}).diff(news.Copy(), news); got.changed != nil {
		t.Errorf("no change: got %+v", got)
	}
	cases := []struct {
		name    string
		news    resource.PropertyMap
		changed []string
		detail  detail
	}{
		{"one port's external port", set(t, news, "ports[0].external", resource.NewNumberProperty(17001)),
			[]string{"ports"}, detail{"ports[0].external": updateReplace}},
		{"an image ID unknown at preview (being rebuilt) and another engine",
			with(with(news, "image", unknown()), "dockerHost", resource.NewStringProperty("tcp://h:2376")),
			[]string{"dockerHost", "image"}, detail{"image": updateReplace, "dockerHost": updateReplace}},
		{"a tmpfs target's options", set(t, news, `tmpfs["/run"]`, resource.NewStringProperty("rw")),
			[]string{"tmpfs"}, detail{`tmpfs["/run"]`: updateReplace}},
		{"a label added", with(news, "labels", resource.NewArrayProperty(append(news["labels"].ArrayValue(),
			resource.NewObjectProperty(resource.PropertyMap{"label": resource.NewStringProperty("x"), "value": resource.NewStringProperty("y")})))),
			[]string{"labels"}, detail{"labels[1]": addReplace}},
		{"the network left", with(news, "networkMode", resource.PropertyValue{}),
			[]string{"networkMode"}, detail{"networkMode": deleteReplace}},
		{"a mount made read-only", set(t, news, "mounts[0].readOnly", resource.NewBoolProperty(true)),
			[]string{"mounts"}, detail{"mounts[0].readOnly": updateReplace}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := (container{}).diff(news, c.news)
			want := diffResult{changed: c.changed, replaces: c.changed, detail: c.detail, deleteBeforeReplace: true}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}

func TestDiffResponse(t *testing.T) {
	resp := diffResponse(diffResult{changed: []string{"ports", "image"}, replaces: []string{"ports", "image"},
		detail: detail{"ports[0].external": updateReplace, "image": updateReplace}, deleteBeforeReplace: true})
	if resp.GetChanges().String() != "DIFF_SOME" || !reflect.DeepEqual(resp.GetReplaces(), []string{"image", "ports"}) ||
		!reflect.DeepEqual(resp.GetDiffs(), []string{"image", "ports"}) || !resp.GetDeleteBeforeReplace() || !resp.GetHasDetailedDiff() ||
		len(resp.GetDetailedDiff()) != 2 || resp.GetDetailedDiff()["ports[0].external"].GetKind() != updateReplace {
		t.Errorf("got %v", resp)
	}
	if resp := diffResponse(diffResult{deleteBeforeReplace: true}); resp.GetChanges().String() != "DIFF_NONE" || resp.GetDeleteBeforeReplace() {
		t.Errorf("no change: got %v", resp)
	}
	// An update in place deletes nothing first.
	if resp := diffResponse(diffResult{changed: []string{"dir"}, detail: detail{"dir": update}, deleteBeforeReplace: true}); resp.GetDeleteBeforeReplace() || len(resp.GetReplaces()) != 0 {
		t.Errorf("update: got %v", resp)
	}
}

func TestRunArgs(t *testing.T) {
	want := "run -d --name nerdctl-dind-dev --hostname nerdctl-dind-dev --env NDIND_IPTABLES=nft --cap-add SYS_ADMIN --cap-add NET_ADMIN " +
		"--security-opt seccomp=unconfined --security-opt apparmor=unconfined --cgroupns private --init --restart unless-stopped " +
		"--tmpfs /run:rw,exec,mode=755 --tmpfs /tmp " +
		"--mount type=bind,source=/data/containerd,target=/var/lib/containerd --mount type=bind,source=/preload/a.tar,target=/preload/a.tar,readonly " +
		"--publish 127.0.0.1:17000:17000/tcp --publish [::1]:1053:53/udp " +
		"--health-cmd /scripts/healthcheck.sh --health-interval 5s --health-timeout 3s --health-start-period 2s --health-retries 3 " +
		"--label nerdctl-dind.stack=dev --network ndind-net sha256:1"
	if got := strings.Join(runArgs(containerInputs()), " "); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// The least: a name and an image.
	minimal := resource.NewPropertyMapFromMap(map[string]interface{}{"name": "w", "image": "alpine", "privileged": true})
	if got := strings.Join(runArgs(minimal), " "); got != "run -d --name w --privileged alpine" {
		t.Errorf("minimal: %s", got)
	}
}

func TestRunArgsParts(t *testing.T) {
	port := func(m map[string]interface{}) string { return publish(resource.NewPropertyMapFromMap(m)) }
	for got, want := range map[string]string{
		port(map[string]interface{}{"internal": 80}):                                      "80/tcp",
		port(map[string]interface{}{"internal": 80, "external": 8080}):                    "8080:80/tcp",
		port(map[string]interface{}{"internal": 80, "ip": "0.0.0.0"}):                     "0.0.0.0::80/tcp",
		port(map[string]interface{}{"internal": 80, "external": 1, "ip": "fe80::1%eth0"}): "[fe80::1%eth0]:1:80/tcp",
		port(map[string]interface{}{"internal": 53, "external": 53, "protocol": "udp"}):   "53:53/udp",
		csvLine([]string{"type=bind", "source=/a,b", `target=/"q"`}):                      `type=bind,"source=/a,b","target=/""q"""`,
		strings.Join(healthArgs(resource.NewPropertyMapFromMap(map[string]interface{}{
			"tests": []interface{}{"CMD", "/bin/check", "a b", "it's", ""}})), " "): `--health-cmd /bin/check 'a b' 'it'\''s' ''`,
		strings.Join(healthArgs(resource.NewPropertyMapFromMap(map[string]interface{}{
			"tests": []interface{}{"CMD-SHELL", "curl -f localhost || exit 1"}})), " "): "--health-cmd curl -f localhost || exit 1",
		strings.Join(healthArgs(resource.NewPropertyMapFromMap(map[string]interface{}{"tests": []interface{}{"NONE"}})), " "): "--no-healthcheck",
	} {
		if got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
}

func TestCheck(t *testing.T) {
	reasons := func(k kind, m resource.PropertyMap) []string {
		var out []string
		for _, f := range k.check(m) {
			if !strings.HasPrefix(f.GetReason(), f.GetProperty()) {
				t.Errorf("failure %v: the property is not the path's first key", f)
			}
			out = append(out, f.GetReason())
		}
		return out
	}
	for _, k := range []kind{command{}, image{}, container{}} {
		if got := reasons(k, map[kind]resource.PropertyMap{command{}: commandInputs(), image{}: imageInputs(), container{}: containerInputs()}[k]); got != nil {
			t.Errorf("%T: valid inputs fail: %v", k, got)
		}
	}
	bad := set(t, set(t, set(t, set(t, containerInputs(),
		"ports[0].protocol", resource.NewStringProperty("sctp")),
		"ports[1].external", resource.NewNumberProperty(70000)),
		"restart", resource.NewStringProperty("sometimes")),
		"healthcheck.interval", resource.NewStringProperty("5 s"))
	bad = with(with(with(with(bad, "init", resource.NewStringProperty("yes")), "name", resource.PropertyValue{}),
		"options", strs("--init")), "tmpfs", resource.NewObjectProperty(resource.PropertyMap{"/run": resource.NewNumberProperty(1)}))
	bad = set(t, bad, "mounts[1]", resource.NewObjectProperty(resource.PropertyMap{"type": resource.NewStringProperty("volume")}))
	bad = set(t, bad, "healthcheck.tests", strs("/scripts/healthcheck.sh"))
	want := []string{
		"name: is required",
		"healthcheck.interval: must be a duration such as 5s or 1m30s",
		`healthcheck.tests: must be ["CMD", program, args...], ["CMD-SHELL", command line] or ["NONE"]`,
		"init: must be true or false",
		"mounts[1].source: is required",
		"mounts[1].target: is required",
		"mounts[1].type: must be bind",
		"options: is not an input (the inputs: capabilities, cgroupnsMode, dockerCertPath, dockerContext, dockerHost, " +
			"envs, healthcheck, hostname, image, init, labels, mounts, name, networkMode, ports, privileged, restart, securityOpts, tmpfs)",
		"ports[0].protocol: must be tcp or udp",
		"ports[1].external: must be a port number, 1 to 65535",
		"restart: must be no, on-failure, always or unless-stopped",
		`tmpfs["/run"]: must be a string`,
	}
	if got := reasons(container{}, bad); !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Unknown at preview: nothing to check yet.
	if got := reasons(container{}, with(with(set(t, containerInputs(), "healthcheck.tests",
		resource.NewArrayProperty([]resource.PropertyValue{unknown()})), "ports", unknown()), "image", unknown())); got != nil {
		t.Errorf("unknowns: %v", got)
	}
	// A command's outputs may come back as inputs; triggers take anything.
	cmd := with(withOutputs(commandInputs(), map[string]string{"stdout": ""}), "triggers", resource.NewArrayProperty([]resource.PropertyValue{
		resource.NewNumberProperty(1), resource.NewObjectProperty(resource.PropertyMap{"a": resource.NewBoolProperty(true)})}))
	if got := reasons(command{}, cmd); got != nil {
		t.Errorf("command: %v", got)
	}
	if got := reasons(command{}, with(cmd, "create", resource.NewNumberProperty(1))); !reflect.DeepEqual(got, []string{"create: must be a string"}) {
		t.Errorf("command: %v", got)
	}
}
