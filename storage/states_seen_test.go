package storage

import (
	"context"
	"testing"
)

// Migration 005 marks as seen (at a URL not recorded) a service that was
// judged or told about before it, and leaves a never-judged one alone.
func TestMigration005KeepsKnownServicesVerified(t *testing.T) {
	s := openAt(t, dbAtVersion(t, 4,
		`INSERT INTO service_states (service_id, state, since) VALUES ('down', 'down', 0), ('fresh', 'unknown', 0)`,
		`INSERT INTO service_states (service_id, state, since, last_state, last_reason) VALUES ('quota', 'unknown', 0, 'down', 'waiting_room')`))
	for id, want := range map[string]string{"down": SeenURLUnrecorded, "quota": SeenURLUnrecorded, "fresh": ""} {
		st, err := serviceState(context.Background(), s, id)
		if err != nil || st.SeenURL != want || st.Unverified {
			t.Errorf("%s: %+v, %v; want seen %q", id, st, err, want)
		}
	}
}
