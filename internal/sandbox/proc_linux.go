//go:build linux

package sandbox

import "syscall"

// setParentDeathSignal asks Linux to kill moto_server if the process that
// started it dies without calling Stop (a test binary killed by a timeout).
func setParentDeathSignal(attr *syscall.SysProcAttr) { attr.Pdeathsig = syscall.SIGKILL }
