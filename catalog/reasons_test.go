package catalog

import "testing"

func TestReasonText(t *testing.T) {
	tests := []struct {
		reason, want string
		ok           bool
	}{
		{"waiting_room", "file d'attente (trop de connexions)", true},
		{"timeout", "ne répond pas", true},
		{"http_status", "erreur du serveur", true},
		{"connection", "site inaccessible", true},
		{"tls", "site bloqué (certificat de sécurité)", true},
		{"blank_page", "page blanche", true},
		{"body_mismatch", "page anormale", true},
		{"redirect_loop", "la connexion tourne en boucle", true},
		{"slow", "lenteurs", true},
		{"ok", "", true},
		{"", "", true},
		{"dns_hijack", "", false},
	}
	for _, tt := range tests {
		got, ok := ReasonText(tt.reason)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ReasonText(%q) = %q, %v; want %q, %v", tt.reason, got, ok, tt.want, tt.ok)
		}
	}
}
