package bot

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"sentinelle/catalog"
	"sentinelle/status"
	"sentinelle/storage"
)

func TestParseCommand(t *testing.T) {
	cases := []struct {
		text, name, args string
		forOther, ok     bool
	}{
		{"/abonner versailles", "abonner", "versailles", false, true},
		{"/Désabonner  Paris, Lille ", "desabonner", "Paris, Lille", false, true},
		{"/abonner@Sentinelle_Bot lille", "abonner", "lille", false, true},
		{"/start@autre_bot", "", "", true, true},
		{"/diffuser\nABCD2345 texte", "diffuser", "ABCD2345 texte", false, true},
		{"/plan_b x", "planb", "x", false, true},
		{"bonjour", "", "", false, false},
		{"/", "", "", false, true},
	}
	for _, c := range cases {
		name, args, other, ok := parseCommand(c.text, "sentinelle_bot")
		if name != c.name || args != c.args || other != c.forOther || ok != c.ok {
			t.Errorf("parseCommand(%q) = %q, %q, %v, %v; want %q, %q, %v, %v",
				c.text, name, args, other, ok, c.name, c.args, c.forOther, c.ok)
		}
	}
}

func TestParseAcademies(t *testing.T) {
	cat, _ := catalog.Default()
	ts := parseTargets(cat, "Aix Marseille et Versaile Ouest, 01 ; la réunion")
	var slugs []string
	for _, a := range ts.academies {
		slugs = append(slugs, a.Slug)
	}
	if strings.Join(slugs, " ") != "aix-marseille paris la-reunion" || strings.Join(ts.unknown, "|") != "Versaile Ouest" || len(ts.deps) != 0 {
		t.Errorf("found %v %v, unknown %q", slugs, ts.deps, ts.unknown)
	}
}

// TestParseDepartements: a département by name in any spelling or by a
// number no académie has; an académie's number keeps its meaning and the
// département of that number is noted.
func TestParseDepartements(t *testing.T) {
	cat, _ := catalog.Default()
	ts := parseTargets(cat, "hauts de seine, Yvelines 974 2a et Seine-Saint-Denis, alpes de haute provence, 24")
	var codes []string
	for _, m := range ts.deps {
		codes = append(codes, m.Departement.Code)
	}
	if got := strings.Join(codes, " "); got != "92 78 974 2A 93 04" {
		t.Errorf("départements %q", got)
	}
	if len(ts.academies) != 1 || ts.academies[0].Slug != "creteil" || len(ts.ambiguous) != 1 ||
		ts.ambiguous[0].dep.Departement.Code != "24" || ts.ambiguous[0].dep.Academy.Slug != "bordeaux" || len(ts.unknown) != 0 {
		t.Errorf("académies %v, ambiguous %v, unknown %q", ts.academies, ts.ambiguous, ts.unknown)
	}
}

func TestParseProfile(t *testing.T) {
	role, levels, bad := parseProfile("Élève, Collège et LYCÉE")
	if role != "eleve" || levels != status.College.Bit()|status.Lycee.Bit() || bad != "" {
		t.Errorf("got %q %d %q", role, levels, bad)
	}
	if _, _, bad := parseProfile("parent maternelle"); bad != "maternelle" {
		t.Errorf("bad = %q", bad)
	}
}

func TestClassCodes(t *testing.T) {
	seen := map[string]bool{}
	for range 2000 {
		c, err := newClassCode()
		if err != nil {
			t.Fatal(err)
		}
		if normalizeCode(c) != c || seen[c] {
			t.Fatalf("code %q invalid or repeated", c)
		}
		seen[c] = true
		if strings.ContainsAny(c, "IL O01") {
			t.Fatalf("code %q has an ambiguous character", c)
		}
	}
	for in, want := range map[string]string{"abcd-2345": "ABCD2345", " ab cd 23 45 ": "ABCD2345", "c_ABCD2345": "ABCD2345",
		"ABCD234": "", "ABCD234O": "", "ABCD2345X": ""} {
		if got := normalizeCode(in); got != want {
			t.Errorf("normalizeCode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWindowLimiter(t *testing.T) {
	l := newWindowLimiter(3, time.Minute)
	now := testNow
	var got []verdict
	for range 5 {
		got = append(got, l.hit(1, now))
	}
	want := []verdict{verdictAllow, verdictAllow, verdictAllow, verdictWarn, verdictSilent}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("verdicts %v, want %v", got, want)
		}
	}
	if l.hit(2, now) != verdictAllow {
		t.Fatal("another key was limited")
	}
	if !l.full(1, now) || l.full(1, now.Add(time.Minute)) {
		t.Fatal("full is wrong")
	}
	if l.hit(1, now.Add(time.Minute)) != verdictAllow {
		t.Fatal("the window did not reset")
	}
	for i := range 5000 {
		l.hit(int64(i+10), now.Add(2*time.Minute))
	}
	l.mu.Lock()
	n := len(l.keys)
	l.mu.Unlock()
	if n > 5000 {
		t.Fatalf("old windows never swept: %d keys", n)
	}
}

// FuzzParseCommand feeds anything a user may type to every parser: none
// may panic, and what they return must be usable.
func FuzzParseCommand(f *testing.F) {
	cat, _ := catalog.Default()
	for _, s := range []string{"/abonner Aix Marseille, 01", "/profil élève collège", "/diffuser ABCD2345 <b>x</b>",
		"/start c_ABCD2345", "/maintenance enc92 1h30", "/x@y z", "/\n\n", "/Ǆ@"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		name, args, _, ok := parseCommand(text, "sentinelle_bot")
		if ok && strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
			t.Fatalf("command name %q is not lowercase ascii", name)
		}
		for _, a := range parseTargets(cat, args).academies {
			if _, ok := cat.Academy(a.Slug); !ok {
				t.Fatalf("parseTargets invented %q", a.Slug)
			}
		}
		parseProfile(args)
		parseFrenchDuration(args)
		code, rest := splitCodeText(args)
		if c := normalizeCode(code); c != "" && len(c) != classCodeLen {
			t.Fatalf("normalizeCode(%q) = %q", code, c)
		}
		checkTelegram(t, "notice", noticeText(truncate(code, maxClassName), "Mme <X>", truncate(rest+"x", maxNoticeRunes)))
		if utf8.ValidString(args) {
			checkTelegram(t, "unknown académie", unknownAcademyText(cat, args+"x", "abonner"))
		}
	})
}

// FuzzRender renders alerts with hostile teacher texts, class names,
// reasons and payloads: always valid Telegram HTML within 4096 characters.
func FuzzRender(f *testing.F) {
	r := testRenderer(f)
	f.Add("outage", "enc92", "waiting_room", "6e B", "Exercices <p> & co", `{"since_ms":1617687120000}`, 2, 3)
	f.Add("recovery", "lumni", "ok", "", "", `{"down_since_ms":1}`, 0, 0)
	f.Add("degraded", "monlycee", "slow", "<b>", "&amp;", `{"latency_ms":-5}`, 7, 9)
	f.Fuzz(func(t *testing.T, rawKind, service, reason, class, planB, payload string, levels, classes int) {
		kind := status.Kind(rawKind)
		if !kind.IsService() {
			kind = status.KindOutage
		}
		if !utf8.ValidString(class) || !utf8.ValidString(planB) {
			return // Telegram gets UTF-8 only; storage receives text from Telegram
		}
		to := storage.Recipient{ChatID: 1, Levels: status.LevelMask(levels) & status.Mask(status.AllLevels()...), Academies: []string{"versailles", "paris"}}
		for i := range classes % 8 {
			to.Classes = append(to.Classes, storage.ClassRef{ID: int64(i), Name: class,
				PlanB: strings.Repeat(planB, 1+i*50)})
		}
		ev := storage.Event{Kind: kind, ServiceID: service, Reason: status.Reason(reason), FromState: status.Down, Payload: payload, At: testNow}
		msg, err := r.Render(t.Context(), ev, to)
		if err != nil {
			t.Fatal(err)
		}
		checkTelegram(t, "alert", msg.Text)
	})
}
