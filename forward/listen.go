package main

// The host side of each forward: where it listens, the listeners kept in step
// with the agent's table, and each connection carried to the wrapper.

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// bindAddress: where the host listens for an inner -p's address.
func bindAddress(innerIP, mode string) string {
	ip := net.ParseIP(innerIP)
	if ip != nil && ip.IsLoopback() {
		return innerIP
	}
	if mode == "asked" {
		if innerIP == "" {
			return "0.0.0.0"
		}
		return innerIP
	}
	return "127.0.0.1"
}

func (f *forwarder) reconcile(t table, w wrapperInfo) {
	f.mu.Lock()
	defer f.mu.Unlock()
	defer f.touch()
	if t.Error != "" {
		// A failed look is no news about the ports: keep the forwards.
		f.lastError = "agent: " + t.Error
		return
	}
	f.lastError = ""
	want := map[string]bool{}
	for _, p := range t.Ports {
		listen := net.JoinHostPort(bindAddress(p.HostIP, f.cfg.Address), strconv.Itoa(p.HostPort))
		key := p.Proto + " " + listen
		want[key] = true
		fw := f.fwds[key]
		if fw == nil {
			fw = &forward{Listen: listen, Proto: p.Proto, Since: time.Now()}
			f.fwds[key] = fw
		}
		fw.Inner = net.JoinHostPort(p.HostIP, strconv.Itoa(p.HostPort))
		fw.Container, fw.Namespace, fw.ID, fw.ContainerPort, fw.via = p.Name, p.Namespace, p.ID, p.ContainerPort, p.Via
		// Direct goes to the wrapper's IPv4 address: only ports with
		// iptables' DNAT rules are there.
		fw.direct = f.cfg.Direct && anyIPv4(p.HostIP)
		if b := w.NetworkSettings.Ports[fmt.Sprintf("%d/%s", p.HostPort, p.Proto)]; len(b) > 0 {
			fw.Note = fmt.Sprintf("published by the stack's ports setting at %s:%s", b[0].HostIp, b[0].HostPort)
			continue
		}
		if p.Proto != "tcp" {
			fw.Note = p.Proto + " is not forwarded (tcp only)"
			continue
		}
		if fw.ln == nil && fw.Error == "" {
			f.listen(fw)
		}
	}
	for k, fw := range f.fwds {
		if !want[k] {
			if fw.ln != nil {
				_ = fw.ln.Close()
			}
			delete(f.fwds, k)
		}
	}
}

// listen opens the host port; a taken one is kept as an error and retried.
func (f *forwarder) listen(fw *forward) {
	ln, err := net.Listen("tcp", fw.Listen)
	if err != nil {
		fw.Error = err.Error()
		logf("forward %s -> %s (%s): %v", fw.Listen, fw.Inner, fw.Container, err)
		return
	}
	fw.Error, fw.ln, fw.Since = "", ln, time.Now()
	logf("forward %s -> %s (%s, port %d)", fw.Listen, fw.Inner, fw.Container, fw.ContainerPort)
	go f.accept(fw, ln)
}

func (f *forwarder) retryLoop() {
	for range time.Tick(2 * time.Second) {
		f.mu.Lock()
		for _, fw := range f.fwds {
			if fw.ln == nil && fw.Error != "" && f.connected {
				fw.Error = ""
				f.listen(fw)
				f.touch()
			}
		}
		f.mu.Unlock()
	}
}

func (f *forwarder) accept(fw *forward, ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		atomic.AddInt64(&fw.Conns, 1)
		f.mu.Lock()
		m, ip, inner, direct := f.mux, f.wrapperIP, fw.Inner, fw.direct
		if fw.via != "" {
			_, port, _ := net.SplitHostPort(inner)
			inner = net.JoinHostPort(fw.via, port)
		}
		f.mu.Unlock()
		in := func(n int) { atomic.AddInt64(&fw.BytesIn, int64(n)) }
		out := func(n int) { atomic.AddInt64(&fw.BytesOut, int64(n)) }
		switch {
		case direct && ip != "":
			_, port, _ := net.SplitHostPort(inner)
			go proxy(c, net.JoinHostPort(ip, port), in, out)
		case m != nil:
			s := m.add(m.newID())
			if m.send(frameOpen, s.id, []byte(inner)) != nil {
				m.remove(s.id)
				_ = c.Close()
				continue
			}
			go s.pump(c, in, out)
		default:
			_ = c.Close()
		}
	}
}

// proxy joins two TCP connections; io.CopyN keeps Linux's splice (no copy
// through this process) while the counters move every 4 MiB.
func proxy(c net.Conn, target string, in, out func(int)) {
	d, err := net.DialTimeout("tcp", target, 5*time.Second)
	if err != nil {
		_ = c.Close()
		return
	}
	var wg sync.WaitGroup
	wg.Add(2)
	pipe := func(dst, src net.Conn, count func(int)) {
		defer wg.Done()
		for {
			n, err := io.CopyN(dst, src, 4<<20)
			count(int(n))
			if err != nil {
				break
			}
		}
		if tc, ok := dst.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
	}
	go pipe(d, c, in)
	go pipe(c, d, out)
	wg.Wait()
	_ = c.Close()
	_ = d.Close()
}
