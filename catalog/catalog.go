// Package catalog says what Sentinelle watches and for whom: the académies,
// the school portals (ENTs) each one relies on, the national services that
// concern every family (EduConnect, Apps Éducation, Lumni), where to learn while a
// portal is down, and the texts that betray a waiting-room page served with
// HTTP 200.
//
// The catalog is data, not code, so that a new ENT or a corrected URL is a
// YAML edit: a default is embedded in the binary (Default) and an operator
// may load their own file (Load). Parse checks everything at once and names
// each problem's place, because a catalog is edited by hand and a typo found
// one error at a time costs a restart per typo.
//
// A *Catalog is read-only once parsed; its methods are safe for concurrent
// use as long as nobody writes to its exported fields. The package is a
// leaf: it imports only the standard library, the YAML decoder and the
// shared vocabulary (package status: Level).
package catalog

import (
	"slices"
	"time"

	"sentinelle/status"
)

// ParseLevel reads a level as a family or a data file writes it: case,
// accents and surrounding punctuation are ignored (see Normalize, which is
// why it lives here and not in status), and "école" (the word used by the
// ministry's data) means status.Primaire. It reports false for anything else
// rather than guessing.
func ParseLevel(s string) (status.Level, bool) {
	switch Normalize(s) {
	case "primaire", "ecole", "ecole primaire", "elementaire", "ecole elementaire":
		return status.Primaire, true
	case "college", "colleges":
		return status.College, true
	case "lycee", "lycees":
		return status.Lycee, true
	}
	return "", false
}

// DefaultSlowMS is the response time, in milliseconds, above which a service
// without its own slow_ms is judged degraded. Five seconds is when a family
// on a home connection starts reloading the page and adds to the load.
const DefaultSlowMS = 5000

// Alternative is somewhere to keep learning while an ENT is down: a Lumni
// page, a TV slot, a CNED platform. Service names the monitored service it
// depends on, if any, so that the bot does not recommend a site that is down
// too; Description carries what a link cannot say, such as a broadcast slot.
// Until, for an alternative tied to an event (a TV schedule), is the last
// day it is offered: past it, AlternativesFor leaves it out by itself.
// Source says where its facts come from.
type Alternative struct {
	Name        string `yaml:"name"`
	URL         string `yaml:"url"`
	Service     string `yaml:"service,omitempty"`
	Description string `yaml:"description,omitempty"`
	Until       Date   `yaml:"until,omitempty"`
	Source      Source `yaml:"source,omitempty"`
}

// Service is one probed site: an ENT, or a national service when National
// is true. Everything the checker needs to judge it is here, so that tuning
// a noisy service is a catalog edit.
//
// ExpectStatus is 0 when any 2xx after redirects is healthy. SlowMS is always
// the effective threshold after parsing (DefaultSlowMS when the file leaves
// it out). Unsure marks a service whose URL or status comes from a weak
// source; Note says why, for whoever maintains the catalog. Source says
// where the entry comes from and when it was last checked.
type Service struct {
	ID           string         `yaml:"id"`
	Name         string         `yaml:"name"`
	URL          string         `yaml:"url"`
	Levels       []status.Level `yaml:"levels"`
	Vendor       string         `yaml:"vendor,omitempty"`
	National     bool           `yaml:"national,omitempty"`
	ExpectStatus int            `yaml:"expect_status,omitempty"`
	BodyContains string         `yaml:"body_contains,omitempty"`
	SlowMS       int            `yaml:"slow_ms,omitempty"`
	Unsure       bool           `yaml:"unsure,omitempty"`
	Note         string         `yaml:"note,omitempty"`
	Source       Source         `yaml:"source,omitempty"`
	// Departements, when set, are the codes of the only départements of its
	// académies the service serves (a collège ENT run by one département's
	// council); empty means every département of every académie listing it.
	Departements []string `yaml:"departements,omitempty"`
}

// Serves reports whether the service concerns pupils of level l, which is
// how a subscriber's level filters the alerts they receive.
func (s Service) Serves(l status.Level) bool {
	return slices.Contains(s.Levels, l)
}

// StatusOK reports whether an HTTP status code (after redirects) is the one
// this service answers when healthy, so that every caller applies the same
// "any 2xx unless the catalog says otherwise" rule.
func (s Service) StatusOK(code int) bool {
	if s.ExpectStatus != 0 {
		return code == s.ExpectStatus
	}
	return code >= 200 && code <= 299
}

// Academy is an académie, or an overseas territory with a vice-rectorat
// (ViceRectorat true), that families subscribe to. Services lists the ids of
// its own ENTs; national services are never listed, since they concern
// everybody. Code is the ministry's code ("01" for Paris), which some users
// know better than the name. Aliases are other names people type, such as
// the pre-2020 académies "Caen" and "Rouen" for Normandie.
//
// Timezone is the IANA name of its local time; after parsing it is always
// set (DefaultTimezone when the file leaves it out, which only a
// metropolitan académie may do). Departements are the départements it
// covers, which a subscription may be narrowed to.
type Academy struct {
	Slug         string        `yaml:"slug"`
	Code         string        `yaml:"code"`
	Name         string        `yaml:"name"`
	Region       string        `yaml:"region"`
	Zone         string        `yaml:"zone,omitempty"`
	Channel      string        `yaml:"channel,omitempty"`
	Services     []string      `yaml:"services"`
	Overseas     bool          `yaml:"overseas,omitempty"`
	ViceRectorat bool          `yaml:"vice_rectorat,omitempty"`
	Aliases      []string      `yaml:"aliases,omitempty"`
	Unsure       bool          `yaml:"unsure,omitempty"`
	Note         string        `yaml:"note,omitempty"`
	Timezone     string        `yaml:"timezone,omitempty"`
	Departements []Departement `yaml:"departements,omitempty"`

	loc *time.Location // Timezone loaded by Parse; nil in a hand-built Academy
}

// Catalog is the whole parsed and validated catalog. The exported fields
// mirror the YAML file; the lookups go through indexes built by Parse, so a
// Catalog must come from Parse, Load or Default, and must not be modified
// afterwards.
type Catalog struct {
	WaitingRoomMarkers []string                       `yaml:"waiting_room_markers"`
	Alternatives       map[status.Level][]Alternative `yaml:"alternatives"`
	Services           []Service                      `yaml:"services"`
	Academies          []Academy                      `yaml:"academies"`

	serviceByID   map[string]int    // Services index by ID
	academyBySlug map[string]int    // Academies index by Slug
	nameKeys      map[string]int    // compact normalised slug, name, aliases -> Academies index
	codeKeys      map[string]int    // code without leading zeros -> Academies index
	depByCode     map[string]depRef // depKey(code) -> département
	depByName     map[string]depRef // compact normalised name -> département
}
