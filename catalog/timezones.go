package catalog

import "time"

// zoneWords names the overseas time zones of the catalog as families say
// them, after « heure »: « heure de La Réunion ». Paris is there for the
// pages that name it too.
var zoneWords = map[string]string{
	"Europe/Paris":       "de Paris",
	"Indian/Reunion":     "de La Réunion",
	"Indian/Mayotte":     "de Mayotte",
	"America/Martinique": "de la Martinique",
	"America/Guadeloupe": "de la Guadeloupe",
	"America/Cayenne":    "de Guyane",
	"America/Miquelon":   "de Saint-Pierre-et-Miquelon",
	"Pacific/Noumea":     "de Nouvelle-Calédonie",
	"Pacific/Tahiti":     "de Polynésie française",
	"Pacific/Wallis":     "de Wallis-et-Futuna",
}

// ZoneLabel names a time zone in French for a reader: « heure de La
// Réunion » for Indian/Reunion; a zone without French words is named
// « heure locale ».
func ZoneLabel(loc *time.Location) string {
	if loc == nil {
		return "heure de Paris"
	}
	if w, ok := zoneWords[loc.String()]; ok {
		return "heure " + w
	}
	return "heure locale"
}

// LocationOf is the time zone in which a subscriber of these académies
// reads the times of a message and counts their quiet hours: that of the
// first académie the catalog knows (the dispatcher keeps first the ones
// an event concerns). Nil when none is known: the caller's default
// (TIMEZONE) applies. The one rule for texts and quiet hours alike.
func (c *Catalog) LocationOf(slugs []string) *time.Location {
	for _, s := range slugs {
		if a, ok := c.Academy(s); ok {
			return a.Location()
		}
	}
	return nil
}
