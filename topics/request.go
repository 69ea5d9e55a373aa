package topics

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Request is a parsed request payload: the id the reply echoes, where the reply goes, how long
// the request stays valid, and the command's own arguments.
type Request struct {
	ID     string // echoed in the Response; may be empty
	Source string // optional label of the requester, for logs (e.g. "homeassistant")
	// ReplyTo, when set, is the requester's client id: the reply goes to the command's response
	// topic under it (Agent.Reply), which only that client may read (Readable). An agent whose
	// broker names each message's sender replies under the sender's id whatever ReplyTo says.
	ReplyTo string
	// Sent is when the requester sent the request ("ts"), and TTL how long after that it may
	// still be carried out ("ttl_s"); zero when the request did not say.
	Sent time.Time
	TTL  time.Duration
	// From is who sent it, as the agent's own broker names each message's sender; zero when
	// it cannot be known. The agent sets it, never the payload.
	From Sender
	args map[string]json.RawMessage
}

// validReplyTo reports whether s may be a reply_to level: a client id (ValidClientID), so it can
// never leave the response subtree nor hold a wildcard.
func validReplyTo(s string) bool { return ValidClientID(s) == nil }

// ParseRequest parses a request payload: a JSON object {"id":"…", …args}, or an empty payload
// for a command without arguments. On error the returned Request still carries the id when
// one could be read, so the reply can echo it.
func ParseRequest(payload []byte) (Request, error) {
	p := bytes.TrimSpace(payload)
	if len(p) == 0 {
		return Request{}, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(p, &fields); err != nil {
		return Request{}, Errorf(CodeBadJSON, "bad JSON: %v", jsonReason(err))
	}
	if fields == nil {
		return Request{}, Errorf(CodeBadJSON, "bad JSON: want an object, got null")
	}
	var r Request
	for _, k := range []string{"id", "reply_to", "source"} {
		raw, ok := fields[k]
		if !ok {
			continue
		}
		delete(fields, k)
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return r, Errorf(CodeBadRequest, "%q must be a string", k)
		}
		if len(s) > 128 {
			return r, Errorf(CodeBadRequest, "%q is longer than 128 characters", k)
		}
		switch k {
		case "id":
			r.ID = s
		case "reply_to":
			if err := ValidClientID(s); err != nil {
				return r, Errorf(CodeBadRequest, `"reply_to": want the requester's client id: %v`, err)
			}
			r.ReplyTo = s
		default:
			if err := ValidClientID(s); err != nil {
				return r, Errorf(CodeBadRequest, `"source": a label such as a client id: %v`, err)
			}
			r.Source = s
		}
	}
	if err := r.parseValidity(fields); err != nil {
		return r, err
	}
	r.args = fields
	return r, nil
}

// maxTTL bounds ttl_s: a request is an instruction for now, not for next week.
const maxTTL = 24 * time.Hour

// parseValidity takes "ts" and "ttl_s" out of fields.
func (r *Request) parseValidity(fields map[string]json.RawMessage) error {
	if raw, ok := fields["ts"]; ok {
		delete(fields, "ts")
		t, err := parseTimestamp(raw)
		if err != nil {
			return err
		}
		r.Sent = t
	}
	if raw, ok := fields["ttl_s"]; ok {
		delete(fields, "ttl_s")
		var s float64
		if err := json.Unmarshal(raw, &s); err != nil || s <= 0 || s > maxTTL.Seconds() {
			return Errorf(CodeBadRequest, `"ttl_s" must be a number of seconds above 0 and at most %.0f`, maxTTL.Seconds())
		}
		if r.Sent.IsZero() {
			return Errorf(CodeBadRequest, `"ttl_s" needs "ts", the time the request was sent`)
		}
		r.TTL = time.Duration(s * float64(time.Second))
	}
	return nil
}

// parseTimestamp reads "ts": an RFC 3339 time, or milliseconds since the Unix epoch (what
// JavaScript's Date.now() gives).
func parseTimestamp(raw json.RawMessage) (time.Time, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, Errorf(CodeBadRequest, `"ts" %q is not an RFC 3339 time such as 2026-05-01T06:00:00Z`, s)
		}
		return t, nil
	}
	var ms float64
	if err := json.Unmarshal(raw, &ms); err != nil || ms <= 0 || ms > 1e15 {
		return time.Time{}, Errorf(CodeBadRequest, `"ts" must be an RFC 3339 time or milliseconds since 1970`)
	}
	return time.UnixMilli(int64(ms)), nil
}

// ClockSkew is how far in the future a request's timestamp may lie, for the sender's clock
// running ahead of the agent's.
const ClockSkew = 30 * time.Second

// Expired returns a CodeExpired error when the request carries a timestamp and a TTL and now is
// past their sum: it waited too long (in a broker's queue, or behind a cut link) to be
// carried out. A timestamp more than ClockSkew ahead of now is refused too, or a request
// stamped in the far future would never expire.
func (r Request) Expired(now time.Time) error {
	if r.TTL <= 0 || r.Sent.IsZero() {
		return nil
	}
	if r.Sent.Sub(now) > ClockSkew {
		return Errorf(CodeExpired, "request stamped %s, more than %s ahead of the agent's clock (%s); it was not carried out (check both clocks)",
			r.Sent.UTC().Format(time.RFC3339), ClockSkew, now.UTC().Format(time.RFC3339))
	}
	if age := now.Sub(r.Sent); age > r.TTL {
		return Errorf(CodeExpired, "request expired: sent %s, %s ago, valid for %s; it was not carried out (if this is unexpected, check both clocks)",
			r.Sent.UTC().Format(time.RFC3339), age.Round(time.Millisecond), r.TTL)
	}
	return nil
}

// Decode decodes the request's arguments into v, a pointer to a struct whose json tags name
// them. Unknown arguments are an error, so a misspelt one never passes silently.
func (r Request) Decode(v any) error {
	if len(r.args) == 0 {
		return nil
	}
	b, err := json.Marshal(r.args)
	if err != nil {
		return Errorf(CodeBadJSON, "bad JSON: %v", err)
	}
	if err := strictUnmarshal(b, v); err != nil {
		return Errorf(CodeBadRequest, "%s", strings.TrimPrefix(err.Error(), "bad JSON: "))
	}
	return nil
}

// Empty reports whether the request has no arguments.
func (r Request) Empty() bool { return len(r.args) == 0 }

// ZoneArgs are the arguments of the zone commands (open, close, toggle).
type ZoneArgs struct {
	Zones     Zones    `json:"zones"`
	DurationS *float64 `json:"duration_s,omitempty"`
}

// Zones is a set of zone numbers on the wire: a list [1,3], one number 3, or the word "all".
type Zones struct {
	All  bool
	List []int
}

// AllZones is the Zones value "all".
var AllZones = Zones{All: true}

// ZoneList returns Zones holding the given numbers.
func ZoneList(n ...int) Zones { return Zones{List: n} }

// JoinZones writes zone numbers for messages: "1, 3".
func JoinZones(ids []int) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(id)
	}
	return strings.Join(s, ", ")
}

// MarshalJSON encodes "all" or the list.
func (z Zones) MarshalJSON() ([]byte, error) {
	if z.All {
		return []byte(`"all"`), nil
	}
	if z.List == nil {
		return []byte("[]"), nil
	}
	return json.Marshal(z.List)
}

// UnmarshalJSON accepts a list of integers, one integer, or "all" (any case).
func (z *Zones) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		if strings.EqualFold(strings.TrimSpace(s), "all") {
			*z = AllZones
			return nil
		}
		return fmt.Errorf(`zones: %q is not a zone list; want [1,3], 3 or "all"`, s)
	}
	var n int
	if json.Unmarshal(b, &n) == nil {
		*z = Zones{List: []int{n}}
		return nil
	}
	var list []int
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf(`zones: want [1,3], 3 or "all"`)
	}
	*z = Zones{List: list}
	return nil
}

// Check returns the zone numbers z names, in request order, given the zones an agent has. It
// refuses an empty list, numbers the agent does not have and numbers given twice, naming them.
func (z Zones) Check(have []int) ([]int, error) {
	if z.All {
		return slices.Clone(have), nil
	}
	if len(z.List) == 0 {
		return nil, Errorf(CodeBadRequest, `no zones given; want a list such as [1,3] or "all"`)
	}
	var unknown, dup []string
	seen := map[int]bool{}
	for _, n := range z.List {
		switch {
		case !slices.Contains(have, n):
			unknown = append(unknown, strconv.Itoa(n))
		case seen[n]:
			dup = append(dup, strconv.Itoa(n))
		}
		seen[n] = true
	}
	if len(unknown) > 0 {
		return nil, Errorf(CodeUnknownZone, "no zone %s (zones are %s)", some(unknown), ranges(have))
	}
	if len(dup) > 0 {
		return nil, Errorf(CodeDuplicateZone, "zone %s given twice", some(dup))
	}
	return slices.Clone(z.List), nil
}

// ranges writes sorted numbers compactly: 1-8, or 1-3, 5.
func ranges(ns []int) string {
	s := slices.Sorted(slices.Values(ns))
	var parts []string
	for i := 0; i < len(s); {
		j := i
		for j+1 < len(s) && s[j+1] == s[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", s[i], s[j]))
		} else {
			parts = append(parts, strconv.Itoa(s[i]))
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}

// MaxReply is the largest reply an agent sends, in bytes, under the 64 KiB packets every broker
// of the contract takes: an answer that would be larger is refused with CodeTooLarge, saying
// how to ask for less.
const MaxReply = 60 << 10

// MaxPlannedRuns is the most runs one reply of planned runs (next, program_preview) holds; a
// request whose span would hold more is refused with CodeTooLarge before it is computed.
const MaxPlannedRuns = 400

// Response is a reply on a response topic.
type Response struct {
	ID     string          `json:"id"`
	Status string          `json:"status"` // StatusOK or StatusError
	Data   json.RawMessage `json:"data,omitempty"`
	Error  string          `json:"error,omitempty"`
	Code   Code            `json:"code,omitempty"`
}

// Response statuses.
const (
	StatusOK    = "ok"
	StatusError = "error"
)

// OK returns a success reply to request id carrying data.
func OK(id string, data any) Response {
	b, err := json.Marshal(data)
	if err != nil {
		return Fail(id, Errorf(CodeInternal, "encoding the reply: %v", err))
	}
	return Response{ID: id, Status: StatusOK, Data: b}
}

// Fail returns an error reply to request id; its code is CodeOf(err).
func Fail(id string, err error) Response {
	return Response{ID: id, Status: StatusError, Error: err.Error(), Code: CodeOf(err)}
}

// Err returns the reply's error as an *Error, or nil for a success.
func (r Response) Err() error {
	if r.Status == StatusOK {
		return nil
	}
	return &Error{Code: r.Code, Msg: r.Error}
}

// Time is a timestamp on the wire: RFC 3339 in UTC with milliseconds.
type Time struct{ time.Time }

// MarshalJSON writes the time as "2006-01-02T15:04:05.000Z".
func (t Time) MarshalJSON() ([]byte, error) {
	return []byte(`"` + t.UTC().Format("2006-01-02T15:04:05.000Z07:00") + `"`), nil
}

// At returns t as a wire timestamp, or nil for the zero time.
func At(t time.Time) *Time {
	if t.IsZero() {
		return nil
	}
	return &Time{t}
}
