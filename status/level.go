package status

// Level is a school level as families think of it. A subscriber picks one,
// and a service or an alternative says which levels it concerns, so that a
// parent of a collégien is not told about an école ENT.
type Level string

// The three levels. Primaire covers école maternelle and élémentaire, the
// "1er degré" of the ministry; College and Lycee are the "2nd degré".
const (
	Primaire Level = "primaire"
	College  Level = "college"
	Lycee    Level = "lycee"
)

// AllLevels returns the levels from youngest to oldest, in a new slice each
// time so that no caller can change another's list.
func AllLevels() []Level {
	return []Level{Primaire, College, Lycee}
}

// LevelMask is a set of levels as chats.levels stores it: an OR of the
// levels' bits. 0 means the person gave none, and then every alert
// concerns them.
type LevelMask int

// Bit is the level's bit in a LevelMask (and in chats.levels, whose stored
// values depend on it: never change one), 0 for a level it does not know.
func (l Level) Bit() LevelMask {
	switch l {
	case Primaire:
		return 1
	case College:
		return 2
	case Lycee:
		return 4
	}
	return 0
}

// Mask is the set of the given levels; unknown levels add nothing.
func Mask(levels ...Level) LevelMask {
	var m LevelMask
	for _, l := range levels {
		m |= l.Bit()
	}
	return m
}

// Has reports whether l is in the set.
func (m LevelMask) Has(l Level) bool {
	return m&l.Bit() != 0
}

// Levels lists the levels of the set, youngest first.
func (m LevelMask) Levels() []Level {
	var out []Level
	for _, l := range AllLevels() {
		if m.Has(l) {
			out = append(out, l)
		}
	}
	return out
}
