//go:build unix

package sandbox

import (
	"errors"
	"syscall"
)

// processGroupAttr puts moto_server into a process group of its own, so Stop
// can signal it and every child it forked at once.
func processGroupAttr() *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Setpgid: true}
	setParentDeathSignal(attr)
	return attr
}

// signalGroup sends SIGTERM (or SIGKILL when kill is set) to the process
// group pgid. A group that no longer exists is not an error.
func signalGroup(pgid int, kill bool) error {
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	if err := syscall.Kill(-pgid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}
