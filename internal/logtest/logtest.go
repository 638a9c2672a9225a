// Package logtest is test support, imported only by _test.go files (the
// layout test in cmd/sentinelle enforces it): a Buffer that collects what
// a service's goroutines log while the test reads it. It imports no
// project package.
package logtest

import (
	"bytes"
	"sync"
)

// Buffer is a bytes.Buffer safe to write from several goroutines while the
// test reads it. The zero value is ready to use.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p; it never fails.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
