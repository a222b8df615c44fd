package email

import (
	"bytes"
	"io"
	"net"
	"sync"
	"testing"
)

// tcpProxy stands between the channel and Dovecot on loopback, so a test
// can see the IMAP commands the channel sends (plaintext IMAP only) and cut
// its connection as a network failure would, without touching the servers.
type tcpProxy struct {
	Addr   string
	target string
	ln     net.Listener

	mu    sync.Mutex
	conns []net.Conn
	dials int
	sent  bytes.Buffer // everything clients sent, all connections
}

func startProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{Addr: ln.Addr().String(), target: target, ln: ln}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { p.serve(c) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		p.cut()
		wg.Wait()
	})
	return p
}

func (p *tcpProxy) serve(client net.Conn) {
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	p.mu.Lock()
	p.conns = append(p.conns, client, server)
	p.dials++
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() {
		io.Copy(server, io.TeeReader(client, tap{p}))
		done <- struct{}{}
	}()
	go func() {
		io.Copy(client, server)
		done <- struct{}{}
	}()
	<-done // either side gone: end both
	client.Close()
	server.Close()
	<-done
}

type tap struct{ p *tcpProxy }

func (t tap) Write(b []byte) (int, error) {
	t.p.mu.Lock()
	defer t.p.mu.Unlock()
	return t.p.sent.Write(b)
}

// cut closes every open connection, both sides.
func (p *tcpProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// connections is how many connections the proxy has made so far.
func (p *tcpProxy) connections() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dials
}

// count is how many times clients sent s.
func (p *tcpProxy) count(s string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return bytes.Count(p.sent.Bytes(), []byte(s))
}
