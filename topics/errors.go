package topics

import (
	"errors"
	"fmt"
	"strings"
)

// Code is the stable, machine-readable reason a request failed. It travels beside the human
// error text in every error Response; scripts match on it, never on the text.
type Code string

// The error codes of the contract.
const (
	CodeBadJSON        Code = "bad_json"        // the payload is not the JSON the command takes
	CodeBadRequest     Code = "bad_request"     // well-formed, but an argument is missing or invalid
	CodeUnknownCommand Code = "unknown_command" // no command of that name or alias
	CodeUnknownZone    Code = "unknown_zone"    // a zone number the agent does not have
	CodeDuplicateZone  Code = "duplicate_zone"  // a zone named twice in one request
	CodeUnavailable    Code = "unavailable"     // the agent cannot do this in its current setup
	CodeForbidden      Code = "forbidden"       // the requester may not do this
	CodeBudget         Code = "power_budget"    // more valves than the power supply allows
	CodeRelay          Code = "relay_failure"   // the relay driver failed
	CodeExpired        Code = "expired"         // the request's ts plus ttl_s had passed when it arrived
	CodeNotSaved       Code = "not_saved"       // carried out, but the agent could not save it: a restart will not know it
	CodeConflict       Code = "conflict"        // the document changed since the revision the request names
	CodeInternal       Code = "internal"        // a bug; the agent logged it and lives on
	CodeBusy           Code = "busy"            // the requester, or its role, sends faster than the agent takes: not carried out, try again in a second
	CodeTooLarge       Code = "too_large"       // the answer would be larger than a reply may be: ask for less
)

// Error is an error with a Code. Handlers return it so the reply carries the right code.
type Error struct {
	Code Code
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// maxMessage bounds an error's message, which goes into replies, events and the log: a
// huge request must not make a huge answer.
const maxMessage = 400

// Errorf returns an *Error with code and a formatted message of at most maxMessage bytes.
func Errorf(code Code, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if len(msg) > maxMessage {
		cut := strings.ToValidUTF8(msg[:maxMessage], "")
		msg = fmt.Sprintf("%s… (%d bytes more)", cut, len(msg)-len(cut))
	}
	return &Error{Code: code, Msg: msg}
}

// maxNamed is how many offenders an error names before it counts the rest.
const maxNamed = 5

// some lists the first few distinct items and counts the other distinct ones: "3, 4, 9 and
// 12 more".
func some(items []string) string {
	var named []string
	seen := map[string]bool{}
	for _, it := range items {
		if !seen[it] {
			seen[it] = true
			if len(named) < maxNamed {
				named = append(named, it)
			}
		}
	}
	if more := len(seen) - len(named); more > 0 {
		return fmt.Sprintf("%s and %d more", strings.Join(named, ", "), more)
	}
	return strings.Join(named, ", ")
}

// CodeOf returns the Code of err: the code of the first *Error in its chain, else CodeInternal.
func CodeOf(err error) Code {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return CodeInternal
}
