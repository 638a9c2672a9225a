package status

import (
	"encoding/json"
	"testing"
)

func TestAudienceRoundTrip(t *testing.T) {
	tests := []struct {
		a      Audience
		stored string
		scope  Scope
		name   string
		id     int64
	}{
		{AudienceAll(), "all", ScopeAll, "", 0},
		{AudienceService("monlycee"), "service:monlycee", ScopeService, "monlycee", 0},
		{AudienceService("canary:https://x"), "service:canary:https://x", ScopeService, "canary:https://x", 0},
		{AudienceAcademie("versailles"), "academie:versailles", ScopeAcademie, "versailles", 0},
		{AudienceClass(42), "class:42", ScopeClass, "", 42},
		{AudienceChat(-1001234567890), "chat:-1001234567890", ScopeChat, "", -1001234567890},
	}
	for _, tt := range tests {
		t.Run(tt.stored, func(t *testing.T) {
			if got := tt.a.String(); got != tt.stored {
				t.Fatalf("String() = %q, want %q", got, tt.stored)
			}
			back, err := ParseAudience(tt.a.String())
			if err != nil {
				t.Fatalf("ParseAudience(%q): %v", tt.stored, err)
			}
			if back != tt.a {
				t.Errorf("ParseAudience(%q) = %#v, want %#v", tt.stored, back, tt.a)
			}
			if back.Scope() != tt.scope || back.Name() != tt.name || back.ID() != tt.id || back.IsZero() {
				t.Errorf("%q: scope %q name %q id %d zero %v; want %q %q %d false",
					tt.stored, back.Scope(), back.Name(), back.ID(), back.IsZero(), tt.scope, tt.name, tt.id)
			}
			b, err := json.Marshal(struct{ A Audience }{back})
			if err != nil || string(b) != `{"A":"`+tt.stored+`"}` {
				t.Errorf("json: %s, %v; want the stored form", b, err)
			}
			var dec struct{ A Audience }
			if err := json.Unmarshal(b, &dec); err != nil || dec.A != tt.a {
				t.Errorf("json back: %#v, %v", dec.A, err)
			}
		})
	}
}

func TestParseAudienceRejects(t *testing.T) {
	for _, s := range []string{
		"", "class:", "class:x", "class:0", "class:1.5", "chat:", "chat:abc", "chat:0",
		"foo:1", "service:", "academie:", "all:x", "All", "service", "class", ":1", " all",
	} {
		if a, err := ParseAudience(s); err == nil {
			t.Errorf("ParseAudience(%q) = %#v, want an error", s, a)
		}
	}
}

func TestZeroAudience(t *testing.T) {
	var a Audience
	if !a.IsZero() || a.String() != "" || a.Scope() != "" {
		t.Errorf("zero audience: zero %v, string %q, scope %q", a.IsZero(), a.String(), a.Scope())
	}
	if AudienceAll().IsZero() {
		t.Error("AudienceAll() is zero")
	}
}
