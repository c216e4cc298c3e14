package main

// The agent: this same program, copied into the wrapper and run there by one
// `docker exec -i` per forwarder. It prints the inner published ports whenever
// they change (containerd's events say when to look, a slow poll catches what
// the events missed) and connects the streams the forwarder opens.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// innerPort is one port an inner container publishes on the wrapper.
type innerPort struct {
	Proto         string `json:"proto"`
	HostIP        string `json:"hostIP"`
	HostPort      int    `json:"hostPort"`
	ContainerPort int    `json:"containerPort"`
	Namespace     string `json:"namespace"`
	Name          string `json:"name"`
	ID            string `json:"id"`
	// Via: for a port published on every IPv6 address (::), the wrapper's
	// own address on the container's IPv6 network, where the agent dials it.
	Via string `json:"via,omitempty"`
}

type table struct {
	Ports []innerPort `json:"ports"`
	// Why the last look failed, when it did (nerdctl not answering yet).
	Error string `json:"error,omitempty"`
}

// The probe's namespace is the wrapper's own business (scripts/probe.sh).
const probeNamespace = "nerdctl-dind-probe"

// parsePorts reads nerdctl ps's Ports column: "0.0.0.0:9000->80/tcp, ...".
func parsePorts(s string) []innerPort {
	var out []innerPort
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		arrow := strings.Index(part, "->")
		slash := strings.LastIndex(part, "/")
		colon := strings.LastIndex(part[:max(arrow, 0)], ":")
		if arrow < 0 || slash < arrow || colon < 0 {
			continue
		}
		hp, err1 := strconv.Atoi(part[colon+1 : arrow])
		cp, err2 := strconv.Atoi(part[arrow+2 : slash])
		if err1 != nil || err2 != nil {
			continue
		}
		ip := strings.Trim(part[:colon], "[]")
		out = append(out, innerPort{Proto: part[slash+1:], HostIP: ip, HostPort: hp, ContainerPort: cp})
	}
	return out
}

// psLine: what look reads of nerdctl ps's JSON. Names is a list in nerdctl
// 1.x and a string in 2.x.
type psLine struct {
	ID    string          `json:"ID"`
	Names json.RawMessage `json:"Names"`
	Ports string          `json:"Ports"`
}

func (p psLine) name() string {
	var one string
	if json.Unmarshal(p.Names, &one) == nil {
		return one
	}
	var many []string
	if json.Unmarshal(p.Names, &many) == nil && len(many) > 0 {
		return strings.Join(many, ",")
	}
	return p.ID
}

func look() table {
	ns, err := exec.Command("nerdctl", "namespace", "ls", "-q").Output()
	if err != nil {
		return table{Error: "nerdctl namespace ls: " + errText(err)}
	}
	var t table
	for _, n := range strings.Fields(string(ns)) {
		if n == probeNamespace {
			continue
		}
		out, err := exec.Command("nerdctl", "--namespace", n, "ps", "--format", "{{json .}}").Output()
		if err != nil {
			return table{Error: fmt.Sprintf("nerdctl --namespace %s ps: %s", n, errText(err))}
		}
		for _, line := range strings.Split(string(out), "\n") {
			var p psLine
			if json.Unmarshal([]byte(line), &p) != nil {
				continue
			}
			for _, ip := range parsePorts(p.Ports) {
				ip.Namespace, ip.Name, ip.ID = n, p.name(), p.ID
				if anyIPv6(ip.HostIP) {
					ip.Via = ipv6Via(n, p.ID)
				}
				t.Ports = append(t.Ports, ip)
			}
		}
	}
	sort.Slice(t.Ports, func(i, j int) bool {
		a, b := t.Ports[i], t.Ports[j]
		return a.HostPort < b.HostPort || a.HostPort == b.HostPort && (a.Proto+a.HostIP) < (b.Proto+b.HostIP)
	})
	return t
}

func errText(err error) string {
	if ee, ok := err.(*exec.ExitError); ok && len(ee.Stderr) > 0 {
		return strings.TrimSpace(string(ee.Stderr))
	}
	return err.Error()
}

// watchEvents pokes wake at each task or container event; it restarts ctr
// when containerd restarts (the supervisor in scripts/entry.sh brings it back).
func watchEvents(wake chan<- struct{}) {
	for {
		cmd := exec.Command("ctr", "events")
		out, err := cmd.StdoutPipe()
		if err == nil && cmd.Start() == nil {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				l := sc.Text()
				if strings.Contains(l, "/tasks/") || strings.Contains(l, "/containers/") {
					select {
					case wake <- struct{}{}:
					default:
					}
				}
			}
			_ = cmd.Wait()
		}
		time.Sleep(time.Second)
	}
}

func runAgent() error {
	m := newMux(os.Stdout)
	wake := make(chan struct{}, 1)
	wake <- struct{}{}
	go watchEvents(wake)
	go func() {
		last := ""
		poll := time.NewTicker(5 * time.Second)
		for {
			select {
			case <-wake:
				// A start often comes with more events (a compose project's
				// containers): one look after they settle.
				time.Sleep(50 * time.Millisecond)
			case <-poll.C:
			}
			b, _ := json.Marshal(look())
			if string(b) != last {
				last = string(b)
				if m.send(frameTable, 0, b) != nil {
					os.Exit(0)
				}
			}
		}
	}()
	self := wrapperAddr()
	r := bufio.NewReaderSize(os.Stdin, 64<<10)
	var wg sync.WaitGroup
	for {
		f, err := readFrame(r)
		if err != nil {
			// The forwarder went away: nothing left to serve.
			m.shutdown()
			if err == io.EOF {
				return nil
			}
			return err
		}
		if f.typ != frameOpen {
			m.deliver(f)
			continue
		}
		s := m.add(f.id)
		wg.Add(1)
		go func(addr string) {
			defer wg.Done()
			c, err := net.DialTimeout("tcp", dialTarget(addr, self), 5*time.Second)
			if err != nil {
				m.remove(s.id)
				_ = m.send(frameFail, s.id, []byte(err.Error()))
				return
			}
			s.pump(c, func(int) {}, func(int) {})
		}(string(f.data))
	}
}

// dialTarget: a port the inner -p bound to every IPv4 address is reached at
// the wrapper's own address, where CNI's portmap DNAT (OUTPUT chain, local
// destinations) catches it; one bound to an address is reached there (one
// on every IPv6 address comes with its Via).
func dialTarget(addr, self string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if anyIPv4(host) && self != "" {
		host = self
	}
	return net.JoinHostPort(host, port)
}

// anyIPv4: an inner -p on every IPv4 address (nerdctl writes 0.0.0.0 when
// -p names none); its DNAT rules are iptables' only.
func anyIPv4(host string) bool {
	ip := net.ParseIP(host)
	return host == "" || ip != nil && ip.To4() != nil && ip.IsUnspecified()
}

// anyIPv6: an inner -p on every IPv6 address (2.x: [::]:9000:80; 1.5.0
// reads no brackets: 0:0:0:0:0:0:0:0:9000:80); its DNAT rules are
// ip6tables' only.
func anyIPv6(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.To4() == nil && ip.IsUnspecified()
}

// ipv6Via: where the agent dials a port published on ::. Not ::1: IPv6 has
// no route_localnet, so a DNAT from loopback to a container is dropped. The
// wrapper's address on the container's own IPv6 network: portmap's OUTPUT
// DNAT takes it (a local destination), and the container answers it even
// where its network gives it no IPv6 default route (1.5.0's). Empty when
// there is none: the dial then fails and the connection is closed.
func ipv6Via(ns, id string) string {
	out, err := exec.Command("nerdctl", "--namespace", ns, "inspect", "-f", "{{json .NetworkSettings.Networks}}", id).Output()
	if err != nil {
		return ""
	}
	var nets map[string]struct{ GlobalIPv6Address string }
	if json.Unmarshal(out, &nets) != nil {
		return ""
	}
	addrs, _ := net.InterfaceAddrs()
	var ips []net.IP
	for _, n := range nets {
		if ip := net.ParseIP(n.GlobalIPv6Address); ip != nil {
			ips = append(ips, ip)
		}
	}
	return localOnNetwork(addrs, ips)
}

// localOnNetwork: the first of the local addresses (IPv6, not link-local
// nor loopback) whose network holds one of ips.
func localOnNetwork(addrs []net.Addr, ips []net.IP) string {
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok || n.IP.To4() != nil || n.IP.IsLoopback() || n.IP.IsLinkLocalUnicast() {
			continue
		}
		for _, ip := range ips {
			if n.Contains(ip) {
				return n.IP.String()
			}
		}
	}
	return ""
}

// wrapperAddr is the wrapper's address on Docker's network (eth0).
func wrapperAddr() string {
	ifc, err := net.InterfaceByName("eth0")
	if err != nil {
		return ""
	}
	addrs, _ := ifc.Addrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
			return n.IP.String()
		}
	}
	return ""
}
