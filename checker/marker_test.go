package checker

import (
	"strings"
	"testing"

	"sentinelle/catalog"
	"sentinelle/status"
)

// markers2021 are the waiting-room markers of the 2021 catalog, fixed here
// so that these tests keep their meaning whatever the embedded catalog
// lists.
var markers2021 = []string{
	"patienter pour y accéder à votre tour", "nombre d'utilisateurs maximum est atteint", "logique de quota",
	"quota de connexion atteint", "très grand nombre de connexions", "temporairement restreint",
	"momentanément indisponible", "attendre votre tour", "l'application a rencontré une erreur",
	"service indisponible", "salle d'attente virtuelle",
}

// healthyPortal is a long login page, as portals serve them: a menu, news,
// a form and a footer, well over shortPageText of visible text.
func healthyPortal(title, footer string) string {
	news := strings.Repeat(`<article><h2>Actualité de l'établissement</h2><p>Les conseils de classe du deuxième trimestre
se tiendront du 8 au 19 mars. Les parents d'élèves sont invités à consulter le cahier de textes et les notes de leurs
enfants dans leur espace.</p></article>`, 12)
	return `<!doctype html><html><head><title>` + title + `</title><style>.footer{color:#666}</style></head><body>
<nav><a href="/">Accueil</a> <a href="/aide">Aide</a></nav>` + news + `
<form method="post" action="/auth/login"><label>Identifiant</label><input name="email">
<label>Mot de passe</label><input type="password" name="password"><button>Se connecter</button></form>
<footer>` + footer + `</footer></body></html>`
}

func TestWaitingRoomMarkerOnlyInVisibleText(t *testing.T) {
	cat := testCatalogMarkers(t, markers2021)
	notice := "Service indisponible le samedi 12 de 8 h à 10 h pour maintenance"
	short := func(body string) string {
		return "<html><head><title>Mon ENT</title></head><body>" + body + "</body></html>"
	}
	tests := []struct {
		name, body string
		want       status.Reason
	}{
		{"hidden attribute in the footer", healthyPortal("Connexion", `<div hidden>`+notice+`</div>`), status.ReasonOK},
		{"display none", healthyPortal("Connexion", `<p style="color: red; DISPLAY : none">`+notice+`</p>`), status.ReasonOK},
		{"visibility hidden", healthyPortal("Connexion", `<span style="visibility:hidden">`+notice+`</span>`), status.ReasonOK},
		{"aria-hidden", healthyPortal("Connexion", `<div aria-hidden="true"><p>`+notice+`</p></div>`), status.ReasonOK},
		{"nested in a hidden element", healthyPortal("Connexion", `<div hidden><div><div>x</div><p>`+notice+`</p></div></div>`), status.ReasonOK},
		{"script", healthyPortal("Connexion", `<script>var m = "`+notice+`";</script>`), status.ReasonOK},
		{"comment", healthyPortal("Connexion", `<!-- `+notice+` -->`), status.ReasonOK},
		{"style", healthyPortal("Connexion", `<style>/* `+notice+` */</style>`), status.ReasonOK},
		{"long page, visible footer", healthyPortal("Connexion", `<p>`+notice+`</p>`), status.ReasonOK},
		{"long page, momentanément indisponible in the footer", healthyPortal("Connexion", "<p>Accès momentanément indisponible aux bulletins</p>"), status.ReasonOK},
		{"short page", short("<h1>" + notice + "</h1>"), status.ReasonWaitingRoom},
		{"short page with the marker split by tags", short("<h1>Service <b>indisponible</b></h1>"), status.ReasonWaitingRoom},
		{"title of a long page", healthyPortal("Service indisponible", ""), status.ReasonWaitingRoom},
		{"a specific marker in the footer of a long page", healthyPortal("Connexion", "<p>Logique de quota en vigueur</p>"), status.ReasonWaitingRoom},
		{"hidden element closed before the marker", short(`<div hidden><p>menu</p></div><h1>Service indisponible</h1>`), status.ReasonWaitingRoom},
		{"hidden void element", short(`<input type=hidden hidden><h1>Service indisponible</h1>`), status.ReasonWaitingRoom},
		{"hidden paragraph ended by a block", short(`<p hidden>menu<div>Service indisponible</div>`), status.ReasonWaitingRoom},
		{"hidden list item ended by the next", short(`<ul><li hidden>menu<li>Service indisponible</ul>`), status.ReasonWaitingRoom},
		{"hidden until found", short(`<div hidden="until-found">Service indisponible</div>`), status.ReasonWaitingRoom},
		{"aria-hidden false", short(`<div aria-hidden="false">Service indisponible</div>`), status.ReasonWaitingRoom},
		{"MonLycée quota page", "<html><body><div class=msg>" + monlyceeQuota + "</div></body></html>", status.ReasonWaitingRoom},
		{"MonLycée quota page inside a long portal", healthyPortal("ENT", "<div class=msg>"+monlyceeQuota+"</div>"), status.ReasonWaitingRoom},
		{"Grand Est", "<p>" + grandEstRestricted + "</p>", status.ReasonWaitingRoom},
		{"Occitanie", "<h1>" + occitanieDown + "</h1>", status.ReasonWaitingRoom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Fetch{HTTPStatus: 200, ContentType: "text/html; charset=utf-8", Body: []byte(tt.body)}
			got := Judge(cat, catalog.Service{ID: "ent", URL: "https://ent.example"}, f)
			if got.Reason != tt.want {
				t.Fatalf("got %s/%s (marker %q), want %s", got.State, got.Reason, got.Marker, tt.want)
			}
		})
	}
}

// judgeMarker judges a 200 HTML page of body against cat's markers and
// returns the marker found, checking that a marker means waiting_room.
func judgeMarker(t *testing.T, cat *catalog.Catalog, body string) string {
	t.Helper()
	f := Fetch{HTTPStatus: 200, ContentType: "text/html; charset=utf-8", Body: []byte(body)}
	got := Judge(cat, catalog.Service{ID: "ent", URL: "https://ent.example"}, f)
	if (got.Marker != "") != (got.Reason == status.ReasonWaitingRoom) {
		t.Errorf("marker %q with reason %s", got.Marker, got.Reason)
	}
	return got.Marker
}

// TestWaitingRoomMarkerText: markers of the default catalog match as whole
// words whatever the markup, entities, case and apostrophes between them,
// and are returned as written in the catalog (moved from catalog, whose
// own matcher the checker's replaced).
func TestWaitingRoomMarkerText(t *testing.T) {
	cat := testCatalog(t)
	tests := []struct{ name, body, want string }{
		{"plain", "Il vous faut patienter pour y accéder à votre tour.", "patienter pour y accéder à votre tour"},
		{"markup between words", "<p>Accès <strong>momentanément</strong><br/>indisponible</p>", "momentanément indisponible"},
		{"html entities", "L&#39;application a rencontr&eacute; une erreur", "l'application a rencontré une erreur"},
		{"case and curly apostrophe", "LE NOMBRE D’UTILISATEURS MAXIMUM EST ATTEINT", "nombre d'utilisateurs maximum est atteint"},
		{"whole words only", "service indisponibles", ""},
		{"healthy", "<form><input name=login><button>Se connecter</button></form>", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := judgeMarker(t, cat, tt.body); got != tt.want {
				t.Errorf("marker of %q: got %q, want %q", tt.body, got, tt.want)
			}
		})
	}
}

// TestDefaultMarkersCatch2021: the embedded catalog's markers catch the
// texts seen in 2021 and 2020 (education-data.md §4a), and a healthy login
// page is not taken for a waiting room.
func TestDefaultMarkersCatch2021(t *testing.T) {
	cat := testCatalog(t)
	saturated := map[string]string{
		"idf quota":  "Pour permettre à chacun d'accéder à son réseau éducatif dans de bonnes conditions, nous avons limité le temps des sessions et instauré une logique de quota. Quand le nombre d’utilisateurs maximum est atteint, il vous faut patienter pour y accéder à votre tour.",
		"grand est":  "En raison d'un très grand nombre de connexions, l'accès à l'ENT est temporairement restreint",
		"occitanie":  "<h1>Accès momentanément indisponible</h1>",
		"somme 2020": "L'application a rencontré une erreur, si ça se reproduit veuillez contacter le support",
		"503":        "<title>503 Service Indisponible</title>",
	}
	for name, body := range saturated {
		if judgeMarker(t, cat, body) == "" {
			t.Errorf("%s: no marker matched %q", name, body)
		}
	}
	healthy := `<html><head><title>Connexion - MonLycée.net</title></head><body>
<h1>Bienvenue sur votre ENT</h1><form action="/auth/login" method="post">
<label>Identifiant</label><input name="email"><label>Mot de passe</label>
<input type="password" name="password"><a href="/auth/forgot">Mot de passe oublié ?</a>
<button>Se connecter</button></form><p>Vous êtes élève ou parent ? Connectez-vous avec EduConnect.</p>
<p>Ce service est proposé par la Région. Accès réservé aux utilisateurs autorisés. Votre tour de France des lycées.</p></body></html>`
	if m := judgeMarker(t, cat, healthy); m != "" {
		t.Errorf("healthy login page: matched marker %q, want none", m)
	}
}

// TestNoMarkers: a catalog without markers finds none.
func TestNoMarkers(t *testing.T) {
	if m := judgeMarker(t, testCatalogMarkers(t, nil), "patienter pour y accéder à votre tour"); m != "" {
		t.Errorf("matched %q with no markers", m)
	}
}
