package main

// The forwarder's state file (state.json in the stack's folder), written
// whenever it changes; `make forwards` prints it and `make status` reads it.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

type state struct {
	Stack      string    `json:"stack"`
	Container  string    `json:"container"`
	Engine     string    `json:"engine"`
	Transport  string    `json:"transport"`
	Pid        int       `json:"pid"`
	Started    time.Time `json:"started"`
	Connected  bool      `json:"connected"`
	AgentSince time.Time `json:"agentSince,omitempty"`
	Error      string    `json:"error,omitempty"`
	Forwards   []forward `json:"forwards"`
	// Running: filled in by list from the supervisor's pid, never stored.
	Running bool `json:"running"`
}

func readState(dir string) (state, error) {
	var s state
	b, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if err == nil {
		err = json.Unmarshal(b, &s)
	}
	return s, err
}

func (f *forwarder) snapshot(started time.Time) state {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := state{Stack: f.cfg.Stack, Container: f.cfg.Container, Engine: f.cfg.Engine, Transport: f.transport(),
		Pid: os.Getpid(), Started: started, Connected: f.connected, Error: f.lastError, Forwards: []forward{}}
	if f.connected {
		s.AgentSince = f.since
	}
	for _, fw := range f.fwds {
		c := *fw
		c.BytesIn, c.BytesOut, c.Conns = atomic.LoadInt64(&fw.BytesIn), atomic.LoadInt64(&fw.BytesOut), atomic.LoadInt64(&fw.Conns)
		c.ln = nil
		s.Forwards = append(s.Forwards, c)
	}
	sort.Slice(s.Forwards, func(i, j int) bool { return s.Forwards[i].Listen < s.Forwards[j].Listen })
	return s
}

// stateLoop writes the state at once when a forward comes or goes (changed),
// so that the list a user asks for right after a port answers has it, and
// every 250 ms for the byte counts.
func (f *forwarder) stateLoop() {
	started := time.Now()
	last := ""
	tick := time.NewTicker(250 * time.Millisecond)
	for {
		b, _ := json.MarshalIndent(f.snapshot(started), "", "  ")
		if string(b) != last {
			if err := writeFile(filepath.Join(f.dir, "state.json"), b); err == nil {
				last = string(b)
			}
		}
		select {
		case <-tick.C:
		case <-f.changed:
		}
	}
}

// touch asks stateLoop for a write now.
func (f *forwarder) touch() {
	select {
	case f.changed <- struct{}{}:
	default:
	}
}

func (s state) failed() int {
	n := 0
	for _, fw := range s.Forwards {
		if fw.Error != "" {
			n++
		}
	}
	return n
}

func (s state) summary() string {
	if !s.Connected {
		return "not connected to the wrapper yet" + prefixed(": ", s.Error)
	}
	return fmt.Sprintf("%d forward(s), %d failed, %s", len(s.Forwards), s.failed(), s.Transport)
}

func prefixed(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}

func size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func list(dir, stack string, asJSON bool) error {
	s, err := readState(dir)
	s.Running = readPid(filepath.Join(dir, "supervisor.pid")) != 0
	if asJSON {
		b, _ := json.MarshalIndent(s, "", "  ")
		fmt.Println(string(b))
		return nil
	}
	if !s.Running {
		fmt.Printf("forwarder of %s: not running (make up STACK=%s starts it)\n", stack, stack)
		return nil
	}
	if err != nil {
		fmt.Printf("forwarder of %s: starting (no state yet)\n", stack)
		return nil
	}
	fmt.Printf("forwarder of %s: pid %d since %s; wrapper %s (%s); %s\n", stack, s.Pid, s.Started.Local().Format("15:04:05"),
		s.Container, s.Engine, s.summary())
	if len(s.Forwards) == 0 {
		fmt.Println("no inner container publishes a port")
		return nil
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "HOST\tINNER CONTAINER\tSINCE\tIN\tOUT\tCONNS\tSTATE")
	for _, fw := range s.Forwards {
		st := "ok"
		if fw.Error != "" {
			st = "FAIL: " + fw.Error
		} else if fw.Note != "" {
			st = "not forwarded: " + fw.Note
		}
		inner := fmt.Sprintf("%s (%s) %s -> %d/%s", fw.Container, fw.Namespace, fw.Inner, fw.ContainerPort, fw.Proto)
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", fw.Listen, inner, fw.Since.Local().Format("15:04:05"),
			size(fw.BytesIn), size(fw.BytesOut), fw.Conns, strings.TrimSpace(st))
	}
	return w.Flush()
}
