package render

import (
	"encoding/json"
	"fmt"

	"github.com/eksenv/eksenv/internal/spec"
)

// EventRule is an EventBridge rule that sends a kind of EC2 or Health event
// to Karpenter's interruption queue.
type EventRule struct {
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Pattern     map[string]any `json:"eventPattern"`
}

// PatternJSON is the rule's event pattern as EventBridge takes it.
func (r EventRule) PatternJSON() (string, error) {
	b, err := json.Marshal(r.Pattern)
	if err != nil {
		return "", fmt.Errorf("event pattern of %s: %w", r.Name, err)
	}
	return string(b), nil
}

// InterruptionRules are the four rules of Karpenter's getting-started
// template, with deterministic names (the template leaves them unnamed).
func InterruptionRules(e *spec.Environment) []EventRule {
	n := e.Metadata.Name
	rule := func(suffix, source, detailType string) EventRule {
		return EventRule{
			Name:        n + "-karpenter-" + suffix,
			Description: fmt.Sprintf("Karpenter interruption handling for %s: %s", n, detailType),
			Pattern:     map[string]any{"source": []string{source}, "detail-type": []string{detailType}},
		}
	}
	return []EventRule{
		rule("health", "aws.health", "AWS Health Event"),
		rule("spot-interruption", "aws.ec2", "EC2 Spot Instance Interruption Warning"),
		rule("rebalance", "aws.ec2", "EC2 Instance Rebalance Recommendation"),
		rule("instance-state", "aws.ec2", "EC2 Instance State-change Notification"),
	}
}

// InterruptionRulesFile writes the rules and their target queue as JSON.
func InterruptionRulesFile(e *spec.Environment) (File, error) {
	doc := map[string]any{"queue": e.Names().InterruptionQueue, "rules": InterruptionRules(e)}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return File{}, fmt.Errorf("render interruption rules: %w", err)
	}
	return File{Path: "karpenter/interruption-rules.json", Data: append(b, '\n')}, nil
}
