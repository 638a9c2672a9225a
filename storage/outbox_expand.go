package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	"sentinelle/status"
)

// Preference filters of an expansion: which alert setting a chat must have
// switched on to hear the event.
const (
	PrefNone     = ""
	PrefOutage   = "outage"   // alert_outage
	PrefDegraded = "degraded" // alert_degraded
	PrefRecovery = "recovery" // alert_recovery, and see ExpandSpec.Prior
	// PrefDegradedAfterDown is for a down service that became merely slow:
	// those who asked for slowness alerts, and those who were told of the
	// outage and want to hear when it ends (it is usable again).
	PrefDegradedAfterDown = "degraded_after_down"
)

// DefaultExpandChunk is how many chats one expansion step looks at. A step
// is one transaction; between two steps the dispatcher claims and sends, so
// the first messages of a 100,000-recipient outage leave before the last
// rows are written, and the checker's writes never wait long.
const DefaultExpandChunk = 5000

// ChannelTarget is an académie's public channel that an event is posted to.
type ChannelTarget struct {
	Channel  string // "@ent_versailles"
	Academie string
}

// ExpandSpec says who an event reaches; the dispatcher builds it from the
// event and the catalog (storage knows no catalog). notify.Hears is the
// definition of who a spec reaches, branch by branch; this summary and the
// SQL below follow it. Exactly one of
// Academies, Everyone, ClassID and ChatID chooses the people:
//   - Academies: active chats subscribed to one of them, plus, WithClasses,
//     members of open classes of those académies;
//   - Everyone: active chats with at least one subscription (plus, WithClasses,
//     members of any open class);
//   - ClassID: active members of that open class;
//   - ChatID: that chat, active or not (a reply answers whoever asked).
//
// Departements (catalog codes), with Academies, keeps the subscriptions
// that follow the whole académie or are narrowed to one of them (a
// service serving only those départements; see catalog.ServicesFor, the
// rule this carries). Classes are not narrowed by départements; with
// ClassService set, only the classes bound to that service or to none
// are (notify's classHearsService is the rule this carries).
//
// PlanBMembers, with Academies, also reaches whatever their levels and
// preferences the members of the classes kept by ClassService that have
// a plan B: they hear the outage of their class's ENT for its plan B.
//
// Every chat gets at most one row whatever the number of matching
// subscriptions. LevelMask (0: no filter) keeps chats whose levels meet it
// or who gave none. Pref filters on alert settings; with PrefRecovery, only
// chats that were sent one of the Prior events hear it, plus, when
// RecoveryOnly, those who asked for recoveries and not for outages.
type ExpandSpec struct {
	EventID      int64
	Academies    []string
	Departements []string
	Everyone     bool
	WithClasses  bool
	ClassService string
	PlanBMembers bool
	ClassID      int64
	ChatID       int64
	LevelMask    status.LevelMask
	Pref         string
	Prior        []int64
	RecoveryOnly bool
	Channels     []ChannelTarget
	ChunkSize    int
}

// ExpandProgress is what one expansion step did.
type ExpandProgress struct {
	Inserted int64 // delivery rows written by this step
	Done     bool  // the event is fully expanded (or no longer to expand)
}

// ExpandStep writes the delivery rows of the next chunk of chats for an
// event still "new", and the channel posts with the first chunk. It is
// idempotent: a step re-run after a crash writes nothing twice.
func (s *Store) ExpandStep(ctx context.Context, spec ExpandSpec) (ExpandProgress, error) {
	var p ExpandProgress
	now := s.nowMS()
	err := s.write(ctx, func(tx *dbTx) error {
		var state string
		var prio int
		var cursor sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT state, priority, expand_cursor FROM events WHERE id = ?`, spec.EventID).
			Scan(&state, &prio, &cursor)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("storage: expand: %w", err)
		}
		if state != "new" {
			p.Done = true
			return nil
		}
		if !cursor.Valid {
			if err := insertChannelPosts(ctx, tx, spec, prio, now); err != nil {
				return err
			}
			cursor.Int64 = math.MinInt64
		}
		p, err = expandChunk(ctx, tx, spec, prio, cursor.Int64, now)
		return err
	})
	return p, err
}

// expandChunk inserts the deliveries of the chats after cursor, up to the
// chunk size, and moves the cursor (or marks the event expanded).
func expandChunk(ctx context.Context, tx *dbTx, spec ExpandSpec, prio int, cursor, now int64) (ExpandProgress, error) {
	hi, last := int64(math.MaxInt64), true
	if spec.ClassID == 0 && spec.ChatID == 0 {
		chunk := spec.ChunkSize
		if chunk <= 0 {
			chunk = DefaultExpandChunk
		}
		err := tx.QueryRowContext(ctx, `SELECT chat_id FROM chats WHERE chat_id > ? ORDER BY chat_id LIMIT 1 OFFSET ?`,
			cursor, chunk-1).Scan(&hi)
		switch {
		case err == nil:
			last = false
		case errors.Is(err, sql.ErrNoRows):
			hi = math.MaxInt64
		default:
			return ExpandProgress{}, fmt.Errorf("storage: expand: chunk bound: %w", err)
		}
	}
	query, args, err := deliveriesQuery(tx.engine, spec, prio, cursor, hi, now)
	if err != nil {
		return ExpandProgress{}, err
	}
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return ExpandProgress{}, fmt.Errorf("storage: expand event %d: %w", spec.EventID, err)
	}
	n, _ := res.RowsAffected()
	if last {
		_, err = tx.ExecContext(ctx, `UPDATE events SET state = 'expanded', expand_cursor = ?, expanded_at = ? WHERE id = ?`,
			hi, now, spec.EventID)
	} else {
		_, err = tx.ExecContext(ctx, `UPDATE events SET expand_cursor = ? WHERE id = ?`, hi, spec.EventID)
	}
	if err != nil {
		return ExpandProgress{}, fmt.Errorf("storage: expand: move cursor: %w", err)
	}
	return ExpandProgress{Inserted: n, Done: last}, nil
}

// deliveriesQuery builds the INSERT … SELECT of one chunk from fixed
// fragments; every value is a bound parameter.
func deliveriesQuery(e Engine, spec ExpandSpec, prio int, lo, hi, now int64) (string, []any, error) {
	acads, err := json.Marshal(spec.Academies)
	if err != nil {
		return "", nil, fmt.Errorf("storage: expand: %w", err)
	}
	prior, err := json.Marshal(spec.Prior)
	if err != nil {
		return "", nil, fmt.Errorf("storage: expand: %w", err)
	}
	deps, err := json.Marshal(spec.Departements)
	if err != nil {
		return "", nil, fmt.Errorf("storage: expand: %w", err)
	}
	who, err := audienceClause(e, spec)
	if err != nil {
		return "", nil, err
	}
	pref, err := prefClause(e, spec.Pref)
	if err != nil {
		return "", nil, err
	}
	var q strings.Builder
	q.WriteString(`INSERT INTO deliveries (event_id, chat_id, priority, next_attempt_at, created_at)
		SELECT CAST(:eid AS BIGINT), c.chat_id, CAST(:prio AS BIGINT), CAST(:now AS BIGINT), CAST(:now AS BIGINT) FROM chats c WHERE c.chat_id > :lo AND c.chat_id <= :hi`)
	q.WriteString(who)
	var filters string
	if spec.LevelMask != 0 {
		filters = ` AND (c.levels = 0 OR (c.levels & :mask) != 0)`
	}
	filters += pref
	if spec.PlanBMembers && len(spec.Academies) > 0 && filters != "" {
		filters = ` AND ((1 = 1` + filters + `) OR EXISTS (SELECT 1 FROM class_members m JOIN classes k ON k.id = m.class_id
			WHERE m.chat_id = c.chat_id AND k.closed_at = 0 AND k.plan_b != ''
			AND k.academie IN (` + e.jsonTexts(":acads") + `) AND k.service_id IN ('', :class_service)))`
	}
	q.WriteString(filters)
	q.WriteString(` ON CONFLICT DO NOTHING`)
	args := []any{sql.Named("eid", spec.EventID), sql.Named("prio", prio), sql.Named("now", now),
		sql.Named("lo", lo), sql.Named("hi", hi), sql.Named("chat", spec.ChatID), sql.Named("class", spec.ClassID),
		sql.Named("acads", string(acads)), sql.Named("deps", string(deps)), sql.Named("mask", spec.LevelMask), sql.Named("prior", string(prior)),
		sql.Named("recovery_only", flag01(spec.RecoveryOnly)),
		sql.Named("class_service", spec.ClassService)}
	return q.String(), args, nil
}

// audienceClause selects the chats of the spec's audience. It implements,
// for speed, part of notify.Hears (notify/audience.go: inAudience and
// followsDepartements), which is the rule: change both together
// (notify's TestHearsMatchesExpansion compares them).
func audienceClause(e Engine, spec ExpandSpec) (string, error) {
	var (
		anySub   = ` EXISTS (SELECT 1 FROM subscriptions s WHERE s.chat_id = c.chat_id`
		anyClass = ` OR EXISTS (SELECT 1 FROM class_members m JOIN classes k ON k.id = m.class_id
			WHERE m.chat_id = c.chat_id AND k.closed_at = 0`
		inAcads = ` IN (` + e.jsonTexts(":acads") + `)`
		// The subscription follows the whole académie, or one of :deps.
		inDeps = ` AND (NOT EXISTS (SELECT 1 FROM subscription_departements d
				WHERE d.chat_id = s.chat_id AND d.academie = s.academie)
			OR EXISTS (SELECT 1 FROM subscription_departements d WHERE d.chat_id = s.chat_id
				AND d.academie = s.academie AND d.departement IN (` + e.jsonTexts(":deps") + `)))`
	)
	switch {
	case spec.ChatID != 0:
		return ` AND c.chat_id = :chat`, nil
	case spec.ClassID != 0:
		return ` AND c.active = 1 AND c.chat_id IN (SELECT m.chat_id FROM class_members m
			JOIN classes k ON k.id = m.class_id WHERE k.id = :class AND k.closed_at = 0)`, nil
	case spec.Everyone:
		q := ` AND c.active = 1 AND (` + anySub + `)`
		if spec.WithClasses {
			q += anyClass + `)`
		}
		return q + `)`, nil
	case len(spec.Academies) > 0:
		q := ` AND c.active = 1 AND (` + anySub + ` AND s.academie` + inAcads
		if len(spec.Departements) > 0 {
			q += inDeps
		}
		q += `)`
		if spec.WithClasses {
			q += anyClass + ` AND k.academie` + inAcads
			if spec.ClassService != "" {
				q += ` AND k.service_id IN ('', :class_service)`
			}
			q += `)`
		}
		return q + `)`, nil
	}
	return "", fmt.Errorf("storage: expand event %d: no audience", spec.EventID)
}

// prefClause keeps the chats whose alert settings ask for the event. It
// implements, for speed, part of notify.Hears (notify/audience.go:
// wantsNews; the levels filter and the PlanBMembers exception, written in
// deliveriesQuery, are passesFilters and hearsForPlanB), which is the rule:
// change both together (notify's TestHearsMatchesExpansion compares them).
func prefClause(e Engine, pref string) (string, error) {
	switch pref {
	case PrefNone:
		return "", nil
	case PrefOutage:
		return ` AND c.alert_outage = 1`, nil
	case PrefDegraded:
		return ` AND c.alert_degraded = 1`, nil
	case PrefDegradedAfterDown:
		return ` AND (c.alert_degraded = 1 OR (c.alert_recovery = 1 AND EXISTS (SELECT 1 FROM deliveries p
			WHERE p.chat_id = c.chat_id AND p.state = 'sent' AND p.event_id IN (` + e.jsonInts(":prior") + `))))`, nil
	case PrefRecovery:
		return ` AND c.alert_recovery = 1 AND (EXISTS (SELECT 1 FROM deliveries p WHERE p.chat_id = c.chat_id
			AND p.state = 'sent' AND p.event_id IN (` + e.jsonInts(":prior") + `))
			OR (:recovery_only = 1 AND c.alert_outage = 0))`, nil
	}
	return "", fmt.Errorf("storage: expand: unknown preference %q", pref)
}

// insertChannelPosts writes an event's channel posts. A recovery is posted
// only to channels that were told about the outage.
func insertChannelPosts(ctx context.Context, tx *dbTx, spec ExpandSpec, prio int, now int64) error {
	prior, err := json.Marshal(spec.Prior)
	if err != nil {
		return fmt.Errorf("storage: channel posts: %w", err)
	}
	needPrior := flag01(spec.Pref == PrefRecovery)
	for _, ch := range spec.Channels {
		_, err := tx.ExecContext(ctx, `INSERT INTO channel_posts (event_id, channel, academie, priority, next_attempt_at, created_at)
			SELECT CAST(? AS BIGINT), ?, ?, CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT)
			WHERE (CAST(? AS BIGINT) = 0 OR EXISTS (SELECT 1 FROM channel_posts p WHERE p.channel = ?
				AND p.state = 'sent' AND p.event_id IN (`+tx.engine.jsonInts("?")+`)))
			ON CONFLICT DO NOTHING`,
			spec.EventID, ch.Channel, ch.Academie, prio, now, now, needPrior, ch.Channel, string(prior))
		if err != nil {
			return fmt.Errorf("storage: channel post %s: %w", ch.Channel, err)
		}
	}
	return nil
}

// Superseded is what a new event about a service made obsolete.
type Superseded struct {
	// Prior are the outage and degraded events since the service's last
	// recovery: who was sent one of them should hear the recovery.
	Prior []int64
	// Inflight counts the deliveries of earlier events of the service still
	// being sent. A recovery waits for them to end before it is expanded,
	// since whether they succeed decides who hears it.
	Inflight int
}

// Supersede makes every earlier event about ev's service obsolete: their
// pending deliveries and channel posts are cancelled and they expand no
// further, because a message whose news is no longer true must never be
// sent late. Calling it again is harmless. Which events ev makes obsolete
// is notify.Supersedes (notify/supersession.go), the rule this SQL
// carries for an ev of a service kind, the only one notify passes: it
// does not check ev's kind itself.
func (s *Store) Supersede(ctx context.Context, ev Event) (Superseded, error) {
	var out Superseded
	if ev.ServiceID == "" {
		return out, nil
	}
	reason := fmt.Sprintf("superseded by event %d", ev.ID)
	err := s.write(ctx, func(tx *dbTx) error {
		const earlier = `SELECT id FROM events WHERE service_id = :svc AND id < :id AND kind IN ` + serviceKindsSQL
		args := []any{sql.Named("svc", ev.ServiceID), sql.Named("id", ev.ID), sql.Named("why", reason)}
		for _, q := range []string{
			`UPDATE events SET state = 'superseded' WHERE id IN (` + earlier + `) AND state IN ('new', 'expanded')`,
			`UPDATE deliveries SET state = 'cancelled', last_error = :why WHERE event_id IN (` + earlier + `) AND state = 'pending'`,
			`UPDATE channel_posts SET state = 'cancelled', last_error = :why WHERE event_id IN (` + earlier + `) AND state = 'pending'`,
		} {
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return fmt.Errorf("storage: supersede: %w", err)
			}
		}
		err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM deliveries WHERE event_id IN (`+earlier+`) AND state = 'inflight')
			+ (SELECT COUNT(*) FROM channel_posts WHERE event_id IN (`+earlier+`) AND state = 'inflight')`, args...).Scan(&out.Inflight)
		if err != nil {
			return fmt.Errorf("storage: supersede: count inflight: %w", err)
		}
		rows, err := tx.QueryContext(ctx, `SELECT id FROM events WHERE service_id = :svc AND id < :id
			AND kind IN ('outage', 'degraded') AND id > COALESCE((SELECT MAX(id) FROM events
				WHERE service_id = :svc AND id < :id AND kind = 'recovery'), 0) ORDER BY id`, args...)
		if err != nil {
			return fmt.Errorf("storage: supersede: prior events: %w", err)
		}
		out.Prior, err = scanIDs(rows)
		return err
	})
	return out, err
}

func scanIDs(rows *sql.Rows) ([]int64, error) {
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("storage: scan id: %w", err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: scan id: %w", err)
	}
	return out, nil
}
