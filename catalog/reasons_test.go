package catalog

import "testing"

func TestReasonText(t *testing.T) {
	tests := []struct {
		reason, want string
		ok           bool
	}{
		{"waiting_room", "page d'attente", true},
		{"timeout", "ne répond pas", true},
		{"http_status", "erreur du serveur", true},
		{"connection", "injoignable", true},
		{"tls", "problème de certificat", true},
		{"blank_page", "page blanche", true},
		{"body_mismatch", "page inattendue", true},
		{"redirect_loop", "boucle de redirection", true},
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
