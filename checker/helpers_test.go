package checker

import (
	"net"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"

	"sentinelle/catalog"
	"sentinelle/status"
)

// The texts families saw on 6 April 2021 (education-data.md §4a).
const (
	monlyceeQuota = `À situation exceptionnelle, mesures exceptionnelles... Pour permettre à chacun d'accéder à son
réseau éducatif dans de bonnes conditions, nous avons limité le temps des sessions et instauré une logique de quota.
Quand le nombre d'utilisateurs maximum est atteint, il vous faut patienter pour y accéder à votre tour. Désolé pour
cette contrainte. Revenez et essayez à nouveau d'ici quelques minutes. Merci de votre compréhension`
	grandEstRestricted = `en raison d'un très grand nombre de connexions, l'accès à l'ENT est temporairement restreint`
	occitanieDown      = `Accès momentanément indisponible`
	loginPage          = `<!doctype html><html><head><title>Connexion</title></head><body>
<h1>MonLycée.net</h1><form method="post" action="/auth/login"><label>Identifiant</label><input name="email">
<label>Mot de passe</label><input type="password" name="password"><button>Se connecter</button></form></body></html>`
)

// testCatalog builds a catalog with the default waiting-room markers, the
// given services, and one académie (Créteil) listing the non-national ones.
func testCatalog(tb testing.TB, services ...catalog.Service) *catalog.Catalog {
	tb.Helper()
	def, err := catalog.Default()
	if err != nil {
		tb.Fatal(err)
	}
	return testCatalogMarkers(tb, def.WaitingRoomMarkers, services...)
}

// testCatalogMarkers is testCatalog with the given waiting-room markers.
func testCatalogMarkers(tb testing.TB, markers []string, services ...catalog.Service) *catalog.Catalog {
	tb.Helper()
	ac := catalog.Academy{Slug: "creteil", Code: "24", Name: "Créteil", Region: "Île-de-France", Services: []string{}}
	for i := range services {
		if len(services[i].Levels) == 0 {
			services[i].Levels = []status.Level{status.Lycee}
		}
		if services[i].Name == "" {
			services[i].Name = services[i].ID
		}
		if !services[i].National {
			ac.Services = append(ac.Services, services[i].ID)
		}
	}
	src := &catalog.Catalog{WaitingRoomMarkers: markers, Services: services, Academies: []catalog.Academy{ac}}
	data, err := yaml.Marshal(src)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := catalog.Parse(data)
	if err != nil {
		tb.Fatalf("test catalog: %v\n%s", err, data)
	}
	return c
}

// hangingListener accepts connections and never answers: a portal so
// saturated that it accepts the TCP connection and then nothing. It
// returns the base URL.
func hangingListener(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	tb.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + ln.Addr().String()
}

// refusedURL returns the URL of a port nobody listens on.
func refusedURL(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}
