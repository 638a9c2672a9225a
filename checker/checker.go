// Package checker watches the school portals: it probes each service of the
// catalog (Probe), judges that one probe (Judge: a state and a reason), runs
// the per-service state machine that turns rounds of probes into a
// confirmed state (Next: DOWN_AFTER bad rounds before down, UP_AFTER good
// ones before up again), and runs whole rounds (Runner.RunOnce, Record):
// it decides the state changes, incidents and announcements of a round and
// writes them, with the results, in one transaction through storage's
// narrow operations (storage.Tx).
//
// It exists because the portals did not fail cleanly on 6 April 2021: they
// served quota pages with HTTP 200, white pages, 502s and pages that never
// finished. A status code alone would have called most of them healthy, so
// the judgement reads the page.
//
// The checker never talks to families: a change of state becomes an event
// row, which the delivery side turns into messages. It imports only storage
// and catalog.
package checker

// State is the judgement of a service: of one probe (Up, Degraded or Down)
// or, after the thresholds, of the service (which starts Unknown). The
// values are those stored by the storage package.
type State string

// The states. A degraded service is slow but usable.
const (
	Unknown  State = "unknown"
	Up       State = "up"
	Degraded State = "degraded"
	Down     State = "down"
)

// Reason says why a probe was judged as it was. The values are a contract
// with the status page, the bot and `sentinelle check --json`: they may be
// extended, never renamed.
type Reason string

// The reasons. RedirectLoop extends the list of the issue: a portal that
// redirects more than five times (often a login loop when its session
// backend is down) is down, and calling that « connection » or
// « http_status » would send the person investigating the wrong way.
const (
	ReasonOK           Reason = "ok"            // up
	ReasonSlow         Reason = "slow"          // degraded: answered, above the service's slow_ms
	ReasonHTTPStatus   Reason = "http_status"   // down: 5xx, or a 4xx other than the expected status
	ReasonTimeout      Reason = "timeout"       // down: no complete answer within CHECK_TIMEOUT
	ReasonConnection   Reason = "connection"    // down: refused, DNS failure, reset
	ReasonTLS          Reason = "tls"           // down: certificate or TLS handshake refused
	ReasonWaitingRoom  Reason = "waiting_room"  // down: a waiting-room or quota text, whatever the status
	ReasonBlankPage    Reason = "blank_page"    // down: a 2xx page with nothing to show
	ReasonBodyMismatch Reason = "body_mismatch" // down: the service's body_contains text is missing
	ReasonRedirectLoop Reason = "redirect_loop" // down: more than MaxRedirects redirects
)
