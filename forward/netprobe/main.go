// netprobe: the client side of bench/forwards.sh, the same for every path it
// compares (the forward, Docker's published port, the wrapper's address).
//
//	netprobe connect HOST:PORT N   N short HTTP/1.0 GETs one after another:
//	                               prints the median and p99 milliseconds
//	netprobe read HOST:PORT BYTES  GET /zero on one connection, read to its
//	                               end (at least BYTES): prints the seconds
//	                               and MiB/s
package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strconv"
	"time"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: netprobe connect HOST:PORT N | read HOST:PORT BYTES")
		os.Exit(2)
	}
	n, err := strconv.ParseInt(os.Args[3], 10, 64)
	if err == nil {
		switch os.Args[1] {
		case "connect":
			err = connect(os.Args[2], int(n))
		case "read":
			err = read(os.Args[2], n)
		default:
			err = fmt.Errorf("unknown mode %q", os.Args[1])
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ERROR: netprobe:", err)
		os.Exit(1)
	}
}

// connect: each sample is dial, request, the whole answer and its close.
func connect(addr string, n int) error {
	ms := make([]float64, 0, n)
	for i := 0; i < n; i++ {
		t0 := time.Now()
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			return err
		}
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(c, "GET / HTTP/1.0\r\n\r\n"); err != nil {
			return err
		}
		got, err := io.ReadAll(bufio.NewReader(c))
		_ = c.Close()
		if err != nil || len(got) == 0 {
			return fmt.Errorf("connection %d to %s: %d bytes, %v", i+1, addr, len(got), err)
		}
		ms = append(ms, float64(time.Since(t0).Microseconds())/1000)
	}
	sort.Float64s(ms)
	fmt.Printf("%.3f %.3f\n", ms[len(ms)/2], ms[(len(ms)*99+99)/100-1])
	return nil
}

func read(addr string, want int64) error {
	t0 := time.Now()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := io.WriteString(c, "GET /zero HTTP/1.0\r\n\r\n"); err != nil {
		return err
	}
	got, err := io.Copy(io.Discard, c)
	if got < want || err != nil {
		return fmt.Errorf("read %d of %d bytes from %s: %v", got, want, addr, err)
	}
	s := time.Since(t0).Seconds()
	fmt.Printf("%.3f %.1f\n", s, float64(want)/(1<<20)/s)
	return nil
}
