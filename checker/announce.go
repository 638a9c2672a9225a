package checker

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"sentinelle/storage"
)

// stateEventKind is the kind of the event that tells families about a
// change from the state they were last told (from) to the judged one (to),
// or "" when there is nothing to tell:
//
//	to down                    outage (also from unknown: a fresh start during an outage announces it)
//	to degraded                degraded (also from down: the outage is over, the ENT is slow but usable)
//	to up from down/degraded   recovery
//	to up from unknown         nothing (a fresh start of a healthy service)
func stateEventKind(from, to string) string {
	switch {
	case from == to:
		return ""
	case to == storage.StateDown:
		return storage.KindOutage
	case to == storage.StateDegraded:
		return storage.KindDegraded
	case to == storage.StateUp && (from == storage.StateDown || from == storage.StateDegraded):
		return storage.KindRecovery
	}
	return ""
}

// statePayload is the JSON payload of a state event, what a message needs
// beyond the event's columns. DownSinceMS is set when the event ends a bad
// state (a recovery, or down→degraded): when the state being left began,
// so that the message can say how long it lasted. IncidentID is the outage's
// incident: the one just opened for an outage, the one just closed when
// leaving down, 0 otherwise.
type statePayload struct {
	SinceMS     int64 `json:"since_ms"`
	IncidentID  int64 `json:"incident_id"`
	DownSinceMS int64 `json:"down_since_ms,omitempty"`
	HTTPStatus  int   `json:"http_status"`
	LatencyMS   int64 `json:"latency_ms"`
}

// announce writes the event telling families that next.State replaced
// next.AnnouncedState, and returns its id, or 0 when there is nothing to
// tell. Its audience (AudienceService) lets the delivery side reach the
// subscribers of every académie relying on the service; its dedup key
// 'state:<service>:<to>:<at ms>' makes a retried round harmless.
func announce(ctx context.Context, tx *storage.Tx, next storage.ServiceState, r storage.CheckResult, at time.Time) (int64, string, error) {
	from, to := next.AnnouncedState, next.State
	kind := stateEventKind(from, to)
	if kind == "" {
		return 0, "", nil
	}
	p := statePayload{SinceMS: ms(next.Since), HTTPStatus: r.HTTPStatus, LatencyMS: r.Latency.Milliseconds()}
	var err error
	switch {
	case to == storage.StateDown:
		p.IncidentID, err = tx.OpenIncidentID(ctx, next.ServiceID)
	case from == storage.StateDown:
		p.DownSinceMS = ms(next.AnnouncedSince)
		p.IncidentID, err = tx.LatestIncidentID(ctx, next.ServiceID)
	case kind == "recovery":
		p.DownSinceMS = ms(next.AnnouncedSince)
	}
	if err != nil {
		return 0, "", err
	}
	payload, err := json.Marshal(p)
	if err != nil {
		return 0, "", fmt.Errorf("checker: state event payload: %w", err)
	}
	id, _, err := tx.InsertEvent(ctx, storage.NewEvent{
		DedupKey: fmt.Sprintf("state:%s:%s:%d", next.ServiceID, to, ms(at)),
		Kind:     kind, Priority: storage.PriorityBulk, ServiceID: next.ServiceID, FromState: from, ToState: to,
		Reason: next.Reason, Audience: storage.AudienceService(next.ServiceID), Payload: string(payload), At: at,
	})
	if err != nil {
		return 0, "", err
	}
	return id, kind, nil
}

// ms is a time as storage keeps it, in milliseconds since the epoch; the
// zero time is 0.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}
