package web

import (
	"context"
	"net/http"
	"sync"
	"time"

	"sentinelle/french"
)

// writeCheckEvery is how long /readyz trusts its last write check: the
// probe answers anyone, and each check is a commit with a full fsync.
const writeCheckEvery = 10 * time.Second

// writeCheck remembers whether the database last took a write, so that a
// flood of probes costs one commit per writeCheckEvery, not one each.
type writeCheck struct {
	ping func(context.Context) error

	mu  sync.Mutex // held during a check: a rush waits for one commit
	at  time.Time  // when the last check ran; zero: never
	err error      // its outcome
}

// check returns the last outcome when it is recent, else writes again. The
// write does not depend on the request's context: a client that hangs up
// must not leave a failure behind for the next 10 s.
func (c *writeCheck) check(ctx context.Context, now time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at.IsZero() && !now.Before(c.at) && now.Sub(c.at) < writeCheckEvery {
		return c.err
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	c.err = c.ping(pctx)
	c.at = now
	return c.err
}

// readyz is the readiness probe: the database took a write in the last
// 10 s (checked again when older), the checker finished a round recently
// and a round was judged recently (or the service started less than
// MaxRoundAge ago), read on each request. Its first line says "ok" or
// names the failure, for whoever reads the probe's log; its second line
// says whether this instance is the "leader" (it polls Telegram and
// sends) or a "follower". A follower is ready as well (it serves the
// pages and checks): the role changes no status code.
//
// The judgement is the leader's, not this instance's: a follower is not
// unready for not judging, but when no round was judged for MaxRoundAge
// every instance answers 503, follower or leader. Then no instance leads,
// or the leader's checker is stuck while it holds the lease; the states
// shown stand still on every instance alike, and whoever watches any one
// of them must hear of it: no follower can take over a lease that is
// renewed, so only a person can.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	code, msg := s.readiness(r.Context())
	role := "leader"
	if _, ok := s.leading(); !ok {
		role = "follower"
	}
	w.WriteHeader(code)
	_, _ = w.Write([]byte(msg + "\n" + role + "\n"))
}

// readiness is /readyz's status code and first line.
func (s *Server) readiness(ctx context.Context) (int, string) {
	if s.store == nil {
		return http.StatusServiceUnavailable, "pas de base de données"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	now := s.now()
	if err := s.writable.check(ctx, now); err != nil {
		s.log.Warn("readyz: database not writable", "error", err)
		return http.StatusServiceUnavailable, "base de données non inscriptible"
	}
	st, err := s.checkerStatus(ctx, now)
	if err != nil {
		s.log.Warn("readyz: read last round", "error", err)
		return http.StatusServiceUnavailable, "lecture de la dernière vérification impossible"
	}
	if st.Stale {
		msg := "aucune vérification terminée depuis le démarrage, il y a " + french.Duration(now.Sub(s.startedAt))
		if st.HasRound {
			msg = "dernière vérification terminée il y a " + french.Duration(now.Sub(st.Round.FinishedAt))
		}
		return http.StatusServiceUnavailable, msg + s.limit()
	}
	if st.JudgementStale {
		msg := "aucun état mis à jour depuis le démarrage, il y a " + french.Duration(now.Sub(s.startedAt))
		if st.HasJudged {
			msg = "états mis à jour pour la dernière fois il y a " + french.Duration(now.Sub(st.Judged.FinishedAt))
		}
		return http.StatusServiceUnavailable, msg + " : aucune instance ne juge les vérifications" + s.limit()
	}
	return http.StatusOK, "ok"
}

// limit is the end of a readiness failure's line: the age it exceeds.
func (s *Server) limit() string { return " (limite " + french.Duration(s.maxRoundAge) + ")" }
