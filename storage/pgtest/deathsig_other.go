//go:build !linux

package pgtest

import "syscall"

// deathSignal has no equivalent here: a crashed test binary's server runs
// until the next Server's sweep stops it.
func deathSignal(syscall.Signal) *syscall.SysProcAttr { return nil }
