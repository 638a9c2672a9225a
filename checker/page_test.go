package checker

import (
	"strings"
	"testing"
)

func TestReadPageBlank(t *testing.T) {
	tests := []struct {
		name, ct, body string
		want           bool
	}{
		{"empty", "text/html", "", true},
		{"white page with a title", "text/html", "<html><head><title>Mon ENT Occitanie – accueil</title></head><body></body></html>", true},
		{"a stray word", "text/html", "<body><p>Chargement</p></body>", true},
		{"comments and styles only", "text/html", "<style>body{color:red}</style><!-- rien à voir ici, vraiment rien --><body> </body>", true},
		{"a sentence", "text/html", "<p>Bienvenue sur votre espace</p>", false},
		{"a login form", "text/html", "<form><input name=u></form>", false},
		{"an image", "text/html", "<body><IMG SRC=logo.png></body>", false},
		{"an app shell", "text/html", `<div id="root"></div><script src="/main.js"></script>`, false},
		{"a refresh redirect", "text/html", `<meta http-equiv="Refresh" content="0; url=/cas/login">`, false},
		{"plain text", "text/plain", "OK", true},
		{"JSON document", "application/json", `{"issuer":"https://sso.monbureaunumerique.fr"}`, false},
		{"markup sniffed without content type", "", "<html><body></body></html>", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := readPage(tt.body, tt.ct)
			if got := p.blank(); got != tt.want {
				t.Fatalf("blank() = %v, want %v (visible %q, meaningful %v)", got, tt.want, p.visible, p.meaningful)
			}
		})
	}
}

func TestReadPageTextLeavesScriptsOut(t *testing.T) {
	p := readPage(`<p>Avant</p><SCRIPT>var s = "</p> secret";</SCRIPT ><p>Après</p><style>.x{}</style>`, "text/html")
	if strings.Contains(p.text, "secret") || !strings.Contains(p.text, "Avant") || !strings.Contains(p.text, "Après") {
		t.Fatalf("text %q: want the paragraphs without the script", p.text)
	}
}

func TestPageContains(t *testing.T) {
	raw := `<p>Bienvenue sur <b>Mon&nbsp;Bureau</b> Numérique</p><input id="login">`
	p := readPage(raw, "text/html")
	for _, want := range []string{"mon bureau numerique", "MON BUREAU NUMÉRIQUE", `id="LOGIN"`, ""} {
		if !p.contains(raw, want) {
			t.Errorf("contains(%q) = false", want)
		}
	}
	for _, absent := range []string{"EduConnect", "bureaux"} {
		if p.contains(raw, absent) {
			t.Errorf("contains(%q) = true", absent)
		}
	}
}

func FuzzReadPage(f *testing.F) {
	for _, s := range []string{loginPage, "<", "<!--", "<script", "<script>x</scr", "<title>a", "<a\n>b</a >", "\xff\xfe<p>é</p>",
		`<div hidden>a<div>b</div>c</div>d`, `<p style="display:none">a<div>b`, `<li aria-hidden=true>a<li>b`, `<x a="b`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		p := readPage(decodeBody([]byte(body)), "text/html")
		if len(p.text) > len(body)*2+8 {
			t.Fatalf("text of %d bytes from a body of %d", len(p.text), len(body))
		}
		if len(p.shown) > len(p.visible) {
			t.Fatalf("shown text %q longer than the visible text %q", p.shown, p.visible)
		}
		_ = p.blank()
	})
}
