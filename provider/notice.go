// Before a wrapper is replaced, the engine's output names the inner
// containers that are running in it and will stop (issue 30): replacing
// the wrapper ends every inner task, and only those with a restart policy
// come back by themselves in the new one (the storage is kept, so
// containerd's restart monitor finds them). A Diff that replaces a container
// labelled as a wrapper (nerdctl-dind.stack) asks the running one, bounded to
// a few seconds, and sends the answer as a warning on the resource, at
// preview and at up alike.
package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// innerScript prints "NAME NAMESPACE POLICY" for each running inner
// container; the probe's namespace is the wrapper's own. One inspect per
// namespace, not per container: each nerdctl call costs a start of its
// own, seconds on a loaded machine.
const innerScript = `for ns in $(nerdctl namespace ls -q); do
	[ "$ns" = nerdctl-dind-probe ] && continue
	ids=$(nerdctl --namespace "$ns" ps -q)
	[ -z "$ids" ] || nerdctl --namespace "$ns" inspect -f '{{.Name}} '"$ns"' {{index .Config.Labels "containerd.io/restart.policy"}}' $ids
done`

// askBound: how long the running wrapper is asked. Only a wrapper that does
// not answer takes it all (the preview waits); under load the few nerdctl
// calls took more than the 8 s this once was, and the warning was missing.
const askBound = 30 * time.Second

const wrapperLabel = "nerdctl-dind.stack"

func isWrapper(m resource.PropertyMap) bool {
	v, ok := m["labels"]
	if !ok || !v.IsArray() {
		return false
	}
	for _, l := range v.ArrayValue() {
		if l.IsObject() && str(l.ObjectValue(), "label") == wrapperLabel {
			return true
		}
	}
	return false
}

// replacementNotice: the warning for the lines innerScript printed; empty
// when nothing runs inside.
func replacementNotice(wrapper, lines string) string {
	var parts []string
	for _, l := range strings.Split(strings.TrimSpace(lines), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		policy := ""
		if len(f) > 2 {
			policy = f[2]
		}
		switch policy {
		case "always", "unless-stopped":
			parts = append(parts, fmt.Sprintf("%s (namespace %s, restart %s: comes back)", f[0], f[1], policy))
		case "", "no":
			parts = append(parts, fmt.Sprintf("%s (namespace %s, no restart policy: stays stopped; nerdctl start %s)", f[0], f[1], f[0]))
		default:
			parts = append(parts, fmt.Sprintf("%s (namespace %s, restart %s: stays stopped; nerdctl start %s)", f[0], f[1], policy, f[0]))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	sort.Strings(parts) // by name: the same words at preview and at up
	return fmt.Sprintf("replacing %s stops the %d inner container(s) running in it: %s", wrapper, len(parts), strings.Join(parts, ", "))
}

// engineAddress: the Pulumi engine's address, the first argument that is not
// a flag (the engine starts plugins as `plugin [flags] ADDRESS`).
func engineAddress(args []string) string {
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			return a
		}
	}
	return ""
}

// noticeReplacement sends the warning; any failure (a stopped wrapper, an
// engine that does not answer) only means no warning.
func noticeReplacement(urn, id string, olds resource.PropertyMap) {
	addr := engineAddress(os.Args[1:])
	if addr == "" || id == "" || !isWrapper(olds) {
		return
	}
	ask, cancelAsk := context.WithTimeout(context.Background(), askBound)
	defer cancelAsk()
	cmd := exec.CommandContext(ask, "docker", "exec", id, "sh", "-c", innerScript)
	cmd.Env = os.Environ()
	for k, v := range dockerEnv(olds) {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.Output()
	msg := replacementNotice(str(olds, "name"), string(out))
	if err != nil || msg == "" {
		return
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return
	}
	defer conn.Close()
	// The engine's own bound, whatever the asking took.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = pulumirpc.NewEngineClient(conn).Log(ctx, &pulumirpc.LogRequest{
		Severity: pulumirpc.LogSeverity_WARNING, Message: msg, Urn: urn,
	})
}
