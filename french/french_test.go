package french

import (
	"strings"
	"testing"
	"time"
)

// n makes the expectations readable: "_" is U+00A0, "^" U+202F.
func n(s string) string {
	return strings.NewReplacer("_", NBSP, "^", NNBSP).Replace(s)
}

// formatCase is an input of a formatting function and the text it must
// give, written with n's marks.
type formatCase[T any] struct {
	name string
	in   T
	want string
}

// testFormat runs a formatting function over the cases.
func testFormat[T any](t *testing.T, name string, format func(T) string, tests []formatCase[T]) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := format(tt.in); got != n(tt.want) {
				t.Errorf("%s(%v) = %q, want %q", name, tt.in, got, n(tt.want))
			}
		})
	}
}

func TestTime(t *testing.T) {
	at := func(h, m int) time.Time { return time.Date(2021, 4, 6, h, m, 30, 0, time.UTC) }
	testFormat(t, "Time", Time, []formatCase[time.Time]{
		{"morning", at(7, 32), "7_h_32"},
		{"minutes under ten", at(10, 2), "10_h_02"},
		{"on the hour", at(10, 0), "10_h"},
		{"midnight", at(0, 5), "0_h_05"},
		{"evening", at(23, 59), "23_h_59"},
	})
}

func TestDate(t *testing.T) {
	tests := []struct {
		name string
		day  time.Time
		want string
		full string
	}{
		{"the 6 April", time.Date(2021, 4, 6, 7, 0, 0, 0, time.UTC), "mardi 6_avril", "mardi 6_avril 2021"},
		{"a first", time.Date(2021, 3, 1, 0, 0, 0, 0, time.UTC), "lundi 1er_mars", "lundi 1er_mars 2021"},
		{"a sunday in august", time.Date(2021, 8, 15, 0, 0, 0, 0, time.UTC), "dimanche 15_août", "dimanche 15_août 2021"},
		{"december", time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC), "mercredi 31_décembre", "mercredi 31_décembre 2025"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Date(tt.day); got != n(tt.want) {
				t.Errorf("Date = %q, want %q", got, n(tt.want))
			}
			if got := FullDate(tt.day); got != n(tt.full) {
				t.Errorf("FullDate = %q, want %q", got, n(tt.full))
			}
		})
	}
}

func TestDuration(t *testing.T) {
	testFormat(t, "Duration", Duration, []formatCase[time.Duration]{
		{"seconds", 20 * time.Second, "moins d'une minute"},
		{"rounded up to a minute", 50 * time.Second, "1_min"},
		{"minutes", 45 * time.Minute, "45_min"},
		{"hours", 2 * time.Hour, "2_h"},
		{"hours and a few minutes", 2*time.Hour + 5*time.Minute, "2_h_05"},
		{"hours and minutes", 2*time.Hour + 30*time.Minute, "2_h_30"},
		{"rounded minutes", 2*time.Hour + 29*time.Minute + 40*time.Second, "2_h_30"},
		{"one day", 24 * time.Hour, "1_jour"},
		{"days", 72*time.Hour + 10*time.Minute, "3_jours"},
		{"a day and hours", 28 * time.Hour, "1_jour 4_h"},
	})
}

func TestNumber(t *testing.T) {
	testFormat(t, "Number", Number, []formatCase[int]{
		{"zero", 0, "0"},
		{"hundreds", 999, "999"},
		{"thousands", 3612, "3^612"},
		{"tens of thousands", 40000, "40^000"},
		{"millions", 1234567, "1^234^567"},
		{"negative", -1200, "-1^200"},
	})
}

func TestTypeset(t *testing.T) {
	tests := []struct {
		name, in, want string
		html           bool
	}{
		{"colon", "Académie : Versailles", "Académie_: Versailles", false},
		{"question and exclamation", "Tout effacer ? Oui !", "Tout effacer_? Oui_!", false},
		{"semicolon", "fermée ; effacée", "fermée_; effacée", false},
		{"guillemets", "« Continuer »", "«_Continuer_»", false},
		{"no space, nothing added", "10:00, https://x.fr/?a=1 Bonjour!", "10:00, https://x.fr/?a=1 Bonjour!", false},
		{"already typeset", "Rôle_: parent", "Rôle_: parent", false},
		{"tags kept", `<b>Panne :</b> <a href="https://x.fr/a?b=c : d">x</a> : ok`, `<b>Panne_:</b> <a href="https://x.fr/a?b=c : d">x</a>_: ok`, true},
		{"unclosed tag", "a <b : c", "a <b : c", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Typeset
			if tt.html {
				f = TypesetHTML
			}
			if got := f(n(tt.in)); got != n(tt.want) {
				t.Errorf("got %q, want %q", got, n(tt.want))
			}
		})
	}
}

func TestLint(t *testing.T) {
	tests := []struct {
		name string
		in   string
		bad  int
	}{
		{"typeset", "Académie_: Versailles. Tout effacer_? Oui_! «_Continuer_» ; ", 1},
		{"narrow spaces accepted", "a^: b^; c^? d^! «^e^»", 0},
		{"plain colon", "Académie : Versailles", 1},
		{"glued colon", "Académie: Versailles", 1},
		{"question and exclamation", "Vraiment ? Oui !", 2},
		{"guillemets", "« Continuer »", 2},
		{"time and url", "Depuis 10:00, voir https://x.fr/a?b=1 ou t.me/bot?start=c", 0},
		{"tags and entities", `<a href="https://x.fr:8080/">l&#39;ENT</a> &amp; <b>x</b>_: y`, 0},
		{"doubled mark", "Quoi_?!", 0},
		{"colon after a tag", "<b>Vos alertes</b>_: appuyez", 0},
		{"colon after a tag without space", "<b>Vos alertes</b>: appuyez", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Lint(n(tt.in))
			if len(got) != tt.bad {
				t.Errorf("Lint(%q) = %q, want %d problems", n(tt.in), got, tt.bad)
			}
		})
	}
}

func TestTypesetPassesLint(t *testing.T) {
	for _, s := range []string{
		"🔴 <b>Panne : ENC 92</b>\nDepuis 7 h 32 : page d'attente ; « x » ! ?",
		"<a href=\"https://a.fr/?q=1\">page d'état</a> : ok",
	} {
		if got := Lint(TypesetHTML(s)); len(got) != 0 {
			t.Errorf("Lint(TypesetHTML(%q)) = %q", s, got)
		}
	}
}
