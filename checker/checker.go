// Package checker watches the school portals: it probes each service of the
// catalog (Probe), judges that one probe (Judge: a state and a reason), runs
// the per-service state machine that turns rounds of probes into a
// confirmed state (Next: DOWN_AFTER bad rounds before down, UP_AFTER good
// ones before up again), and runs whole rounds (Runner.RunOnce, Record):
// it decides the state changes, incidents and announcements of a round and
// writes them, with the results, in one transaction through storage's
// narrow operations (storage.Tx). Several instances may share one
// database, each probing from where it runs (its vantage) and writing its
// rounds; the leader judges each service by a vote over every vantage's
// latest round (vote), so that one instance's broken network is not
// announced as an outage.
//
// It exists because the portals did not fail cleanly on 6 April 2021: they
// served quota pages with HTTP 200, white pages, 502s and pages that never
// finished. A status code alone would have called most of them healthy, so
// the judgement reads the page.
//
// The checker never talks to families: a change of state becomes an event
// row, which the delivery side turns into messages. It imports only
// storage, catalog and status (whose State and Reason its judgements are).
package checker
