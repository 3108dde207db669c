package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/eksenv/eksenv/internal/infra"
)

// progress shows a run: on a terminal a live block of the running steps
// with their elapsed time and what each waits for; otherwise one
// timestamped line per event (waiting lines at most every 30 s per step);
// with -o json one JSON event per line.
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	json    bool
	tty     bool
	now     func() time.Time
	started map[infra.Key]time.Time
	waiting map[infra.Key]string
	lastLog map[infra.Key]time.Time
	drawn   int
	stop    chan struct{}
	done    sync.WaitGroup
}

func newProgress(w io.Writer, format string, now func() time.Time) *progress {
	p := &progress{w: w, json: format == FormatJSON, now: now, started: map[infra.Key]time.Time{},
		waiting: map[infra.Key]string{}, lastLog: map[infra.Key]time.Time{}, stop: make(chan struct{})}
	if f, ok := w.(*os.File); ok && !p.json && isTerminal(f) {
		p.tty = true
		p.done.Add(1)
		go p.tick()
	}
	return p
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func (p *progress) tick() {
	defer p.done.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			p.redraw()
			p.mu.Unlock()
		}
	}
}

// Close stops the live view.
func (p *progress) Close() {
	if p.tty {
		close(p.stop)
		p.done.Wait()
		p.mu.Lock()
		p.clear()
		p.mu.Unlock()
	}
}

func (p *progress) clear() {
	for i := 0; i < p.drawn; i++ {
		fmt.Fprint(p.w, "\x1b[1A\x1b[2K")
	}
	p.drawn = 0
}

func (p *progress) redraw() {
	p.clear()
	keys := make([]infra.Key, 0, len(p.started))
	for k := range p.started {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	for _, k := range keys {
		line := fmt.Sprintf("  ⋯ %s  %s", k, p.now().Sub(p.started[k]).Round(time.Second))
		if w := p.waiting[k]; w != "" {
			line += "  " + w
		}
		fmt.Fprintln(p.w, line)
		p.drawn++
	}
}

// Event records one executor event.
func (p *progress) Event(e infra.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		b, _ := json.Marshal(e)
		fmt.Fprintf(p.w, "%s\n", b)
		return
	}
	if p.tty {
		p.clear()
	}
	stamp := e.Time.Format("15:04:05")
	switch e.Phase {
	case infra.PhaseStarted:
		p.started[e.Key] = e.Time
		if !p.tty {
			fmt.Fprintf(p.w, "%s  ⋯ %s %s\n", stamp, e.Message, describeKey(e))
		}
	case infra.PhaseWaiting, infra.PhaseRetry:
		p.waiting[e.Key] = e.Message
		if !p.tty && e.Time.Sub(p.lastLog[e.Key]) >= 30*time.Second || e.Phase == infra.PhaseRetry && !p.tty {
			p.lastLog[e.Key] = e.Time
			fmt.Fprintf(p.w, "%s    %s: %s\n", stamp, e.Key, e.Message)
		}
	case infra.PhaseDone:
		elapsed := ""
		if t, ok := p.started[e.Key]; ok {
			elapsed = " (" + e.Time.Sub(t).Round(time.Second).String() + ")"
		}
		delete(p.started, e.Key)
		delete(p.waiting, e.Key)
		fmt.Fprintf(p.w, "%s  ✓ %s %s%s\n", stamp, e.Message, describeKey(e), elapsed)
	case infra.PhaseFailed:
		delete(p.started, e.Key)
		delete(p.waiting, e.Key)
		fmt.Fprintf(p.w, "%s  ✗ %s: %s\n", stamp, describeKey(e), e.Message)
	case infra.PhaseSkipped:
		delete(p.started, e.Key)
		delete(p.waiting, e.Key)
	}
	if p.tty {
		p.redraw()
	}
}

func describeKey(e infra.Event) string {
	if e.Description != "" {
		return e.Description
	}
	return string(e.Key)
}
