package status

import (
	"slices"
	"testing"
)

// TestAnnounce is the whole table: every state families may have been
// told (from) against every judged state (to).
func TestAnnounce(t *testing.T) {
	tests := []struct {
		from, to State
		want     Kind
	}{
		{Unknown, Unknown, ""},
		{Unknown, Up, ""}, // a fresh start of a healthy service
		{Unknown, Degraded, KindDegraded},
		{Unknown, Down, KindOutage}, // a fresh start during an outage
		{Up, Unknown, ""},
		{Up, Up, ""},
		{Up, Degraded, KindDegraded},
		{Up, Down, KindOutage},
		{Degraded, Unknown, ""},
		{Degraded, Up, KindRecovery},
		{Degraded, Degraded, ""},
		{Degraded, Down, KindOutage},
		{Down, Unknown, ""},
		{Down, Up, KindRecovery},
		{Down, Degraded, KindDegraded}, // the outage is over, slow but usable
		{Down, Down, ""},
	}
	for _, tt := range tests {
		if got := Announce(tt.from, tt.to); got != tt.want {
			t.Errorf("Announce(%s, %s) = %q, want %q", tt.from, tt.to, got, tt.want)
		}
	}
}

func TestKindIsService(t *testing.T) {
	var service []Kind
	for _, k := range AllKinds() {
		if k.IsService() {
			service = append(service, k)
		}
	}
	if want := []Kind{KindOutage, KindDegraded, KindRecovery}; !slices.Equal(service, want) {
		t.Errorf("service kinds %v, want %v", service, want)
	}
	if Kind("").IsService() || Kind("spam").IsService() {
		t.Error("an unknown kind is a service kind")
	}
	// Every kind Announce returns is a service kind.
	for _, from := range []State{Unknown, Up, Degraded, Down} {
		for _, to := range []State{Unknown, Up, Degraded, Down} {
			if k := Announce(from, to); k != "" && !k.IsService() {
				t.Errorf("Announce(%s, %s) = %q, not a service kind", from, to, k)
			}
		}
	}
}

func TestAllKindsIsACopy(t *testing.T) {
	AllKinds()[0] = "spam"
	if AllKinds()[0] != KindOutage {
		t.Error("AllKinds(): a caller's change leaked into the next call")
	}
}
