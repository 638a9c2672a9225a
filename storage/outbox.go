package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"slices"
	"strconv"
	"strings"
	"time"

	"sentinelle/status"
)

// serviceKindsSQL is the SQL list of the event kinds that tell a change of
// a service's state (status.Kind.IsService), written out so that the
// queries stay plain. Every kind written in this package's SQL is checked
// against package status by TestSQLKindsAreStatusKinds.
const serviceKindsSQL = `('outage', 'degraded', 'recovery')`

// Priorities of events and their deliveries: a parent's /etat must not wait
// behind 40,000 outage messages, and a teacher's notice neither.
const (
	PriorityReply  = 0 // answers to commands
	PriorityNotice = 1 // class notices and announcements
	PriorityBulk   = 2 // outages, degradations, recoveries
)

// Event is a row of events: something that happened and that people may
// need to hear. State is "new" until every recipient has a delivery row,
// then "expanded"; "superseded" once a later event about the same service
// made it untrue; "dead" when Telegram refused its text.
type Event struct {
	ID         int64
	DedupKey   string
	Kind       status.Kind
	Priority   int
	ServiceID  string
	FromState  status.State
	ToState    status.State
	Reason     status.Reason
	Audience   status.Audience // zero when the stored one cannot be read
	Payload    string          // JSON; a reply's payload is an OutMessage
	Silent     bool
	At         time.Time
	CreatedAt  time.Time
	State      string
	ExpandedAt time.Time
	DeadReason string
}

// NewEvent is what a writer supplies; the dedup key makes writing the same
// thing twice (a re-delivered Telegram update, a retried round) harmless.
// A zero At means now.
type NewEvent struct {
	DedupKey  string
	Kind      status.Kind
	Priority  int
	ServiceID string
	FromState status.State
	ToState   status.State
	Reason    status.Reason
	Audience  status.Audience
	Payload   string
	Silent    bool
	At        time.Time
}

// OutMessage is one rendered message: Telegram HTML text (the caption when
// Photo is set) and extra Bot API fields (reply_markup JSON…). It is also
// the payload of a reply event, stored as JSON, so that a reply is rendered
// when the command is processed and sent as is.
//
// Quote is text a person typed, kept raw and escaped once at send time, so
// that what a reply repeats of it (a notice's preview) costs its own size in
// the database, not six times that (HTML then JSON escaping). The message
// sent is Text followed by Quote escaped. About is the chat of a person the
// text names (a teacher, in « vous avez rejoint … (Mme Dupont) »), so that
// their /oublier finds it.
type OutMessage struct {
	Text   string            `json:"text"`
	Quote  string            `json:"quote,omitempty"`
	About  int64             `json:"about,omitempty"`
	Params map[string]string `json:"params,omitempty"`
	Photo  []byte            `json:"photo,omitempty"`
}

// marshalPayload is JSON without the HTML escaping of encoding/json's
// Marshal (which writes each <, > and & as six bytes): payloads are never
// put in a web page.
func marshalPayload(v any) (string, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// ClassRef is a class a recipient belongs to, with the plan B its teacher
// wrote for when the ENT is down.
type ClassRef struct {
	ID       int64
	Code     string
	Name     string
	Academie string
	PlanB    string
	// ServiceID is the ENT the class is bound to, '' for any of its
	// académie's.
	ServiceID string
}

// Recipient is who a delivery goes to, read at send time so that the
// message reflects the chat as it is now. Academies are the chat's
// subscriptions and Classes its open classes; the dispatcher narrows both
// to those the event concerns before rendering. For a post to an
// académie's channel, Channel is set ("@ent_versailles"), ChatID is 0 and
// Academies holds that académie.
type Recipient struct {
	ChatID    int64
	Channel   string
	Kind      string
	Role      string
	Levels    status.LevelMask
	Academies []string
	Classes   []ClassRef
	// AlertOutage is the chat's outage setting.
	AlertOutage bool
	// PlanBOnly is set by the dispatcher for a member who hears of an
	// outage only for their classes' plan B (their settings or levels
	// leave the outage itself out): the message is the plan B alone.
	PlanBOnly bool
}

// NewReply builds the event of a reply to a command: priority lane, one
// chat, the rendered message as payload. key must identify the command
// (e.g. "reply:<chat>:<message id>") so that a re-delivered update does not
// answer twice.
func NewReply(key string, chatID int64, msg OutMessage) (NewEvent, error) {
	payload, err := marshalPayload(msg)
	if err != nil {
		return NewEvent{}, fmt.Errorf("storage: reply payload: %w", err)
	}
	return NewEvent{DedupKey: key, Kind: status.KindReply, Priority: PriorityReply,
		Audience: status.AudienceChat(chatID), Payload: payload}, nil
}

// ReplyMessage decodes the message stored in a reply event, as it is sent:
// its Quote escaped and appended to its Text.
func (e Event) ReplyMessage() (OutMessage, error) {
	m, err := decodeReply(e.ID, e.Payload)
	if err != nil {
		return OutMessage{}, err
	}
	if m.Quote != "" {
		m.Text += html.EscapeString(strings.ToValidUTF8(m.Quote, "\uFFFD"))
		m.Quote = ""
	}
	return m, nil
}

func decodeReply(id int64, payload string) (OutMessage, error) {
	var m OutMessage
	if err := json.Unmarshal([]byte(payload), &m); err != nil {
		return OutMessage{}, fmt.Errorf("storage: reply payload of event %d: %w", id, err)
	}
	return m, nil
}

// InsertEvent writes an event unless one with the same dedup key exists.
// It returns the id of the event (the existing one when inserted is
// false). Callers then wake the dispatcher.
func (t *Tx) InsertEvent(ctx context.Context, e NewEvent) (id int64, inserted bool, err error) {
	return insertEvent(ctx, t.tx, e, t.now)
}

func insertEvent(ctx context.Context, tx *dbTx, e NewEvent, now int64) (int64, bool, error) {
	if err := checkNewEvent(e); err != nil {
		return 0, false, err
	}
	at := ms(e.At)
	if at == 0 {
		at = now
	}
	if e.Payload == "" {
		e.Payload = "{}"
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO events (dedup_key, kind, priority, service_id, from_state,
			to_state, reason, audience, payload, silent, at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (dedup_key) DO NOTHING RETURNING id`,
		e.DedupKey, e.Kind, e.Priority, e.ServiceID, e.FromState, e.ToState, e.Reason, e.Audience.String(),
		e.Payload, flag01(e.Silent), at, now).Scan(&id)
	if err == nil {
		return id, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, false, fmt.Errorf("storage: insert event: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT id FROM events WHERE dedup_key = ?`, e.DedupKey).Scan(&id); err != nil {
		return 0, false, fmt.Errorf("storage: insert event: find existing: %w", err)
	}
	return id, false, nil
}

func checkNewEvent(e NewEvent) error {
	switch {
	case e.DedupKey == "":
		return errors.New("storage: insert event: empty dedup key")
	case e.Audience.IsZero():
		return errors.New("storage: insert event: empty audience")
	case e.Priority < PriorityReply || e.Priority > PriorityBulk:
		return fmt.Errorf("storage: insert event: priority %d out of 0..2", e.Priority)
	case e.Kind.IsService() && e.ServiceID == "":
		return fmt.Errorf("storage: insert event: a %s event names no service", e.Kind)
	}
	if !slices.Contains(status.AllKinds(), e.Kind) {
		return fmt.Errorf("storage: insert event: unknown kind %q", e.Kind)
	}
	return nil
}

const eventColumns = `id, dedup_key, kind, priority, service_id, from_state, to_state, reason, audience,
	payload, silent, at, created_at, state, expanded_at, dead_reason`

func scanEvent(row rowScanner) (Event, error) {
	var e Event
	var silent int
	var at, created, expanded int64
	var audience string
	err := row.Scan(&e.ID, &e.DedupKey, &e.Kind, &e.Priority, &e.ServiceID, &e.FromState, &e.ToState,
		&e.Reason, &audience, &e.Payload, &silent, &at, &created, &e.State, &expanded, &e.DeadReason)
	if err != nil {
		return Event{}, err
	}
	// An audience that cannot be read is left zero rather than failing the
	// read: the dispatcher then abandons that event alone (reaching nobody).
	e.Audience, _ = status.ParseAudience(audience)
	e.Silent = silent == 1
	e.At, e.CreatedAt, e.ExpandedAt = fromMS(at), fromMS(created), fromMS(expanded)
	return e, nil
}

// Event returns one event, or ErrNotFound.
func (s *Store) Event(ctx context.Context, id int64) (Event, error) {
	e, err := scanEvent(s.r.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM events WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Event{}, ErrNotFound
	}
	if err != nil {
		return Event{}, fmt.Errorf("storage: read event: %w", err)
	}
	return e, nil
}

// NewEvents returns up to limit events still to expand, most urgent first.
func (s *Store) NewEvents(ctx context.Context, limit int) ([]Event, error) {
	return queryAll(ctx, s.r, "storage: new events", scanEvent, `SELECT `+eventColumns+` FROM events
		WHERE state = 'new' ORDER BY priority, id LIMIT ?`, limit)
}

// updateMetaKey is where ApplyUpdates keeps the last Telegram update whose
// effects are committed.
const updateMetaKey = "telegram_last_update_id"

// Tx is a write transaction lent to the callback of ApplyUpdates, so that
// everything a Telegram update causes (a subscription, the reply that
// confirms it) is committed with the update's id, or not at all, and to
// the callback of Update. Every operation a caller runs as one step of
// several is a method of Tx, and only of Tx.
type Tx struct {
	tx  *dbTx
	now int64
	// stmts holds the statements a round runs once per service, prepared
	// once for the transaction's lifetime (see Tx.stmt).
	stmts map[string]*sql.Stmt
	// savepoint is true once Isolate took one, which the next releases.
	savepoint bool
}

// Update runs fn in one write transaction and commits what fn did through
// tx, or nothing when fn fails. It is the door for whatever writes outside
// a Telegram update (a check round, the /verifier result) and for tests;
// fn must not call the Store's methods, which would wait for the one
// writer connection fn holds.
func (s *Store) Update(ctx context.Context, fn func(tx *Tx) error) error {
	now := s.nowMS()
	return s.write(ctx, func(tx *dbTx) error { return fn(&Tx{tx: tx, now: now}) })
}

// LastUpdateID is the last update ApplyUpdates committed, -1 when none: the
// update loop asks Telegram for the ones after it.
func (s *Store) LastUpdateID(ctx context.Context) (int64, error) {
	v, err := s.Meta(ctx, updateMetaKey)
	if errors.Is(err, ErrNotFound) {
		return -1, nil
	}
	if err != nil {
		return 0, err
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("storage: last update id %q: %w", v, err)
	}
	return id, nil
}
