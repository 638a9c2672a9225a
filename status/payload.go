package status

import (
	"encoding/json"
	"fmt"
	"time"
)

// StatePayload is the JSON payload of a state event (outage, degraded,
// recovery), what a message needs beyond the event's columns. The checker's
// side (storage) writes it, the bot reads it; times are Unix milliseconds.
//
// SinceMS is when the new state began. DownSinceMS is set when the event
// ends a bad state (a recovery, or down→degraded): when the state being
// left began, so that the message can say how long it lasted. IncidentID
// is the outage's incident: the one just opened for an outage, the one
// just closed when leaving down, 0 otherwise. HTTPStatus and LatencyMS are
// those of the probe that confirmed the change.
type StatePayload struct {
	SinceMS     int64 `json:"since_ms"`
	IncidentID  int64 `json:"incident_id"`
	DownSinceMS int64 `json:"down_since_ms,omitempty"`
	HTTPStatus  int   `json:"http_status"`
	LatencyMS   int64 `json:"latency_ms"`
}

// ParseStatePayload decodes the payload of a state event. On an error it
// still returns what encoding/json could read, so that a garbled payload
// only loses the fields it garbled.
func ParseStatePayload(s string) (StatePayload, error) {
	var p StatePayload
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return p, fmt.Errorf("status: state payload: %w", err)
	}
	return p, nil
}

// Since is when the new state began, the zero time when unknown.
func (p StatePayload) Since() time.Time { return msTime(p.SinceMS) }

// DownSince is when the bad state the event ends began, the zero time when
// it ends none.
func (p StatePayload) DownSince() time.Time { return msTime(p.DownSinceMS) }

func msTime(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}
