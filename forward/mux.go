package main

// One byte stream (the stdio of one `docker exec -i`) carrying many TCP
// connections, so a remote engine, where the wrapper's address cannot be
// reached, costs one exec for every connection instead of one exec each.
// A frame is a type byte, a stream id and a length (both big-endian uint32),
// then the payload. Each stream has a window: a sender may have at most
// window bytes unacknowledged, and the receiver grants more ('W') as it
// writes them out, so one slow reader cannot stall the others or fill memory.

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
)

const (
	frameTable  = 'T' // agent -> host: the inner published ports, JSON
	frameOpen   = 'O' // host -> agent: connect stream id to the payload's host:port
	frameFail   = 'F' // agent -> host: the connect failed, payload says why
	frameData   = 'D'
	frameClose  = 'C' // the sender will send no more data on the stream
	frameWindow = 'W' // the receiver wrote this many bytes (uint32 payload)

	window   = 4 << 20
	chunk    = 256 << 10
	maxFrame = 1 << 20
)

type frame struct {
	typ  byte
	id   uint32
	data []byte
}

func readFrame(r *bufio.Reader) (frame, error) {
	var h [9]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return frame{}, err
	}
	n := binary.BigEndian.Uint32(h[5:])
	if n > maxFrame {
		return frame{}, errors.New("frame too large: the stream is out of step")
	}
	f := frame{typ: h[0], id: binary.BigEndian.Uint32(h[1:5]), data: make([]byte, n)}
	_, err := io.ReadFull(r, f.data)
	return f, err
}

// mux sends frames on one writer for many goroutines and routes the frames it
// reads to their streams.
type mux struct {
	wmu     sync.Mutex
	w       *bufio.Writer
	mu      sync.Mutex
	streams map[uint32]*stream
	next    uint32
	dead    bool
}

func newMux(w io.Writer) *mux {
	return &mux{w: bufio.NewWriterSize(w, 64<<10), streams: map[uint32]*stream{}}
}

func (m *mux) send(typ byte, id uint32, data []byte) error {
	var h [9]byte
	h[0] = typ
	binary.BigEndian.PutUint32(h[1:5], id)
	binary.BigEndian.PutUint32(h[5:], uint32(len(data)))
	m.wmu.Lock()
	defer m.wmu.Unlock()
	if _, err := m.w.Write(h[:]); err != nil {
		return err
	}
	if _, err := m.w.Write(data); err != nil {
		return err
	}
	return m.w.Flush()
}

// stream is one connection's two directions: inbox holds what the peer sent
// and the local side has not written yet; credit is what we may still send.
type stream struct {
	m       *mux
	id      uint32
	mu      sync.Mutex
	cond    *sync.Cond
	inbox   [][]byte
	peerEOF bool // the peer sent Close (or Fail)
	gone    bool // the mux died: give up both ways
	credit  int
	failMsg string
}

func (m *mux) add(id uint32) *stream {
	s := &stream{m: m, id: id, credit: window}
	s.cond = sync.NewCond(&s.mu)
	m.mu.Lock()
	if m.dead {
		s.gone = true
	}
	m.streams[id] = s
	m.mu.Unlock()
	return s
}

func (m *mux) newID() uint32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.next++
	return m.next
}

func (m *mux) remove(id uint32) {
	m.mu.Lock()
	delete(m.streams, id)
	m.mu.Unlock()
}

func (m *mux) get(id uint32) *stream {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.streams[id]
}

// shutdown wakes every stream when the carrying exec ends.
func (m *mux) shutdown() {
	m.mu.Lock()
	m.dead = true
	all := make([]*stream, 0, len(m.streams))
	for _, s := range m.streams {
		all = append(all, s)
	}
	m.mu.Unlock()
	for _, s := range all {
		s.mu.Lock()
		s.gone = true
		s.cond.Broadcast()
		s.mu.Unlock()
	}
}

// deliver routes a stream frame; false for a frame of a stream we do not know
// (already closed here), which is dropped.
func (m *mux) deliver(f frame) bool {
	s := m.get(f.id)
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch f.typ {
	case frameData:
		s.inbox = append(s.inbox, f.data)
	case frameClose:
		s.peerEOF = true
	case frameFail:
		s.peerEOF = true
		s.failMsg = string(f.data)
	case frameWindow:
		if len(f.data) == 4 {
			s.credit += int(binary.BigEndian.Uint32(f.data))
		}
	}
	s.cond.Broadcast()
	return true
}

// pump copies between the stream and a local connection until both
// directions are done, then closes the connection; it counts bytes both ways.
func (s *stream) pump(c net.Conn, sent, received func(int)) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // local -> peer
		defer wg.Done()
		buf := make([]byte, chunk)
		for {
			n, err := c.Read(buf)
			if n > 0 {
				if !s.waitCredit(n) || s.m.send(frameData, s.id, buf[:n]) != nil {
					return
				}
				sent(n)
			}
			if err != nil {
				_ = s.m.send(frameClose, s.id, nil)
				return
			}
		}
	}()
	// peer -> local, here. Credit goes back in batches (a quarter window, or
	// whatever was written once the inbox is empty): a frame per chunk would
	// double the frames on a bulk stream.
	writeFailed := false
	granted := 0
	for {
		s.mu.Lock()
		for len(s.inbox) == 0 && !s.peerEOF && !s.gone {
			s.cond.Wait()
		}
		if s.gone || (len(s.inbox) == 0 && s.peerEOF) {
			s.mu.Unlock()
			break
		}
		data := s.inbox[0]
		s.inbox = s.inbox[1:]
		idle := len(s.inbox) == 0
		s.mu.Unlock()
		if _, err := c.Write(data); err != nil {
			writeFailed = true
			break
		}
		received(len(data))
		granted += len(data)
		if granted >= window/4 || idle {
			var b [4]byte
			binary.BigEndian.PutUint32(b[:], uint32(granted))
			_ = s.m.send(frameWindow, s.id, b[:])
			granted = 0
		}
	}
	if tc, ok := c.(*net.TCPConn); ok && !s.gone && !writeFailed {
		_ = tc.CloseWrite() // the peer's side ended: pass the end on, keep reading
	} else {
		_ = c.Close()
	}
	wg.Wait()
	_ = c.Close()
	s.m.remove(s.id)
}

func (s *stream) waitCredit(n int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.credit < n && !s.gone {
		s.cond.Wait()
	}
	s.credit -= n
	return !s.gone
}
