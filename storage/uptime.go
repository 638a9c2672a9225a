package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"sentinelle/status"
)

// uptimeColumn maps a state to its column in uptime_hourly; the names are
// fixed here, never taken from input.
func uptimeColumn(state status.State) (string, bool) {
	switch state {
	case status.Up:
		return "up_ms", true
	case status.Degraded:
		return "degraded_ms", true
	case status.Down:
		return "down_ms", true
	case status.Maintenance:
		return "maintenance_ms", true
	case status.Unknown:
		return "unknown_ms", true
	}
	return "", false
}

// UptimeTotals is the time a service spent in each state over a period.
// Time is attributed at each round to the state the service held since its
// previous check, so a checker that was stopped or skipped rounds does not
// distort it (time beyond the gap limit counts as Unknown).
type UptimeTotals struct {
	Up, Degraded, Down, Maintenance, Unknown time.Duration
}

// Availability is the share of the known, unplanned time during which the
// service was usable: (up + degraded) / (up + degraded + down). A degraded
// ENT is slow but usable; maintenance and unknown time are left out. ok is
// false when there is no such time at all.
func (u UptimeTotals) Availability() (ratio float64, ok bool) {
	total := u.Up + u.Degraded + u.Down
	if total <= 0 {
		return 0, false
	}
	return float64(u.Up+u.Degraded) / float64(total), true
}

// Total is all the time covered, whatever the state.
func (u UptimeTotals) Total() time.Duration {
	return u.Up + u.Degraded + u.Down + u.Maintenance + u.Unknown
}

func (u *UptimeTotals) add(o UptimeTotals) {
	u.Up += o.Up
	u.Degraded += o.Degraded
	u.Down += o.Down
	u.Maintenance += o.Maintenance
	u.Unknown += o.Unknown
}

// Uptime totals the time a service spent in each state between from and to.
// The store keeps hourly buckets: every UTC hour that starts in
// [from truncated to the hour, to) is counted whole.
func (s *Store) Uptime(ctx context.Context, serviceID string, from, to time.Time) (UptimeTotals, error) {
	var t UptimeTotals
	var up, deg, down, maint, unk int64
	err := s.r.QueryRowContext(ctx, `SELECT COALESCE(SUM(up_ms), 0), COALESCE(SUM(degraded_ms), 0), COALESCE(SUM(down_ms), 0),
		COALESCE(SUM(maintenance_ms), 0), COALESCE(SUM(unknown_ms), 0)
		FROM uptime_hourly WHERE service_id = ? AND hour >= ? AND hour < ?`,
		serviceID, ms(from.Truncate(time.Hour)), ms(to)).Scan(&up, &deg, &down, &maint, &unk)
	if err != nil {
		return UptimeTotals{}, fmt.Errorf("storage: uptime %q: %w", serviceID, err)
	}
	t.Up, t.Degraded, t.Down = msDur(up), msDur(deg), msDur(down)
	t.Maintenance, t.Unknown = msDur(maint), msDur(unk)
	return t, nil
}

func msDur(v int64) time.Duration { return time.Duration(v) * time.Millisecond }

// DayState is one day of a service's history bar on the status page.
type DayState struct {
	Day    time.Time    // midnight starting the day, in the location of the now given to DailyStates
	State  status.State // the worst state of the day: down, degraded, maintenance, up, or unknown without data
	Totals UptimeTotals
}

// DailyStates returns the last days days of a service, oldest first, ending
// with the day containing now. Days are calendar days in now's location
// (pass now in Europe/Paris for French days); the hourly buckets are
// grouped by the local day in which each hour starts. The grouping is done
// by SQLite over the day boundaries, so that a 90-day bar reads 90 rows,
// not 2 160.
func (s *Store) DailyStates(ctx context.Context, serviceID string, days int, now time.Time) ([]DayState, error) {
	if days <= 0 {
		return nil, nil
	}
	loc := now.Location()
	y, m, d := now.Date()
	out := make([]DayState, days)
	values := make([]string, days)
	args := make([]any, 0, 3*days+1)
	for i := range out {
		out[i].Day = time.Date(y, m, d-days+1+i, 0, 0, 0, 0, loc)
		next := time.Date(y, m, d-days+2+i, 0, 0, 0, 0, loc)
		values[i] = "(CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT))" // PostgreSQL would guess text
		args = append(args, i, ms(out[i].Day.Truncate(time.Hour)), ms(next.Truncate(time.Hour)))
	}
	args = append(args, serviceID) // the last placeholder, after the days'
	err := queryEach(ctx, s.r, fmt.Sprintf("storage: daily states %q", serviceID), func(rows *sql.Rows) error {
		var i int
		var up, deg, down, maint, unk int64
		if err := rows.Scan(&i, &up, &deg, &down, &maint, &unk); err != nil {
			return err
		}
		if i >= 0 && i < days {
			out[i].Totals = UptimeTotals{msDur(up), msDur(deg), msDur(down), msDur(maint), msDur(unk)}
		}
		return nil
	}, `WITH days (i, lo, hi) AS (VALUES `+strings.Join(values, ", ")+`)
		SELECT days.i, SUM(up_ms), SUM(degraded_ms), SUM(down_ms), SUM(maintenance_ms), SUM(unknown_ms)
		FROM days JOIN uptime_hourly u ON u.hour >= days.lo AND u.hour < days.hi AND u.service_id = ?
		GROUP BY days.i`, args...)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].State = worstState(out[i].Totals)
	}
	return out, nil
}

// worstState is the state a day's bar shows: any confirmed outage makes the
// day red, whatever its length, since families felt it.
func worstState(t UptimeTotals) status.State {
	switch {
	case t.Down > 0:
		return status.Down
	case t.Degraded > 0:
		return status.Degraded
	case t.Maintenance > 0:
		return status.Maintenance
	case t.Up > 0:
		return status.Up
	}
	return status.Unknown
}

// AttributeUptime counts the time between a service's previous check
// (prev, its state as read in this transaction) and at in the state it
// held then: in maintenance while its maintenance lasted, in its judged
// state after, and as unknown beyond maxGap (the checker was not running,
// so nobody knows). It is accounting, run for every service at every
// round before the service's new state is written.
func (t *Tx) AttributeUptime(ctx context.Context, prev ServiceState, at time.Time, maxGap time.Duration) error {
	last := prev.LastCheckedAt
	if last.IsZero() || !at.After(last) {
		return nil
	}
	end := at
	if at.Sub(last) > maxGap {
		end = last.Add(maxGap)
	}
	start := last
	if prev.MaintenanceUntil.After(last) {
		m := minTime(end, prev.MaintenanceUntil)
		if err := addUptime(ctx, t, prev.ServiceID, status.Maintenance, last, m); err != nil {
			return err
		}
		start = m
	}
	if err := addUptime(ctx, t, prev.ServiceID, prev.State, start, end); err != nil {
		return err
	}
	return addUptime(ctx, t, prev.ServiceID, status.Unknown, end, at)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// addUptime adds the interval [from, to) to the state's column, split
// across the UTC hours it covers.
func addUptime(ctx context.Context, tx *Tx, serviceID string, state status.State, from, to time.Time) error {
	col, ok := uptimeColumn(state)
	if !ok {
		return fmt.Errorf("storage: uptime: unknown state %q", state)
	}
	for h := from.Truncate(time.Hour); h.Before(to); h = h.Add(time.Hour) {
		lo, hi := h, h.Add(time.Hour)
		if from.After(lo) {
			lo = from
		}
		if to.Before(hi) {
			hi = to
		}
		d := hi.Sub(lo).Milliseconds()
		if d <= 0 {
			continue
		}
		_, err := tx.exec(ctx, `INSERT INTO uptime_hourly (service_id, hour, `+col+`) VALUES (?, ?, ?)
			ON CONFLICT (service_id, hour) DO UPDATE SET `+col+` = uptime_hourly.`+col+` + excluded.`+col, serviceID, ms(h), d)
		if err != nil {
			return fmt.Errorf("storage: add uptime %q: %w", serviceID, err)
		}
	}
	return nil
}
