package checker

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"sentinelle/status"
	"sentinelle/storage"
)

// announce writes the event telling families that next.State replaced
// next.AnnouncedState, and returns its id, or 0 when there is nothing to
// tell (status.Announce decides what is told). Its payload is a
// status.StatePayload; its audience (status.AudienceService) lets the
// delivery side reach the subscribers of every académie relying on the
// service; its dedup key 'state:<service>:<to>:<at ms>' makes a retried
// round harmless.
func announce(ctx context.Context, tx *storage.Tx, next storage.ServiceState, r storage.CheckResult, at time.Time) (int64, status.Kind, error) {
	from, to := next.AnnouncedState, next.State
	kind := status.Announce(from, to)
	if kind == "" {
		return 0, "", nil
	}
	p := status.StatePayload{SinceMS: ms(next.Since), HTTPStatus: r.HTTPStatus, LatencyMS: r.Latency.Milliseconds()}
	var err error
	switch {
	case to == status.Down:
		p.IncidentID, err = tx.OpenIncidentID(ctx, next.ServiceID)
	case from == status.Down:
		p.DownSinceMS = ms(next.AnnouncedSince)
		p.IncidentID, err = tx.LatestIncidentID(ctx, next.ServiceID)
	case kind == status.KindRecovery:
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
		Reason: next.Reason, Audience: status.AudienceService(next.ServiceID), Payload: string(payload), At: at,
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
