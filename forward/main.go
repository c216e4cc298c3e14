// ndind-forward: every port an inner container publishes in a stack's wrapper,
// forwarded to this machine (README: Port mapping). Subcommands:
//
//	start --stack S --root R   read the stack's outputs, (re)start its supervisor
//	stop  --stack S --root R   stop it
//	list  --stack S --root R [--json]   the forwards (make forwards)
//	supervise --dir D          keeps `run` running (started by start, detached)
//	run --dir D                the forwarder itself
//	agent                      in the wrapper (copied there by run)
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	stack := fs.String("stack", "", "the stack's name")
	root := fs.String("root", "", "the checkout the stack belongs to")
	dir := fs.String("dir", "", "the stack's forwarder folder")
	asJSON := fs.Bool("json", false, "list: the state as JSON")
	_ = fs.Parse(os.Args[2:])
	if *dir == "" && *stack != "" {
		*dir = stateDir(*stack, *root)
	}
	var err error
	switch os.Args[1] {
	case "agent":
		err = runAgent()
	case "run":
		err = runForwarder(need(*dir))
	case "supervise":
		err = supervise(need(*dir))
	case "start":
		err = start(*stack, *root, need(*dir))
	case "stop":
		// make destroy: the forwarder goes, and its folder (config, state, log) with it.
		if err = stop(need(*dir), true); err == nil {
			err = os.RemoveAll(*dir)
		}
	case "list":
		err = list(need(*dir), *stack, *asJSON)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "ERROR: ndind-forward %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: ndind-forward start|stop|list --stack NAME --root CHECKOUT | run|supervise --dir DIR | agent")
	os.Exit(2)
}

func need(dir string) string {
	if dir == "" {
		usage()
	}
	return dir
}

// stateDir: one folder per stack and checkout under $NDIND_CACHE/forward
// (two checkouts may both have a stack `dev`); tools/status.ts makes the same name.
func stateDir(stack, root string) string {
	cache := os.Getenv("NDIND_CACHE")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache", "nerdctl-dind")
	}
	abs, _ := filepath.Abs(root)
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(cache, "forward", stack+"."+hex.EncodeToString(sum[:])[:8])
}

// agentFile is the agent built for the engine's architecture, beside this program.
func agentFile(arch string) string {
	self, _ := os.Executable()
	if arch == "x86_64" {
		arch = "amd64"
	} else if arch == "aarch64" {
		arch = "arm64"
	}
	if arch == runtime.GOARCH {
		return self
	}
	return self + "-linux-" + arch
}

func fileSum(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func logf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "%s ndind-forward[%d]: %s\n", time.Now().UTC().Format("2006-01-02 15:04:05.000"), os.Getpid(), fmt.Sprintf(format, args...))
}
