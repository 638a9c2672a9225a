package status

import (
	"fmt"
	"strconv"
	"strings"
)

// Audience is who hears an event: every subscriber, those concerned by a
// service's state, one académie, one class, or one chat. Its stored form
// (String, events.audience) is "all", "service:<id>", "academie:<slug>",
// "class:<n>" or "chat:<n>". An Audience comes from a constructor or from
// ParseAudience, so that it is always one of these; the zero Audience is
// none (String "").
type Audience struct {
	scope Scope
	name  string // service id or académie slug
	id    int64  // class or chat id
}

// Scope is the sort of an Audience; its value is what the stored form
// starts with.
type Scope string

// The scopes of an audience.
const (
	ScopeAll      Scope = "all"
	ScopeService  Scope = "service"
	ScopeAcademie Scope = "academie"
	ScopeClass    Scope = "class"
	ScopeChat     Scope = "chat"
)

// AudienceAll is the audience of an announcement to every subscriber.
func AudienceAll() Audience { return Audience{scope: ScopeAll} }

// AudienceService is the audience of a change of a service's state: the
// subscribers of every académie that relies on it, or everybody for a
// national service.
func AudienceService(serviceID string) Audience {
	return Audience{scope: ScopeService, name: serviceID}
}

// AudienceAcademie is the audience of an announcement to one académie.
func AudienceAcademie(slug string) Audience { return Audience{scope: ScopeAcademie, name: slug} }

// AudienceClass is the audience of a teacher's notice to a class.
func AudienceClass(classID int64) Audience { return Audience{scope: ScopeClass, id: classID} }

// AudienceChat is the audience of a reply: one chat.
func AudienceChat(chatID int64) Audience { return Audience{scope: ScopeChat, id: chatID} }

// Scope is the sort of the audience, "" for the zero Audience.
func (a Audience) Scope() Scope { return a.scope }

// Name is the service id of a ScopeService audience or the académie slug
// of a ScopeAcademie one, "" for the others.
func (a Audience) Name() string { return a.name }

// ID is the class id of a ScopeClass audience or the chat id of a
// ScopeChat one, 0 for the others.
func (a Audience) ID() int64 { return a.id }

// IsZero reports whether a is no audience.
func (a Audience) IsZero() bool { return a == Audience{} }

// String is the stored form of the audience.
func (a Audience) String() string {
	switch a.scope {
	case ScopeAll:
		return string(ScopeAll)
	case ScopeService, ScopeAcademie:
		return string(a.scope) + ":" + a.name
	case ScopeClass, ScopeChat:
		return string(a.scope) + ":" + strconv.FormatInt(a.id, 10)
	}
	return ""
}

// ParseAudience reads the stored form of an audience. A service or an
// académie must be named, a class or a chat must be a non-zero integer;
// anything else is an error, and an event with such an audience can reach
// nobody.
func ParseAudience(s string) (Audience, error) {
	if s == string(ScopeAll) {
		return AudienceAll(), nil
	}
	scope, arg, found := strings.Cut(s, ":")
	if !found {
		return Audience{}, fmt.Errorf("status: unknown audience %q", s)
	}
	switch Scope(scope) {
	case ScopeService, ScopeAcademie:
		if arg == "" {
			return Audience{}, fmt.Errorf("status: audience %q names no %s", s, scope)
		}
		return Audience{scope: Scope(scope), name: arg}, nil
	case ScopeClass, ScopeChat:
		id, err := strconv.ParseInt(arg, 10, 64)
		if err != nil || id == 0 {
			return Audience{}, fmt.Errorf("status: audience %q: bad id", s)
		}
		return Audience{scope: Scope(scope), id: id}, nil
	}
	return Audience{}, fmt.Errorf("status: unknown audience %q", s)
}

// MarshalText writes the stored form ("" for the zero Audience), so that
// an Audience reads the same in JSON logs as in the database.
func (a Audience) MarshalText() ([]byte, error) {
	return []byte(a.String()), nil
}

// UnmarshalText reads the stored form (see ParseAudience).
func (a *Audience) UnmarshalText(b []byte) error {
	v, err := ParseAudience(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}
