package status

import "testing"

// TestStoredValues pins the values the database and the JSON payloads
// hold: renaming one would need a migration.
func TestStoredValues(t *testing.T) {
	tests := []struct{ got, want string }{
		{string(Unknown), "unknown"}, {string(Up), "up"}, {string(Degraded), "degraded"}, {string(Down), "down"},
		{string(Maintenance), "maintenance"},
		{string(ReasonOK), "ok"}, {string(ReasonSlow), "slow"}, {string(ReasonHTTPStatus), "http_status"},
		{string(ReasonTimeout), "timeout"}, {string(ReasonConnection), "connection"}, {string(ReasonTLS), "tls"},
		{string(ReasonWaitingRoom), "waiting_room"}, {string(ReasonBlankPage), "blank_page"},
		{string(ReasonBodyMismatch), "body_mismatch"}, {string(ReasonRedirectLoop), "redirect_loop"},
		{string(KindOutage), "outage"}, {string(KindDegraded), "degraded"}, {string(KindRecovery), "recovery"},
		{string(KindClassNotice), "class_notice"}, {string(KindAnnouncement), "announcement"}, {string(KindReply), "reply"},
		{string(Primaire), "primaire"}, {string(College), "college"}, {string(Lycee), "lycee"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestReasonText(t *testing.T) {
	tests := []struct {
		reason Reason
		want   string
		ok     bool
	}{
		{ReasonWaitingRoom, "file d'attente (trop de connexions)", true},
		{ReasonTimeout, "ne répond pas", true},
		{ReasonHTTPStatus, "erreur du serveur", true},
		{ReasonConnection, "site inaccessible", true},
		{ReasonTLS, "site bloqué (certificat de sécurité)", true},
		{ReasonBlankPage, "page blanche", true},
		{ReasonBodyMismatch, "page anormale", true},
		{ReasonRedirectLoop, "la connexion tourne en boucle", true},
		{ReasonSlow, "lenteurs", true},
		{ReasonOK, "", true},
		{"", "", true},
		{"dns_hijack", "", false},
	}
	for _, tt := range tests {
		got, ok := tt.reason.Text()
		if got != tt.want || ok != tt.ok {
			t.Errorf("Reason(%q).Text() = %q, %v; want %q, %v", tt.reason, got, ok, tt.want, tt.ok)
		}
	}
}
