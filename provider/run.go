// How the plugin runs a program: its output captured, and on failure an
// error that carries the program's own last words.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// How many lines of a failed program's output its error shows.
const errorLines = 15

type ran struct {
	stdout, stderr string
}

// run runs file with args in dir (empty: the plugin's own folder), with env
// added to the plugin's environment (the Pulumi CLI's).
func run(file string, args []string, env map[string]string, dir string) (ran, error) {
	cmd := exec.Command(file, args...)
	cmd.Dir = dir
	cmd.Env = os.Environ()
	names := make([]string, 0, len(env))
	for k := range env {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		// Later entries win: exec keeps the last value of a repeated name.
		cmd.Env = append(cmd.Env, k+"="+env[k])
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	out := ran{stdout: stdout.String(), stderr: stderr.String()}
	if err == nil {
		return out, nil
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return out, fmt.Errorf("%s could not run: %v", file, err)
	}
	how := fmt.Sprintf("exited %d", exit.ExitCode())
	if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		how = "was killed by " + ws.Signal().String()
	}
	return out, fmt.Errorf("%s %s %s:\n%s", file, strings.Join(args[:min(2, len(args))], " "), how,
		lastLines(out.stderr+"\n"+out.stdout, errorLines))
}

// succeeds is for probes whose failure is an answer.
func succeeds(file string, args []string, env map[string]string) bool {
	_, err := run(file, args, env, "")
	return err == nil
}

// lastLines: the last n lines of s, blank lines at either end trimmed.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// engineKeys: the inputs that name the stack's engine; a change of any of
// them is a change of engine.
var engineKeys = []string{"dockerHost", "dockerContext", "dockerCertPath"}

// dockerEnv points the docker CLI at the stack's engine: an address
// (DOCKER_HOST), a Docker context (DOCKER_CONTEXT), and for tcp:// with TLS
// the folder holding ca.pem, cert.pem and key.pem. None: the CLI's default.
func dockerEnv(m resource.PropertyMap) map[string]string {
	env := map[string]string{}
	if v := str(m, "dockerHost"); v != "" {
		env["DOCKER_HOST"] = v
	}
	if v := str(m, "dockerContext"); v != "" {
		env["DOCKER_CONTEXT"] = v
	}
	if v := str(m, "dockerCertPath"); v != "" {
		env["DOCKER_CERT_PATH"] = v
		env["DOCKER_TLS_VERIFY"] = "1"
	}
	return env
}

// engineName: how an error names the engine it talked to.
func engineName(m resource.PropertyMap) string {
	switch {
	case str(m, "dockerHost") != "":
		return str(m, "dockerHost")
	case str(m, "dockerContext") != "":
		return "Docker context " + str(m, "dockerContext")
	}
	return "the local engine"
}
