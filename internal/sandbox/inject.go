package sandbox

import (
	"net/http"
	"strings"
)

// OperationError is an AWS error the sandbox answers for one operation, to
// play conditions that only a real account reaches, such as an account's
// elastic IP limit (moto has none).
type OperationError struct {
	// Operation is "service:Operation", e.g. "ec2:AllocateAddress".
	Operation string
	// Code and Message are the AWS error; Status defaults to 400.
	Code, Message string
	Status        int
}

// FailOperation makes every call of e.Operation fail with e until
// ClearOperationErrors. The call is counted but never reaches moto.
func (s *Sandbox) FailOperation(e OperationError) {
	if e.Status == 0 {
		e.Status = http.StatusBadRequest
	}
	s.proxy.mu.Lock()
	defer s.proxy.mu.Unlock()
	s.proxy.opErrors[e.Operation] = e
}

// ClearOperationErrors removes every FailOperation.
func (s *Sandbox) ClearOperationErrors() {
	s.proxy.mu.Lock()
	defer s.proxy.mu.Unlock()
	s.proxy.opErrors = map[string]OperationError{}
}

// operationError returns the injected error of c, if any.
func (p *proxy) operationError(c *call) (OperationError, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.opErrors[c.key()]
	return e, ok
}

// writeOperationError answers c with e in c's protocol.
func writeOperationError(w http.ResponseWriter, c *call, e OperationError) {
	switch c.proto {
	case protoEC2:
		writeEC2Error(w, e.Status, e.Code, e.Message)
	case protoQuery:
		writeQueryError(w, e.Status, e.Code, e.Message, false)
	case protoRESTXML:
		writeS3Error(w, e.Status, e.Code, e.Message)
	case protoJSON:
		w.Header().Set("Content-Type", "application/x-amz-json-"+c.jsonVer)
		w.Header().Set("X-Amzn-Errortype", e.Code)
		w.WriteHeader(e.Status)
		_, _ = w.Write([]byte(`{"__type":"` + e.Code + `","message":"` + strings.ReplaceAll(e.Message, `"`, `'`) + `"}`))
	default:
		writeRESTJSONError(w, e.Status, e.Code, e.Message, nil)
	}
}
