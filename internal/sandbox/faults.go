package sandbox

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Fault is a kind of failure SetFaults injects, or a modifier of where it
// injects them.
type Fault int

const (
	// Throttle answers as AWS does when a caller exceeds its request rate:
	// HTTP 400 with the protocol's throttling code (ThrottlingException for
	// JSON and REST-JSON services, RequestLimitExceeded for EC2, Throttling
	// for IAM, STS and other query services; S3 answers 503 SlowDown, its
	// only throttling reply).
	Throttle Fault = iota + 1
	// ServerError answers HTTP 500 InternalFailure (InternalError for EC2
	// and S3), as AWS does on an internal failure.
	ServerError
	// MutatingOnly is not a fault: given with the others, it limits
	// injection to mutating calls (operations not named Describe*, List*,
	// Get* or Head*).
	MutatingOnly
)

// String names the fault.
func (f Fault) String() string {
	switch f {
	case Throttle:
		return "Throttle"
	case ServerError:
		return "ServerError"
	case MutatingOnly:
		return "MutatingOnly"
	}
	return "Fault(" + strconv.Itoa(int(f)) + ")"
}

// faultConfig is the injection in force.
type faultConfig struct {
	rate         float64
	kinds        []Fault
	mutatingOnly bool
}

// newFaultRand returns the generator behind fault decisions: the same seed
// gives the same decisions for the same sequence of calls.
func newFaultRand(seed int64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), 0x5eed5eed5eed5eed))
}

// parseFaults builds the configuration of SetFaults.
func parseFaults(rate float64, kinds []Fault) faultConfig {
	cfg := faultConfig{rate: min(max(rate, 0), 1)}
	for _, k := range kinds {
		switch k {
		case MutatingOnly:
			cfg.mutatingOnly = true
		case Throttle, ServerError:
			cfg.kinds = append(cfg.kinds, k)
		}
	}
	if len(cfg.kinds) == 0 {
		cfg.kinds = []Fault{Throttle, ServerError}
	}
	return cfg
}

// pick decides whether c fails and how. rng must not be shared unguarded.
func (cfg faultConfig) pick(rng *rand.Rand, c *call) (Fault, bool) {
	if cfg.rate <= 0 || (cfg.mutatingOnly && !c.mutating()) {
		return 0, false
	}
	if rng.Float64() >= cfg.rate {
		return 0, false
	}
	return cfg.kinds[rng.IntN(len(cfg.kinds))], true
}

// writeFault answers c with fault f in c's protocol.
func writeFault(w http.ResponseWriter, c *call, f Fault) {
	status, code, msg := http.StatusBadRequest, "ThrottlingException", "Rate exceeded"
	if f == ServerError {
		status, code, msg = http.StatusInternalServerError, "InternalFailure", "We encountered an internal error. Please try again."
	}
	switch c.proto {
	case protoEC2:
		if f == Throttle {
			code, msg = "RequestLimitExceeded", "Request limit exceeded."
		} else {
			code = "InternalError"
		}
		writeEC2Error(w, status, code, msg)
	case protoQuery:
		if f == Throttle {
			code = "Throttling"
		}
		writeQueryError(w, status, code, msg, f == Throttle)
	case protoRESTXML:
		if f == Throttle {
			status, code, msg = http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate."
		} else {
			code = "InternalError"
		}
		writeS3Error(w, status, code, msg)
	case protoCBOR:
		w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
		w.Header().Set("Content-Type", "application/cbor")
		w.WriteHeader(status)
		_, _ = w.Write(cborStringMap(map[string]string{"__type": code, "message": msg}))
	case protoJSON:
		w.Header().Set("Content-Type", "application/x-amz-json-"+c.jsonVer)
		w.Header().Set("X-Amzn-Errortype", code)
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
	default:
		writeRESTJSONError(w, status, code, msg, nil)
	}
}

// writeRESTJSONError writes a REST-JSON error as EKS and EFS do: the code in
// x-amzn-errortype, the message (and any extra members) in the JSON body.
func writeRESTJSONError(w http.ResponseWriter, status int, code, msg string, extra map[string]string) {
	body := map[string]string{"message": msg}
	for k, v := range extra {
		if v != "" {
			body[k] = v
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func writeEC2Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>%s</RequestID></Response>`,
		xmlEscape(code), xmlEscape(msg), requestID())
}

func writeQueryError(w http.ResponseWriter, status int, code, msg string, sender bool) {
	typ := "Receiver"
	if sender {
		typ = "Sender"
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
		typ, xmlEscape(code), xmlEscape(msg), requestID())
}

func writeS3Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<Error><Code>%s</Code><Message>%s</Message><RequestId>%s</RequestId></Error>`,
		xmlEscape(code), xmlEscape(msg), requestID())
}

func xmlEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// requestID returns a random request id in AWS's UUID form.
func requestID() string {
	const hex = "0123456789abcdef"
	b := make([]byte, 36)
	for i := range b {
		switch i {
		case 8, 13, 18, 23:
			b[i] = '-'
		default:
			b[i] = hex[rand.IntN(16)]
		}
	}
	return string(b)
}

// cborStringMap encodes a map of text strings as CBOR (RFC 8949), enough for
// an RPCv2 CBOR error body.
func cborStringMap(m map[string]string) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := cborHead(nil, 5, uint64(len(m)))
	for _, k := range keys {
		out = cborHead(out, 3, uint64(len(k)))
		out = append(out, k...)
		out = cborHead(out, 3, uint64(len(m[k])))
		out = append(out, m[k]...)
	}
	return out
}

// cborHead appends a CBOR item head of major type major and argument n.
func cborHead(b []byte, major byte, n uint64) []byte {
	m := major << 5
	switch {
	case n < 24:
		return append(b, m|byte(n))
	case n < 1<<8:
		return append(b, m|24, byte(n))
	case n < 1<<16:
		return append(b, m|25, byte(n>>8), byte(n))
	case n < 1<<32:
		return append(b, m|26, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, m|27, byte(n>>56), byte(n>>48), byte(n>>40), byte(n>>32), byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}
