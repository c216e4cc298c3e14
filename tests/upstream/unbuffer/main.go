// Command unbuffer is the test run's stand-in for expect's unbuffer(1),
// which nerdctl's integration tests put before `nerdctl compose run` so that
// its `nerdctl run -t` finds a terminal on stdin (tests/upstream/run.sh copies
// it into the throwaway wrapper only). It runs COMMAND under a new
// pseudo-terminal, copies everything the command writes there to its own
// stdout, and exits with the command's status. With -p (the detach-keys tests)
// its own stdin is also the command's input, copied to the terminal, not
// echoed back; the command's input ends with nothing more, not with an EOF.
//
// Usage: unbuffer [-p] COMMAND [ARG...]
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"unsafe"
)

func main() {
	args := os.Args[1:]
	input := len(args) > 0 && args[0] == "-p"
	if input {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: unbuffer [-p] COMMAND [ARG...]")
		os.Exit(2)
	}
	code, err := run(args[0], args[1:], input)
	if err != nil {
		fmt.Fprintf(os.Stderr, "unbuffer: %v\n", err)
	}
	os.Exit(code)
}

// run returns the command's exit status; a command killed by a signal gives
// 128 plus its number, as a shell reports it, and one that cannot be started
// 127, as a shell reports a command it cannot run.
func run(name string, args []string, input bool) (int, error) {
	ptmx, tty, err := openPty()
	if err != nil {
		return 1, err
	}
	defer ptmx.Close()
	if err := setTerminal(tty, input); err != nil {
		return 1, err
	}
	cmd := exec.Command(name, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	// A session of its own with the terminal as its controlling terminal
	// (fd 0 in the child): `nerdctl run -t` puts it into raw mode, and the
	// command gets SIGHUP if we go away.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		tty.Close()
		return 127, err
	}
	// Only the command holds the terminal now, so reading ends (EIO) when the
	// command and whatever it started have all closed it.
	tty.Close()
	if input {
		// Ends with the process: the command may finish before our stdin does.
		go io.Copy(ptmx, os.Stdin)
	}
	_, copyErr := io.Copy(os.Stdout, ptmx)
	if errors.Is(copyErr, syscall.EIO) {
		copyErr = nil
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), copyErr
		}
		return exit.ExitCode(), copyErr
	}
	if err != nil {
		return 1, err
	}
	return 0, copyErr
}

// openPty opens a new pseudo-terminal pair, Linux's way (/dev/ptmx, unlock,
// the pts number), with the standard library only.
func openPty() (ptmx, tty *os.File, err error) {
	ptmx, err = os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, err
	}
	var unlock int32
	var n uint32
	if err = ioctl(ptmx, syscall.TIOCSPTLCK, unsafe.Pointer(&unlock)); err == nil {
		err = ioctl(ptmx, syscall.TIOCGPTN, unsafe.Pointer(&n))
	}
	if err == nil {
		tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	}
	if err != nil {
		ptmx.Close()
		return nil, nil, fmt.Errorf("a pseudo-terminal: %w", err)
	}
	return ptmx, tty, nil
}

// setTerminal turns off output processing, as expect's unbuffer does
// (stty_init -opost), so the command's output comes through as written, its
// newlines not turned into CR LF; and, when our stdin is the command's input,
// echo: what we send is not the command's output.
func setTerminal(tty *os.File, input bool) error {
	var t syscall.Termios
	if err := ioctl(tty, syscall.TCGETS, unsafe.Pointer(&t)); err != nil {
		return fmt.Errorf("the terminal's settings: %w", err)
	}
	t.Oflag &^= syscall.OPOST
	if input {
		t.Lflag &^= syscall.ECHO
	}
	if err := ioctl(tty, syscall.TCSETS, unsafe.Pointer(&t)); err != nil {
		return fmt.Errorf("setting the terminal: %w", err)
	}
	return nil
}

func ioctl(f *os.File, req uintptr, arg unsafe.Pointer) error {
	conn, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var errno syscall.Errno
	if err := conn.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, req, uintptr(arg))
	}); err != nil {
		return err
	}
	if errno != 0 {
		return errno
	}
	return nil
}
