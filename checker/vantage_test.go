package checker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"sentinelle/catalog"
	"sentinelle/status"
	"sentinelle/storage"
	"sentinelle/storage/storagetest"
)

// refusing is the network near a vantage cut off: every connection to an
// address for which cut is true is refused before it leaves the machine.
func refusing(cut func(addr string) bool) http.RoundTripper {
	return &http.Transport{DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if cut(addr) {
				return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("connection refused")}
			}
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}}
}

// twoVantages is one database file shared by two instances, paris and
// lyon, each with its own Store on the file (as two processes would share
// one PostgreSQL) and its Runner over one catalog with one portal, ent.
type twoVantages struct {
	c            *clock
	path         string
	ent          *switchable
	paris, lyon  *Runner
	parisStore   *storage.Store
	parisLeading atomic.Bool // false: lyon is the leader
}

// newTwoVantages builds them; lyonNet, when set, is lyon's transport.
func newTwoVantages(t *testing.T, lyonNet http.RoundTripper) *twoVantages {
	t.Helper()
	v := &twoVantages{c: newClock(), ent: newSwitchable(t)}
	v.parisLeading.Store(true)
	cat := testCatalog(t, catalog.Service{ID: "ent", URL: v.ent.srv.URL})
	canaries := []string{okServer(t)}
	var lyonStore *storage.Store
	v.parisStore, v.path = storeOnFile(t, v.c)
	lyonStore = openStore(t, v.path, v.c)
	t.Cleanup(func() { lyonStore.Close() })
	v.paris = newRunner(t, cat, v.parisStore, v.c, canaries, func(o *Options) {
		o.Vantage, o.Leader = "paris", v.parisLeading.Load
	})
	v.lyon = newRunner(t, cat, lyonStore, v.c, canaries, func(o *Options) {
		o.Vantage, o.Leader = "lyon", func() bool { return !v.parisLeading.Load() }
		o.Probe.Transport = lyonNet
	})
	return v
}

// round runs both instances' rounds at the same time, the leader last
// unless leaderFirst, moves the clock a minute and returns the leader's
// report and the other's.
func (v *twoVantages) round(t *testing.T, leaderFirst bool) (leader, other RoundReport) {
	t.Helper()
	ctx := context.Background()
	lead, follow := v.paris, v.lyon
	if !v.parisLeading.Load() {
		lead, follow = v.lyon, v.paris
	}
	order := []*Runner{follow, lead}
	if leaderFirst {
		order = []*Runner{lead, follow}
	}
	reps := map[*Runner]RoundReport{}
	for _, r := range order {
		rep, err := r.RunOnce(ctx)
		if err != nil {
			t.Fatalf("RunOnce %s: %v", r.opts.Vantage, err)
		}
		reps[r] = rep
	}
	v.c.Add(time.Minute)
	if !reps[lead].Leader || reps[follow].Leader || len(reps[follow].Transitions) != 0 {
		t.Fatalf("leader %s: %s changed %+v, want only the leader judging", lead.opts.Vantage, follow.opts.Vantage, reps[follow].Transitions)
	}
	return reps[lead], reps[follow]
}

func (v *twoVantages) entState(t *testing.T) storage.ServiceState {
	t.Helper()
	s, err := storagetest.One(v.parisStore.ServiceStates, context.Background(), func(s storage.ServiceState) bool { return s.ServiceID == "ent" })
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestVantagePartitionIsNoOutage: the network near lyon fails while the
// portal stays up, seen so from paris. Nobody is told of an outage, whichever
// instance leads, whether lyon's canaries fail too (its guard voids its
// rounds) or only its route to the portal (paris outvotes it).
func TestVantagePartitionIsNoOutage(t *testing.T) {
	for _, tt := range []struct {
		name         string
		cutPortal    bool // only the portal: lyon's canaries answer
		parisLeading bool
	}{
		{"lyon cut off, paris leads", false, true},
		{"lyon cut off, lyon leads", false, false},
		{"lyon cut off from the portal, paris leads", true, true},
		{"lyon cut off from the portal, lyon leads", true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var portal string
			var partitioned atomic.Bool
			cut := func(addr string) bool { return partitioned.Load() && (!tt.cutPortal || addr == portal) }
			v := newTwoVantages(t, refusing(cut))
			u, _ := url.Parse(v.ent.srv.URL)
			portal = u.Host
			v.parisLeading.Store(tt.parisLeading)
			v.round(t, false)
			v.round(t, false)
			if s := v.entState(t); s.State != status.Up {
				t.Fatalf("before the partition: ent is %s, want up", s.State)
			}
			partitioned.Store(true)
			for i := range 6 {
				leader, other := v.round(t, false)
				lyon, paris := leader, other
				if tt.parisLeading {
					lyon, paris = other, leader
				}
				if lyon.Results[0].State != status.Down || paris.Results[0].State != status.Up || lyon.Voided == tt.cutPortal {
					t.Fatalf("round %d: lyon saw %s (voided %v), paris %s; want the partition near lyon",
						i, lyon.Results[0].State, lyon.Voided, paris.Results[0].State)
				}
				want := []string{"paris"}
				if tt.cutPortal {
					want = []string{leader.Vantage, other.Vantage}
				}
				if !slices.Equal(leader.Counted, want) {
					t.Fatalf("round %d: the vote counted %v, want %v", i, leader.Counted, want)
				}
			}
			if ev := events(t, v.path); len(ev) != 0 {
				t.Errorf("events %+v, want none: the portal was up from paris all along", ev)
			}
			if s := v.entState(t); s.State != status.Up || s.CandidateState != "" {
				t.Errorf("ent is %s (candidate %q ×%d), want up without a streak", s.State, s.CandidateState, s.CandidateCount)
			}
		})
	}
}

// TestVantagesAgreeOnAnOutage: both vantages see the portal down for
// DOWN_AFTER rounds: one outage event, whichever instance leads and
// whether the leader reads the other's round of this minute or of the
// previous one.
func TestVantagesAgreeOnAnOutage(t *testing.T) {
	for _, tt := range []struct {
		name        string
		leaderFirst bool // the leader reads lyon's previous round: one round later
		alternate   bool // the leadership moves every round
		downAt      int  // the bad round that confirms down
	}{
		{"the follower writes first", false, false, 2},
		{"the leader writes first", true, false, 3},
		{"the leadership moves every round", false, true, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := newTwoVantages(t, nil)
			round := func() RoundReport {
				rep, _ := v.round(t, tt.leaderFirst)
				if tt.alternate {
					v.parisLeading.Store(!v.parisLeading.Load())
				}
				return rep
			}
			round()
			round()
			v.ent.set("502")
			var downs []Transition
			for i := 1; i <= 5; i++ {
				rep := round()
				if len(rep.Transitions) > 0 && i != tt.downAt {
					t.Fatalf("bad round %d: transitions %+v, want the change at round %d only", i, rep.Transitions, tt.downAt)
				}
				downs = append(downs, rep.Transitions...)
			}
			if len(downs) != 1 || downs[0].To != status.Down || len(downs[0].Sightings) != 2 {
				t.Fatalf("transitions %+v, want one to down seen from both vantages", downs)
			}
			want := []eventRow{{"outage", "ent", status.Up, status.Down, status.ReasonHTTPStatus}}
			if got := events(t, v.path); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("events %+v, want %+v", got, want)
			}
		})
	}
}
