package bot

import (
	"strings"
	"testing"

	"sentinelle/storage"
)

// TestStatsShortensBeforeEscaping: the list of services down is cut to its
// limit as plain text, then escaped, so that a cut never splits an entity
// such as &amp; (Telegram would refuse the whole message).
func TestStatsShortensBeforeEscaping(t *testing.T) {
	cat := defaultCatalog(t)
	st := storage.BotStats{ByRole: map[string]int{}}
	for _, tc := range []struct {
		name string
		down []string
	}{
		// Escaped, the list's 1500th character falls inside "&amp;".
		{"cut inside &amp;", []string{strings.Repeat("a", 1497) + " & b"}},
		{"cut inside &lt;", []string{strings.Repeat("é", 1498) + "<>", "x"}},
		{"many short names", []string{strings.Repeat("R&D, ", 400)}},
		{"short list", []string{"A & B", "<C>"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plain := strings.Join(tc.down, ", ")
			text := statsText(cat, st, [3]int{}, append([]string(nil), tc.down...), "07:45")
			checkTelegram(t, "stats", text)
			_, list, _ := strings.Cut(text, "Services en panne : ")
			got := stripTags(list)
			if runes(got) > 1500 {
				t.Errorf("the list of services down is %d characters, want at most 1500", runes(got))
			}
			if want := strings.TrimSuffix(got, "…"); !strings.HasPrefix(plain, want) {
				t.Errorf("the list reads %q…, want a prefix of %q", statsHead(got), statsHead(plain))
			}
		})
	}
}

func statsHead(s string) string { return truncate(s, 60) }
