package pgtest

import "syscall"

// deathSignal makes the kernel send sig to a child when the thread that
// started it ends, so a crashed test binary takes its server with it.
func deathSignal(sig syscall.Signal) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: sig}
}
