package main

// start, stop and supervise: the forwarder outlives `make up` as a detached
// supervisor that restarts it at once when it dies; the supervisor's pid and
// the forwarder's config and state live in the stack's folder.

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

type config struct {
	Stack     string            `json:"stack"`
	Container string            `json:"container"`
	Env       map[string]string `json:"env"`
	Engine    string            `json:"engine"`
	Address   string            `json:"address"` // loopback or asked (setting forwards)
	Direct    bool              `json:"direct"`
	Build     string            `json:"build"` // this program's hash: a new build restarts it
}

func loadConfig(dir string) (config, error) {
	var c config
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	return c, err
}

func writeFile(path string, b []byte) error {
	if err := os.WriteFile(path+".new", b, 0o600); err != nil {
		return err
	}
	return os.Rename(path+".new", path)
}

func readPid(path string) int {
	b, _ := os.ReadFile(path)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if pid <= 0 || syscall.Kill(pid, 0) != nil {
		return 0
	}
	return pid
}

// configFromOutputs: the stack's containerName, dockerEnv and forwards outputs.
func configFromOutputs(stack string, out map[string]interface{}) (config, error) {
	c := config{Stack: stack, Env: map[string]string{}, Address: "loopback", Engine: "local"}
	name, _ := out["containerName"].(string)
	if name == "" {
		return c, fmt.Errorf("stack %s has no containerName output: make up STACK=%s first", stack, stack)
	}
	c.Container = name
	if env, _ := out["dockerEnv"].(string); env != "" {
		for _, w := range strings.Fields(env) {
			if k, v, ok := strings.Cut(w, "="); ok {
				c.Env[k] = v
			}
		}
		c.Engine = env
	}
	if a, _ := out["forwards"].(string); a != "" {
		c.Address = a
	}
	// The wrapper's address is reachable from here only from the engine's own
	// host: a local engine, named by no DOCKER_HOST or by a unix socket.
	host := c.Env["DOCKER_HOST"]
	if host == "" && c.Env["DOCKER_CONTEXT"] == "" {
		host = os.Getenv("DOCKER_HOST")
	}
	c.Direct = c.Env["DOCKER_CONTEXT"] == "" && (host == "" || strings.HasPrefix(host, "unix://"))
	// NDIND_FORWARD_TRANSPORT=stream: the remote engines' way on a local one
	// (tests and make bench use it).
	if os.Getenv("NDIND_FORWARD_TRANSPORT") == "stream" {
		c.Direct = false
	}
	self, _ := os.Executable()
	c.Build, _ = fileSum(self)
	return c, nil
}

func start(stack, root, dir string) error {
	cmd := exec.Command("pulumi", "stack", "output", "--json", "--stack", stack, "--non-interactive")
	cmd.Stderr = os.Stderr
	raw, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("pulumi stack output --stack %s: %v", stack, err)
	}
	var out map[string]interface{}
	if err := json.Unmarshal(raw, &out); err != nil {
		return err
	}
	c, err := configFromOutputs(stack, out)
	if err != nil {
		return err
	}
	if c.Address == "off" {
		fmt.Printf("forwards: off for stack %s (setting forwards)\n", stack)
		return stop(dir, false)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(c, "", "  ")
	old, _ := os.ReadFile(filepath.Join(dir, "config.json"))
	pid := readPid(filepath.Join(dir, "supervisor.pid"))
	if pid != 0 && string(old) == string(b) {
		fmt.Printf("forwards: forwarder of %s running (supervisor pid %d); make forwards STACK=%s lists them\n", stack, pid, stack)
		return nil
	}
	if pid != 0 {
		_ = stop(dir, false)
	}
	if err := writeFile(filepath.Join(dir, "config.json"), b); err != nil {
		return err
	}
	_ = os.Remove(filepath.Join(dir, "state.json"))
	logFile, err := os.OpenFile(filepath.Join(dir, "forwarder.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	self, _ := os.Executable()
	sup := exec.Command(self, "supervise", "--dir", dir)
	sup.Stdout, sup.Stderr = logFile, logFile
	sup.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := sup.Start(); err != nil {
		return err
	}
	_ = sup.Process.Release()
	// Wait for the agent's first answer, so the ports answer when make up ends.
	for i := 0; i < 100; i++ {
		if s, err := readState(dir); err == nil && s.Connected {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	s, _ := readState(dir)
	fmt.Printf("forwards: forwarder of %s started (log %s): %s\n", stack, filepath.Join(dir, "forwarder.log"), s.summary())
	return nil
}

func stop(dir string, say bool) error {
	pidFile := filepath.Join(dir, "supervisor.pid")
	pid := readPid(pidFile)
	if pid == 0 {
		if say {
			fmt.Println("forwards: no forwarder running")
		}
		return nil
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	for i := 0; i < 50 && readPid(pidFile) != 0; i++ {
		time.Sleep(100 * time.Millisecond)
	}
	if readPid(pidFile) != 0 {
		return errors.New("the supervisor did not stop in 5 s")
	}
	_ = os.Remove(filepath.Join(dir, "state.json"))
	if say {
		fmt.Printf("forwards: forwarder stopped (supervisor pid %d)\n", pid)
	}
	return nil
}

func supervise(dir string) error {
	pidFile := filepath.Join(dir, "supervisor.pid")
	if err := writeFile(pidFile, []byte(strconv.Itoa(os.Getpid()))); err != nil {
		return err
	}
	self, _ := os.Executable()
	var (
		mu       sync.Mutex
		child    *exec.Cmd
		stopping bool
	)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	go func() {
		<-sig
		mu.Lock()
		stopping = true
		if child != nil && child.Process != nil {
			_ = child.Process.Kill()
		}
		mu.Unlock()
		_ = os.Remove(filepath.Join(dir, "forwarder.pid"))
		_ = os.Remove(pidFile)
		os.Exit(0)
	}()
	for {
		c := exec.Command(self, "run", "--dir", dir)
		c.Stdout, c.Stderr = os.Stdout, os.Stderr
		mu.Lock()
		if stopping {
			mu.Unlock()
			select {} // the signal handler exits
		}
		err := c.Start()
		child = c
		mu.Unlock()
		if err != nil {
			logf("supervisor: cannot start the forwarder: %v", err)
		} else {
			_ = writeFile(filepath.Join(dir, "forwarder.pid"), []byte(strconv.Itoa(c.Process.Pid)))
			logf("supervisor: forwarder started (pid %d)", c.Process.Pid)
			err := c.Wait()
			if c.ProcessState != nil && c.ProcessState.ExitCode() == exitGone {
				logf("supervisor: the wrapper is gone; stopping")
				_ = os.Remove(filepath.Join(dir, "forwarder.pid"))
				_ = os.Remove(filepath.Join(dir, "state.json"))
				_ = os.Remove(pidFile)
				return nil
			}
			mu.Lock()
			if !stopping {
				logf("supervisor: forwarder pid %d ended (%v); starting it again", c.Process.Pid, err)
			}
			mu.Unlock()
		}
		time.Sleep(200 * time.Millisecond)
	}
}
