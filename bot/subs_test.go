package bot

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"sentinelle/checker"
	"sentinelle/status"
	"sentinelle/storage"
	"sentinelle/telegram/telegramtest"
)

// setStates records one check round in which each service is judged as
// given ("down:waiting_room", "up", "degraded:slow") at the harness's
// clock, as the checker would: it writes the states and their events.
func setStates(t *testing.T, h *harness, states map[string]string) checker.RoundOutcome {
	t.Helper()
	at := h.clock()
	var results []storage.CheckResult
	for id, s := range states {
		state, reason, _ := strings.Cut(s, ":")
		if reason == "" {
			reason = "ok"
		}
		results = append(results, storage.CheckResult{ServiceID: id, At: at, State: status.State(state), Reason: status.Reason(reason),
			HTTPStatus: 200, Latency: 12 * time.Second})
	}
	slices.SortFunc(results, func(a, b storage.CheckResult) int { return strings.Compare(a.ServiceID, b.ServiceID) })
	judge := func(prev storage.ServiceState, r storage.CheckResult) storage.ServiceState {
		next := prev
		if prev.State != r.State {
			next.Since = r.At
		}
		next.State, next.Reason = r.State, r.Reason
		return next
	}
	out, err := checker.Record(context.Background(), h.store, checker.RoundInput{
		Round: storage.Round{StartedAt: at, FinishedAt: at, Services: len(results)}, Results: results}, judge)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAbonnerByNameCodeAndSuggestion(t *testing.T) {
	h := newHarness(t)
	h.sayEach(parentChat, parentUser,
		"/abonner Versailles",
		"/subscribe AIX MARSEILLE, 01",
		"/abonner Orléans-Tours et l'académie de créteil",
		"/abonner versaille",
		"/abonner atlantide",
		"/abonner versailles")
	want := []string{"aix-marseille", "creteil", "orleans-tours", "paris", "versailles"}
	if got := subsOf(t, h, parentChat.ID); !slices.Equal(got, want) {
		t.Fatalf("subscriptions = %v, want %v", got, want)
	}
	m := lastOf(t, h.say(parentChat, parentUser, "/abonner"))
	h.press(parentChat, parentUser, m.MessageID, "g:"+regionIndex(h, "Bretagne"))
	h.press(parentChat, parentUser, m.MessageID, "a:rennes")
	h.golden("abonner")
}

func TestAbonnerCap(t *testing.T) {
	h := newHarness(t)
	h.say(parentChat, parentUser, "/abonner lille amiens reims nancy-metz strasbourg besancon dijon lyon grenoble paris")
	if n := len(subsOf(t, h, parentChat.ID)); n != maxAcademies {
		t.Fatalf("%d académies, want %d", n, maxAcademies)
	}
	m := lastOf(t, h.say(parentChat, parentUser, "/abonner rennes"))
	wantText(t, m, "le maximum")
	if n := len(subsOf(t, h, parentChat.ID)); n != maxAcademies {
		t.Fatalf("cap passed: %d académies", n)
	}
}

func TestDesabonner(t *testing.T) {
	h := newHarness(t)
	h.sayEach(parentChat, parentUser,
		"/desabonner",
		"/abonner paris versailles creteil lille",
		"/désabonner Paris, Nantes",
		"/unsubscribe versaile")
	m := lastOf(t, h.say(parentChat, parentUser, "/desabonner"))
	h.press(parentChat, parentUser, m.MessageID, "u:creteil")
	if got := subsOf(t, h, parentChat.ID); !slices.Equal(got, []string{"lille", "versailles"}) {
		t.Fatalf("subscriptions = %v", got)
	}
	m = lastOf(t, h.say(parentChat, parentUser, "/desabonner"))
	h.press(parentChat, parentUser, m.MessageID, "u:*")
	h.say(parentChat, parentUser, "/abonner lille")
	h.say(parentChat, parentUser, "/desabonner tout")
	if got := subsOf(t, h, parentChat.ID); len(got) != 0 {
		t.Fatalf("subscriptions = %v", got)
	}
	h.golden("desabonner")
}

func TestEtatShowsStatesSinceAndLink(t *testing.T) {
	h := newHarness(t)
	h.sayEach(parentChat, parentUser, "/profil parent college", "/etat", "/abonner versailles")
	h.advance(-13 * time.Minute) // the outage began at 07:32
	setStates(t, h, map[string]string{"enc92": "down:waiting_room", "monlycee": "up", "ecollege78": "degraded:slow",
		"lumni": "up", "educonnect": "down:timeout"})
	h.advance(13 * time.Minute)
	if err := h.store.Update(context.Background(), func(tx *storage.Tx) error {
		return tx.SetMaintenance(context.Background(), "moncollege95", h.clock().Add(2*time.Hour))
	}); err != nil {
		t.Fatal(err)
	}
	h.pump.drain() // the outage messages, not under test here
	m := lastOf(t, h.say(parentChat, parentUser, "/etat"))
	wantText(t, m, "en panne depuis 7 h 32, file d'attente (trop de connexions)", "lenteurs depuis 7 h 32", "maintenance jusqu'à 9 h 45",
		"pas encore vérifié", "page d'état")
	if !strings.Contains(m.Text, `href="https://sentinelle.example.fr/academie/versailles"`) {
		t.Errorf("no link to the académie's status page:\n%s", m.Text)
	}
	h.say(parentChat, parentUser, "/status Lille")
	h.say(parentChat, parentUser, "/etat lile")
	h.golden("etat")
}

func TestLumniReplacesWhatIsDown(t *testing.T) {
	h := newHarness(t)
	h.say(parentChat, parentUser, "/lumni")
	h.say(parentChat, parentUser, "/profil parent college")
	m := lastOf(t, h.say(parentChat, parentUser, "/lumni"))
	wantText(t, m, "Lumni collège", "Classe virtuelle")
	setStates(t, h, map[string]string{"lumni": "down:http_status"})
	h.pump.drain()
	m = lastOf(t, h.say(parentChat, parentUser, "/alternatives"))
	if strings.Contains(m.Visible, "Lumni collège") {
		t.Errorf("Lumni is down but still offered:\n%s", m.Visible)
	}
	wantText(t, m, "Classe virtuelle")
	h.golden("lumni")
}

func TestProfilSetsRoleLevelsAndAlertDefaults(t *testing.T) {
	h := newHarness(t)
	h.say(pupilChat, pupilUser, "/profil")
	h.say(pupilChat, pupilUser, "/profil élève Collège")
	c := chatOf(t, h, pupilChat.ID)
	if c.Role != "eleve" || c.Levels != status.College.Bit() || c.AlertOutage || !c.AlertRecovery {
		t.Fatalf("chat = %+v", c)
	}
	h.say(pupilChat, pupilUser, "/profile LYCÉE")
	if c := chatOf(t, h, pupilChat.ID); c.Role != "eleve" || c.Levels != status.Lycee.Bit() {
		t.Fatalf("levels alone: chat = %+v", c)
	}
	h.say(pupilChat, pupilUser, "/profil astronaute")
	m := lastOf(t, h.say(pupilChat, pupilUser, "/profil"))
	h.pressEach(pupilChat, pupilUser, m.MessageID, "r:parent", "l:primaire", "l:ok")
	if c := chatOf(t, h, pupilChat.ID); c.Role != "parent" || c.Levels != status.Primaire.Bit() || !c.AlertOutage {
		t.Fatalf("after buttons: chat = %+v", c)
	}
	h.golden("profil")
}

func TestAlertesToggles(t *testing.T) {
	h := newHarness(t)
	m := lastOf(t, h.say(parentChat, parentUser, "/alertes"))
	h.pressEach(parentChat, parentUser, m.MessageID, "al:lent", "al:panne", "al:retab")
	c := chatOf(t, h, parentChat.ID)
	if c.AlertOutage || c.AlertRecovery || !c.AlertDegraded {
		t.Fatalf("chat = %+v", c)
	}
	h.golden("alertes")
}

func TestAideUnknownAndFreeText(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	h := newHarness(t, func(o *Options) {
		o.OnCommand = func(cmd string, d time.Duration) { mu.Lock(); seen[cmd]++; mu.Unlock() }
		o.OnUpdate = func(kind string, d time.Duration) { mu.Lock(); seen["update:"+kind]++; mu.Unlock() }
	})
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		if seen["aide"] != 3 || seen["inconnue"] != 6 || seen["texte"] != 1 || seen["update:message"] != 10 {
			t.Errorf("metrics hooks saw %v", seen)
		}
	}()
	help := lastOf(t, h.say(parentChat, parentUser, "/aide"))
	if strings.Contains(help.Visible, "/annonce") || strings.Contains(help.Visible, "Administration") {
		t.Errorf("/aide shows the admin commands to a non-admin:\n%s", help.Visible)
	}
	h.sayEach(parentChat, parentUser, "/help", "/meteo", "bonjour, l'ENT marche ?")
	unknown := lastOf(t, h.say(parentChat, parentUser, "/xyz"))
	for _, cmd := range []string{"/annonce toutes Bonjour", "/stats", "/maintenance enc92 2h", "/verifier"} {
		m := lastOf(t, h.say(parentChat, parentUser, cmd))
		if m.Text != unknown.Text {
			t.Errorf("%s by a non-admin answered %q, want the unknown-command answer", cmd, m.Visible)
		}
	}
	m := lastOf(t, h.say(adminChat, adminUser, "/aide"))
	wantText(t, m, "Administration", "/annonce")
	h.golden("aide")
}

func TestCommandMenus(t *testing.T) {
	h := newHarness(t)
	h.say(parentChat, parentUser, "/aide") // Run has published the menus by now
	for _, lang := range []string{"fr", ""} {
		cmds := h.srv.Commands("default", lang)
		if len(cmds) < 15 {
			t.Fatalf("menu %q has %d commands", lang, len(cmds))
		}
		for _, c := range cmds {
			if c.Command == "annonce" || c.Command == "stats" {
				t.Errorf("public menu %q lists the admin command %s", lang, c.Command)
			}
		}
	}
	admin := h.srv.Commands("chat:999", "")
	if !slices.ContainsFunc(admin, func(c telegramtest.Command) bool { return c.Command == "annonce" }) {
		t.Errorf("admin menu = %v", admin)
	}
}
