package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"sentinelle/catalog"
	"sentinelle/status"
	"sentinelle/telegram/telegramtest"
)

// failures6April are the portals that failed on the morning of 6 April
// 2021, by région, with the way each one fails in the scenario: the quota
// page served with HTTP 200, « temporairement restreint », « Accès
// momentanément indisponible », a white page, 503, or no answer at all.
// The CNED answers 502; Lumni and EduConnect stay up.
var failures6April = map[string]string{
	// Île-de-France
	"monlycee": "quota", "pcn": "quota", "ent77": "hang", "webcollege93": "503", "ent94": "quota",
	"ecollege78": "quota", "moncollege91": "503", "enc92": "quota", "moncollege95": "hang",
	// Hauts-de-France
	"enthdf": "restreint", "savoirsnumeriques62": "503", "entsomme": "hang",
	// Occitanie
	"mon-ent-occitanie": "momentanement", "ecollege31": "hang",
	// Normandie
	"educdenormandie": "quota", "nero": "503", "itslearning-caen": "blank", "arsene76": "hang", "ent27": "503",
	// Centre-Val de Loire
	"netocentre": "quota",
	// Grand Est
	"monbureaunumerique": "restreint", "ariane57": "503", "panda88": "blank", "ent-ecoles-reims": "hang",
	// Pays de la Loire
	"elyco": "blank", "eprimo": "503",
	// CNED
	"cned-ecole": "502", "cned-college": "502", "cned-lycee": "502",
}

// flapping is the ENT outside those régions that alternates between a
// healthy page and 503 on every probe, so that no two rounds in a row see
// it fail and DOWN_AFTER=2 never declares it down. A probe made by a round
// that SIGKILL interrupts is never recorded: resyncFlap realigns the
// alternation on the last recorded result.
const flapping = "toutatice"

// portals is one local server standing for every service of the catalog:
// /<service-id> answers as that service's mode says.
type portals struct {
	srv   *httptest.Server
	mu    sync.Mutex
	modes map[string]string
	flaps atomic.Int64
}

func newPortals(t *testing.T) *portals {
	p := &portals{modes: map[string]string{}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

// set changes the answer of some services ("ok" for the others unless set).
func (p *portals) set(modes map[string]string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.modes = modes
}

func (p *portals) serve(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/")
	p.mu.Lock()
	mode := p.modes[id]
	p.mu.Unlock()
	if id == flapping && p.flaps.Add(1)%2 == 0 {
		mode = "503"
	}
	page := func(body string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<!doctype html><html><head><title>ENT</title></head><body>"+body+"</body></html>")
	}
	switch mode {
	case "quota":
		page(`<p>À situation exceptionnelle, mesures exceptionnelles... Quand le nombre d'utilisateurs maximum est atteint, il vous faut patienter pour y accéder à votre tour.</p>`)
	case "restreint":
		page(`<h1>Information</h1><p>En raison d'un très fort trafic, l'accès à l'ENT est temporairement restreint.</p>`)
	case "momentanement":
		page(`<p>Accès momentanément indisponible. Merci de réessayer plus tard.</p>`)
	case "blank":
		page("")
	case "503", "502":
		code := http.StatusServiceUnavailable
		if mode == "502" {
			code = http.StatusBadGateway
		}
		http.Error(w, http.StatusText(code), code)
	case "hang":
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	default:
		page(`<form method="post"><label>Identifiant</label><input name="username"><input type="password" name="password"><button>Se connecter</button></form>`)
	}
}

// resyncFlap makes the flapping ENT's next answer the opposite of its last
// recorded result.
func (p *portals) resyncFlap(lastDown bool) {
	n := p.flaps.Load()
	if lastDown == (n%2 == 1) { // the next answer (n+1) would repeat the last one
		p.flaps.Add(1)
	}
}

// catalog2021 is the catalog of the morning of 6 April 2021 (the embedded
// one until the 2026-2027 school year), which the replay plays.
var catalog2021 = filepath.Join("..", "..", "catalog", "testdata", "catalog-2021.yaml")

// narrowLikeToday gives the 2021 catalog's local ENTs the départements
// today's catalog gives them (ENC 92 → 92, …), where those départements
// belong to an académie listing the service in 2021, so that part of the
// population can follow one département.
func narrowLikeToday(t *testing.T, cat *catalog.Catalog) {
	t.Helper()
	today, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	for i, svc := range cat.Services {
		now, ok := today.Service(svc.ID)
		if !ok || !now.Local() {
			continue
		}
		fits := true
		for _, code := range now.Departements {
			_, a, found := cat.Departement(code)
			fits = fits && found && slices.Contains(a.Services, svc.ID)
		}
		if fits {
			cat.Services[i].Departements = slices.Clone(now.Departements)
		}
	}
}

// writeMirrorCatalog writes the 2021 catalog with every service's URL
// pointing at the local portals, and returns its path and the catalog.
func writeMirrorCatalog(t *testing.T, dir, base string) (string, *catalog.Catalog) {
	t.Helper()
	cat, err := catalog.Load(catalog2021)
	if err != nil {
		t.Fatal(err)
	}
	for i := range cat.Services {
		cat.Services[i].URL = base + "/" + cat.Services[i].ID
	}
	narrowLikeToday(t, cat)
	out, err := yaml.Marshal(cat)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "catalog.yaml")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	mirror, err := catalog.Load(path)
	if err != nil {
		t.Fatalf("the mirror catalog does not load: %v", err)
	}
	return path, mirror
}

// person is one simulated user (or group) and what the service should know
// of them once they have onboarded.
type person struct {
	chat    telegramtest.Chat
	user    telegramtest.User
	role    string               // "parent", "eleve", "enseignant"; "" for groups
	levels  []status.Level       // nil: none given (groups)
	typed   []string             // académies typed in /abonner (or chosen with the buttons)
	subs    []string             // académies followed: typed, plus those of the classes joined
	narrow  *catalog.Departement // the département the first académie is narrowed to (/abonner <name>), nil: whole
	buttons bool                 // onboards with /start and the buttons
	classes []*class             // classes joined
}

// class is one teacher's class.
type class struct {
	teacher  *person
	name     string
	academie string
	code     string // read from the bot's answer
	service  string // the ENT the class is bound to (read from the database), "" when none
	planB    string
	members  []*person
	viaLink  map[*person]bool
}

// population is everybody the scenario onboards.
type population struct {
	cat     *catalog.Catalog
	people  []*person
	byChat  map[int64]*person
	classes []*class
}

// newPopulation builds n users across every académie and level: 60 %
// parents (one or two levels), 30 % pupils, 10 % teachers; one in nine
// follows a second académie; one parent in 50 onboards with the buttons;
// 20 teachers open a class of 15 members, 2 of them with a plan B; plus
// four groups.
func newPopulation(cat *catalog.Catalog, n int) *population {
	p := &population{cat: cat, byChat: map[int64]*person{}}
	slugs := make([]string, len(cat.Academies))
	for i, a := range cat.Academies {
		slugs[i] = a.Slug
	}
	lv := status.AllLevels()
	for i := range n {
		id := int64(100_000 + i)
		who := &person{chat: telegramtest.Chat{ID: id, Type: "private"},
			user: telegramtest.User{ID: id, FirstName: fmt.Sprintf("Utilisateur %d", i), LanguageCode: "fr"}}
		who.subs = []string{slugs[i%len(slugs)]}
		switch r := i % 20; {
		case r < 12:
			who.role, who.levels = "parent", []status.Level{lv[i%3]}
			if i%4 == 0 {
				who.levels = append(who.levels, lv[(i+1)%3])
			}
			who.buttons = i%50 == 1
		case r < 18:
			who.role, who.levels = "eleve", []status.Level{lv[i%3]}
		default:
			who.role, who.levels = "enseignant", []status.Level{lv[(i/20)%3]}
		}
		if i%9 == 0 && !who.buttons && i%100 != 18 {
			if second := slugs[(i*7+3)%len(slugs)]; second != who.subs[0] {
				who.subs = append(who.subs, second)
			}
		}
		who.typed = slices.Clone(who.subs)
		p.add(who)
	}
	for g, slug := range []string{"versailles", "lille", "rennes", "nantes"} {
		id := int64(-5000 - g)
		p.add(&person{chat: telegramtest.Chat{ID: id, Type: "group", Title: "Parents " + slug},
			user:  telegramtest.User{ID: int64(900_000 + g), FirstName: "Directrice", LanguageCode: "fr"},
			typed: []string{slug}, subs: []string{slug}})
	}
	p.addClasses()
	p.narrowSome()
	return p
}

// narrowSome narrows one in five parents who follow one académie and joined
// no class (joining follows a class's whole académie) to the département of
// the first local ENT of their académie that serves their levels: they hear
// that département's ENTs, the académie-wide ones and the national ones.
func (p *population) narrowSome() {
	for i, who := range p.people {
		if who.role != "parent" || who.buttons || len(who.subs) != 1 || len(who.classes) > 0 || i%5 != 2 {
			continue
		}
		a, _ := p.cat.Academy(who.subs[0])
		for _, svc := range p.cat.ServicesFor(a.Slug, nil) {
			if !svc.Local() || !slices.ContainsFunc(who.levels, svc.Serves) {
				continue
			}
			if d, ok := a.Departement(svc.Departements[0]); ok {
				who.narrow = &d
			}
			break
		}
	}
}

func (p *population) add(who *person) {
	p.people = append(p.people, who)
	p.byChat[who.chat.ID] = who
}

// addClasses opens a class for every teacher whose index ends in 18 (one
// académie each) and fills it with the next 15 parents and pupils; half
// join by the deep link, half with /rejoindre. Joining makes a parent or
// pupil follow the class's académie too.
func (p *population) addClasses() {
	for i, t := range p.people {
		if t.role != "enseignant" || i%100 != 18 {
			continue
		}
		k := &class{teacher: t, name: fmt.Sprintf("Classe %d", len(p.classes)+1), academie: t.subs[0],
			viaLink: map[*person]bool{}}
		if len(p.classes) < 2 {
			k.planB = fmt.Sprintf("Plan B %d : exercices 4 à 7 page 112 du manuel, à rendre jeudi.", len(p.classes)+1)
		}
		for j := i + 1; len(k.members) < 15 && j < len(p.people); j++ {
			m := p.people[j]
			if m.role == "parent" || m.role == "eleve" {
				k.members = append(k.members, m)
				k.viaLink[m] = len(k.members)%2 == 0
				m.classes = append(m.classes, k)
				if !slices.Contains(m.subs, k.academie) {
					m.subs = append(m.subs, k.academie)
				}
			}
		}
		p.classes = append(p.classes, k)
	}
}

// wantsOutage: pupils asked for recoveries only (the bot's default for
// their role); everybody else hears outages and recoveries.
func (who *person) wantsOutage() bool { return who.role != "eleve" }

// concerned tells whether svc's news reach who: a national service reaches
// every subscriber, an ENT those following one of its académies; in both
// cases only when their levels meet the service's (or they gave none).
func (p *population) concerned(who *person, svc catalog.Service) bool {
	if len(who.levels) > 0 && !slices.ContainsFunc(who.levels, svc.Serves) {
		return false
	}
	if svc.National {
		return len(who.subs) > 0
	}
	for _, a := range p.cat.AcademiesOf(svc.ID) {
		if !slices.Contains(who.subs, a.Slug) {
			continue
		}
		if who.narrow == nil || a.Slug != who.subs[0] {
			return true
		}
		if slices.ContainsFunc(p.cat.ServicesFor(a.Slug, []string{who.narrow.Code}), func(s catalog.Service) bool { return s.ID == svc.ID }) {
			return true
		}
	}
	return false
}

// pair is one message about one service to one chat.
type pair struct {
	chat    int64
	service string
}

// expectedOutages lists who must hear of each failing service.
func (p *population) expectedOutages(failing map[string]string) map[pair]bool {
	want := map[pair]bool{}
	for id := range failing {
		svc, _ := p.cat.Service(id)
		for _, who := range p.people {
			if who.wantsOutage() && p.concerned(who, svc) {
				want[pair{who.chat.ID, id}] = true
			}
		}
	}
	return want
}

// expectedRecoveries: those who were sent the outage, plus those who asked
// for recoveries only and are concerned.
func (p *population) expectedRecoveries(failing map[string]string, told map[pair]int) map[pair]bool {
	want := map[pair]bool{}
	for id := range failing {
		svc, _ := p.cat.Service(id)
		for _, who := range p.people {
			k := pair{who.chat.ID, id}
			if told[k] > 0 || (!who.wantsOutage() && p.concerned(who, svc)) {
				want[k] = true
			}
		}
	}
	return want
}

// lumniLinks are the Lumni pages an outage message must offer who: one per
// level of theirs the service serves (all the service's levels when none
// of theirs does).
func lumniLinks(who *person, svc catalog.Service) []string {
	var levels []status.Level
	for _, l := range who.levels {
		if svc.Serves(l) {
			levels = append(levels, l)
		}
	}
	if len(levels) == 0 {
		levels = svc.Levels
	}
	var out []string
	for _, l := range levels {
		out = append(out, "https://www.lumni.fr/"+string(l))
	}
	return out
}

// planBsFor are the plan B texts an ENT outage message must carry for who:
// those of their classes in an académie the service belongs to.
func (p *population) planBsFor(who *person, svc catalog.Service) []string {
	var out []string
	for _, k := range who.classes {
		if k.planB == "" || svc.National || (k.service != "" && k.service != svc.ID) {
			continue
		}
		if slices.ContainsFunc(p.cat.AcademiesOf(svc.ID), func(a catalog.Academy) bool { return a.Slug == k.academie }) {
			out = append(out, k.planB)
		}
	}
	return out
}
