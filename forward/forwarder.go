package main

// The forwarder: one per stack, on the user's machine. It keeps one
// `docker exec -i` of the agent open in the wrapper, listens on the host for
// every port the agent reports, and carries each connection: on the local
// engine straight to the wrapper's address (CNI's portmap DNAT there catches
// it), elsewhere, or for an inner -p bound to one address, through the agent.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// forward is one host listener (or the reason there is none).
type forward struct {
	Listen        string    `json:"listen"`
	Proto         string    `json:"proto"`
	Inner         string    `json:"inner"` // host side of the inner -p, in the wrapper
	Container     string    `json:"container"`
	Namespace     string    `json:"namespace"`
	ID            string    `json:"id"`
	ContainerPort int       `json:"containerPort"`
	Since         time.Time `json:"since"`
	BytesIn       int64     `json:"bytesIn"`  // host -> inner
	BytesOut      int64     `json:"bytesOut"` // inner -> host
	Conns         int64     `json:"conns"`
	Error         string    `json:"error,omitempty"`
	Note          string    `json:"note,omitempty"`
	ln            net.Listener
	direct        bool
	via           string // innerPort.Via
}

type forwarder struct {
	cfg       config
	dir       string
	mu        sync.Mutex
	fwds      map[string]*forward
	mux       *mux
	wrapperIP string
	connected bool
	since     time.Time
	lastError string
	changed   chan struct{}
}

// wrapperInfo is what docker inspect says of the wrapper.
type wrapperInfo struct {
	State struct {
		Running bool `json:"Running"`
	} `json:"State"`
	NetworkSettings struct {
		IPAddress string                                         `json:"IPAddress"`
		Networks  map[string]struct{ IPAddress string }          `json:"Networks"`
		Ports     map[string][]struct{ HostIp, HostPort string } `json:"Ports"`
	} `json:"NetworkSettings"`
}

func (f *forwarder) docker(args ...string) *exec.Cmd {
	cmd := exec.Command("docker", args...)
	cmd.Env = os.Environ()
	for k, v := range f.cfg.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

func (f *forwarder) output(args ...string) (string, error) {
	var stderr bytes.Buffer
	cmd := f.docker(args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("docker %s: %s", args[0], firstLine(stderr.String(), err))
	}
	return string(out), nil
}

func firstLine(s string, err error) string {
	if l := strings.TrimSpace(strings.SplitN(strings.TrimSpace(s), "\n", 2)[0]); l != "" {
		return l
	}
	return err.Error()
}

func runForwarder(dir string) error {
	cfg, err := loadConfig(dir)
	if err != nil {
		return err
	}
	f := &forwarder{cfg: cfg, dir: dir, fwds: map[string]*forward{}, changed: make(chan struct{}, 1)}
	go f.stateLoop()
	go f.retryLoop()
	backoff := 200 * time.Millisecond
	var goneSince time.Time
	for {
		t0 := time.Now()
		err := f.session()
		f.down(err)
		// A wrapper removed for good (a destroy that was not make destroy)
		// ends the forwarder; a replacement's gap is seconds.
		if strings.Contains(err.Error(), "No such container") || strings.Contains(err.Error(), "No such object") {
			if goneSince.IsZero() {
				goneSince = time.Now()
			} else if time.Since(goneSince) > goneFor {
				logf("wrapper %s: gone for %s; the forwarder stops (make up starts it again)", cfg.Container, goneFor)
				os.Exit(exitGone)
			}
		} else {
			goneSince = time.Time{}
		}
		logf("wrapper %s: %v; again in %s", cfg.Container, err, backoff)
		if time.Since(t0) > 10*time.Second {
			backoff = 200 * time.Millisecond
		}
		time.Sleep(backoff)
		backoff = min(backoff*2, 2*time.Second)
	}
}

const agentPath = "/run/nerdctl-dind/ndind-forward-agent"

// exitGone: the forwarder's exit when its wrapper has been missing for
// goneFor (NDIND_FORWARD_GONE_AFTER seconds, default 60); its supervisor
// then stops too.
const exitGone = 3

var goneFor = func() time.Duration {
	if n, err := strconv.Atoi(os.Getenv("NDIND_FORWARD_GONE_AFTER")); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	return 60 * time.Second
}()

// session runs one agent exec; it returns when that ends (the wrapper
// stopped or restarted, the link dropped).
func (f *forwarder) session() error {
	out, err := f.output("inspect", "--type", "container", f.cfg.Container)
	if err != nil {
		return err
	}
	var infos []wrapperInfo
	if err := json.Unmarshal([]byte(out), &infos); err != nil || len(infos) != 1 {
		return fmt.Errorf("docker inspect %s: unreadable", f.cfg.Container)
	}
	w := infos[0]
	if !w.State.Running {
		return fmt.Errorf("not running")
	}
	if err := f.installAgent(); err != nil {
		return err
	}
	cmd := f.docker("exec", "-i", f.cfg.Container, agentPath, "agent")
	// The exec ends with this process, however it ends: no agent left behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	m := newMux(stdin)
	ip := w.NetworkSettings.IPAddress
	for _, n := range w.NetworkSettings.Networks {
		if ip == "" {
			ip = n.IPAddress
		}
	}
	f.mu.Lock()
	f.mux, f.wrapperIP, f.connected, f.since, f.lastError = m, ip, true, time.Now(), ""
	f.mu.Unlock()
	f.touch()
	logf("agent running in %s (wrapper address %s, transport %s)", f.cfg.Container, ip, f.transport())
	r := bufio.NewReaderSize(stdout, 64<<10)
	for {
		fr, err := readFrame(r)
		if err != nil {
			break
		}
		if fr.typ == frameTable {
			var t table
			if json.Unmarshal(fr.data, &t) == nil {
				f.reconcile(t, w)
			}
			continue
		}
		m.deliver(fr)
	}
	m.shutdown()
	_ = stdin.Close()
	werr := cmd.Wait()
	return fmt.Errorf("agent ended (%s)", firstLine(stderr.String(), fmt.Errorf("%v", werr)))
}

func (f *forwarder) transport() string {
	if f.cfg.Direct {
		return "direct to the wrapper's address"
	}
	return "streams through the engine"
}

// installAgent copies this program into the wrapper's /run (a tmpfs: gone at
// every restart) unless the same build is there.
func (f *forwarder) installAgent() error {
	arch, err := f.output("version", "--format", "{{.Server.Arch}}")
	if err != nil {
		return err
	}
	src := agentFile(strings.TrimSpace(arch))
	want, err := fileSum(src)
	if err != nil {
		return fmt.Errorf("no agent for the engine's architecture %s: %v (make toolchain builds it)", strings.TrimSpace(arch), err)
	}
	if have, _ := f.output("exec", f.cfg.Container, "sha256sum", agentPath); strings.HasPrefix(have, want) {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	cmd := f.docker("exec", "-i", f.cfg.Container, "sh", "-c",
		"mkdir -p /run/nerdctl-dind && cat >"+agentPath+".new && chmod 755 "+agentPath+".new && mv "+agentPath+".new "+agentPath)
	cmd.Stdin = in
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("copying the agent into %s: %s", f.cfg.Container, firstLine(string(out), err))
	}
	logf("agent copied into %s", f.cfg.Container)
	return nil
}

// down closes every listener: with the agent gone, nothing behind them answers.
func (f *forwarder) down(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, fw := range f.fwds {
		if fw.ln != nil {
			_ = fw.ln.Close()
		}
		delete(f.fwds, k)
	}
	f.connected, f.mux, f.lastError = false, nil, err.Error()
	f.touch()
}
