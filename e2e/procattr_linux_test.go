package e2e

import "syscall"

// childAttr makes the kernel kill a child process if the test binary dies without
// stopping it (a timeout panic, SIGKILL), so no server outlives its test run.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
