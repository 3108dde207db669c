// Command measure runs a command several times and reports its wall time
// (minimum, median, maximum) and its peak resident memory, read from the
// kernel's rusage of each run. Used by hack/bench.sh.
//
//	go run ./hack/measure -n 20 -- bin/eksenv validate
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"time"
)

func main() {
	n := flag.Int("n", 20, "runs")
	name := flag.String("name", "", "label for the report line")
	flag.Parse()
	args := flag.Args()
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: measure [-n N] [-name LABEL] -- command args...")
		os.Exit(2)
	}
	if *name == "" {
		*name = fmt.Sprint(args)
	}
	var walls []time.Duration
	var peak int64
	for i := 0; i < *n; i++ {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Stdout, cmd.Stderr = nil, nil
		start := time.Now()
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "run %d of %v: %v\n", i+1, args, err)
			os.Exit(1)
		}
		walls = append(walls, time.Since(start))
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			peak = max(peak, ru.Maxrss) // KiB on Linux
		}
	}
	slices.Sort(walls)
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
	fmt.Printf("%-10s runs %d  wall min %s  median %s  max %s  peak RSS %.1f MiB\n",
		*name, *n, ms(walls[0]), ms(walls[len(walls)/2]), ms(walls[len(walls)-1]), float64(peak)/1024)
}
