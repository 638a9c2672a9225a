package status

import (
	"slices"
	"testing"
)

// TestLevelBits pins the bits stored in chats.levels: changing one would
// silently change every stored profile.
func TestLevelBits(t *testing.T) {
	tests := []struct {
		level Level
		want  LevelMask
	}{
		{Primaire, 1},
		{College, 2},
		{Lycee, 4},
		{"", 0},
		{"maternelle", 0},
	}
	for _, tt := range tests {
		if got := tt.level.Bit(); got != tt.want {
			t.Errorf("%q.Bit() = %d, want %d", tt.level, got, tt.want)
		}
	}
}

func TestLevelMask(t *testing.T) {
	tests := []struct {
		name   string
		levels []Level
		want   LevelMask
		list   []Level
	}{
		{"none", nil, 0, nil},
		{"one", []Level{College}, 2, []Level{College}},
		{"two, any order", []Level{Lycee, College}, 6, []Level{College, Lycee}},
		{"all", AllLevels(), 7, []Level{Primaire, College, Lycee}},
		{"twice", []Level{Lycee, Lycee}, 4, []Level{Lycee}},
		{"unknown adds nothing", []Level{"fac", Primaire}, 1, []Level{Primaire}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Mask(tt.levels...)
			if m != tt.want {
				t.Fatalf("Mask(%v) = %d, want %d", tt.levels, m, tt.want)
			}
			if got := m.Levels(); !slices.Equal(got, tt.list) {
				t.Errorf("Mask(%v).Levels() = %v, want %v", tt.levels, got, tt.list)
			}
			for _, l := range AllLevels() {
				if got, want := m.Has(l), slices.Contains(tt.levels, l); got != want {
					t.Errorf("Mask(%v).Has(%s) = %v, want %v", tt.levels, l, got, want)
				}
			}
			if m.Has("fac") {
				t.Error("Has(an unknown level) = true")
			}
		})
	}
}

func TestAllLevels(t *testing.T) {
	got := AllLevels()
	if want := []Level{Primaire, College, Lycee}; !slices.Equal(got, want) {
		t.Fatalf("AllLevels(): got %v, want %v", got, want)
	}
	got[0] = Lycee
	if AllLevels()[0] != Primaire {
		t.Error("AllLevels(): a caller's change leaked into the next call")
	}
}
