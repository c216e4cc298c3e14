package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/json"
	"io"
	"net"
	"testing"
)

func TestParsePorts(t *testing.T) {
	got := parsePorts("0.0.0.0:9000->80/tcp, 127.0.0.1:9001->81/udp, [::]:9002->82/tcp, 0:0:0:0:0:0:0:0:9003->83/tcp")
	want := []innerPort{{Proto: "tcp", HostIP: "0.0.0.0", HostPort: 9000, ContainerPort: 80}, {Proto: "udp", HostIP: "127.0.0.1", HostPort: 9001, ContainerPort: 81},
		{Proto: "tcp", HostIP: "::", HostPort: 9002, ContainerPort: 82}, {Proto: "tcp", HostIP: "0:0:0:0:0:0:0:0", HostPort: 9003, ContainerPort: 83}}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("port %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	if len(parsePorts("")) != 0 || len(parsePorts("80/tcp")) != 0 {
		t.Error("a port that is not published gave a forward")
	}
}

func TestPsLineName(t *testing.T) {
	for line, want := range map[string]string{
		`{"ID":"c0bc8960e19c","Names":["web"],"Ports":"0.0.0.0:19101->80/tcp"}`: "web",
		`{"ID":"c0bc8960e19c","Names":"web","Ports":""}`:                        "web",
		`{"ID":"c0bc8960e19c","Ports":""}`:                                      "c0bc8960e19c",
	} {
		var p psLine
		if err := json.Unmarshal([]byte(line), &p); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if p.name() != want {
			t.Errorf("%s: name %q, want %q", line, p.name(), want)
		}
	}
}

func TestBindAddress(t *testing.T) {
	cases := [][3]string{
		{"0.0.0.0", "loopback", "127.0.0.1"}, {"127.0.0.1", "loopback", "127.0.0.1"}, {"10.1.2.3", "loopback", "127.0.0.1"},
		{"0.0.0.0", "asked", "0.0.0.0"}, {"", "asked", "0.0.0.0"}, {"10.1.2.3", "asked", "10.1.2.3"}, {"::1", "loopback", "::1"},
	}
	for _, c := range cases {
		if got := bindAddress(c[0], c[1]); got != c[2] {
			t.Errorf("bindAddress(%q, %q) = %q, want %q", c[0], c[1], got, c[2])
		}
	}
}

func TestDialTarget(t *testing.T) {
	if got := dialTarget("0.0.0.0:9000", "172.17.0.2"); got != "172.17.0.2:9000" {
		t.Error(got)
	}
	if got := dialTarget("127.0.0.1:9000", "172.17.0.2"); got != "127.0.0.1:9000" {
		t.Error(got)
	}
	// Not the wrapper's IPv4 address: a port on :: has ip6tables' rules only.
	if got := dialTarget("[fd00:44::1]:9000", "172.17.0.2"); got != "[fd00:44::1]:9000" {
		t.Error(got)
	}
}

func TestAnyAddress(t *testing.T) {
	for host, want := range map[string][2]bool{
		"": {true, false}, "0.0.0.0": {true, false}, "127.0.0.1": {false, false},
		"::": {false, true}, "0:0:0:0:0:0:0:0": {false, true}, "fd00:44::1": {false, false},
	} {
		if anyIPv4(host) != want[0] || anyIPv6(host) != want[1] {
			t.Errorf("%q: anyIPv4 %v, anyIPv6 %v, want %v", host, anyIPv4(host), anyIPv6(host), want)
		}
	}
}

// TestLocalOnNetwork: the wrapper's address on the container's IPv6 network,
// among two IPv6 networks, its link-local and loopback addresses.
func TestLocalOnNetwork(t *testing.T) {
	cidr := func(s string) net.Addr {
		ip, n, err := net.ParseCIDR(s)
		if err != nil {
			t.Fatal(err)
		}
		n.IP = ip
		return n
	}
	addrs := []net.Addr{cidr("127.0.0.1/8"), cidr("::1/128"), cidr("fe80::1/64"), cidr("10.4.0.1/24"), cidr("fd00:55::1/64"), cidr("fd00:44::1/64")}
	if got := localOnNetwork(addrs, []net.IP{net.ParseIP("fd00:44::2")}); got != "fd00:44::1" {
		t.Errorf("got %q, want fd00:44::1", got)
	}
	if got := localOnNetwork(addrs, []net.IP{net.ParseIP("fd00:66::2")}); got != "" {
		t.Errorf("no network of the wrapper holds fd00:66::2, got %q", got)
	}
}

// TestMuxCarriesBothWays runs both ends of the mux over pipes: 8 MiB (more
// than the window) each way through one stream, and a half close passed on.
func TestMuxCarriesBothWays(t *testing.T) {
	hostToAgentR, hostToAgentW := io.Pipe()
	agentToHostR, agentToHostW := io.Pipe()
	host, agent := newMux(hostToAgentW), newMux(agentToHostW)
	// An echo server stands in for the inner service.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		c, err := ln.Accept()
		if err == nil {
			_, _ = io.Copy(c, c)
			_ = c.(*net.TCPConn).CloseWrite()
		}
	}()
	go func() { // the agent's loop, as runAgent has it
		r := bufio.NewReader(hostToAgentR)
		for {
			f, err := readFrame(r)
			if err != nil {
				return
			}
			if f.typ == frameOpen {
				s := agent.add(f.id)
				c, err := net.Dial("tcp", string(f.data))
				if err != nil {
					_ = agent.send(frameFail, f.id, []byte(err.Error()))
					continue
				}
				go s.pump(c, func(int) {}, func(int) {})
				continue
			}
			agent.deliver(f)
		}
	}()
	go func() {
		r := bufio.NewReader(agentToHostR)
		for {
			f, err := readFrame(r)
			if err != nil {
				return
			}
			host.deliver(f)
		}
	}()
	// The user's side: a local TCP pair whose far end the host mux pumps.
	uln, _ := net.Listen("tcp", "127.0.0.1:0")
	go func() {
		c, _ := uln.Accept()
		s := host.add(host.newID())
		_ = host.send(frameOpen, s.id, []byte(ln.Addr().String()))
		s.pump(c, func(int) {}, func(int) {})
	}()
	user, err := net.Dial("tcp", uln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 8<<20)
	_, _ = rand.Read(data)
	go func() {
		_, _ = user.Write(data)
		_ = user.(*net.TCPConn).CloseWrite()
	}()
	back, err := io.ReadAll(user)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back, data) {
		t.Fatalf("echoed %d bytes, sent %d; equal: false", len(back), len(data))
	}
}
