package topics

import (
	"errors"
	"fmt"
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
	CodeInternal       Code = "internal"        // a bug; the agent logged it and lives on
)

// Error is an error with a Code. Handlers return it so the reply carries the right code.
type Error struct {
	Code Code
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// Errorf returns an *Error with code and a formatted message.
func Errorf(code Code, format string, args ...any) error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// CodeOf returns the Code of err: the code of the first *Error in its chain, else CodeInternal.
func CodeOf(err error) Code {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return CodeInternal
}
