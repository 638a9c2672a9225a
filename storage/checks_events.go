package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"sentinelle/status"
)

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
func (s *Store) announce(ctx context.Context, tx *sql.Tx, next ServiceState, r CheckResult, at time.Time) (int64, status.Kind, error) {
	from, to := next.AnnouncedState, next.State
	kind := status.Announce(from, to)
	if kind == "" {
		return 0, "", nil
	}
	p := statePayload{SinceMS: ms(next.Since), HTTPStatus: r.HTTPStatus, LatencyMS: r.Latency.Milliseconds()}
	var err error
	switch {
	case to == status.Down:
		p.IncidentID, err = openIncidentID(ctx, tx, next.ServiceID)
	case from == status.Down:
		p.DownSinceMS = ms(next.AnnouncedSince)
		p.IncidentID, err = latestIncidentID(ctx, tx, next.ServiceID)
	case kind == status.KindRecovery:
		p.DownSinceMS = ms(next.AnnouncedSince)
	}
	if err != nil {
		return 0, "", err
	}
	payload, err := json.Marshal(p)
	if err != nil {
		return 0, "", fmt.Errorf("storage: state event payload: %w", err)
	}
	id, _, err := insertEvent(ctx, tx, NewEvent{
		DedupKey: fmt.Sprintf("state:%s:%s:%d", next.ServiceID, to, ms(at)),
		Kind:     kind, Priority: PriorityBulk, ServiceID: next.ServiceID, FromState: from, ToState: to,
		Reason: next.Reason, Audience: status.AudienceService(next.ServiceID), Payload: string(payload), At: at,
	}, s.nowMS())
	if err != nil {
		return 0, "", err
	}
	return id, kind, nil
}
