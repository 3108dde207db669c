package infra

import "time"

// Phase of a progress event.
type Phase string

// Phases.
const (
	PhaseStarted Phase = "started"
	PhaseWaiting Phase = "waiting"
	PhaseRetry   Phase = "retry"
	PhaseDone    Phase = "done"
	PhaseFailed  Phase = "failed"
	PhaseSkipped Phase = "skipped"
)

// Event is one progress report of a run.
type Event struct {
	Time        time.Time `json:"time"`
	Key         Key       `json:"key"`
	Description string    `json:"description,omitempty"`
	Phase       Phase     `json:"phase"`
	Message     string    `json:"message,omitempty"`
}
