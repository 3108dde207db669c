//go:build !unix

package sandbox

import (
	"errors"
	"syscall"
)

// processGroupAttr has no process groups to offer here.
func processGroupAttr() *syscall.SysProcAttr { return nil }

// signalGroup cannot signal a process group on this system.
func signalGroup(int, bool) error {
	return errors.New("sandbox: stopping moto_server needs a Unix system")
}
