package status

// State is the judgement of a service: of one probe (Up, Degraded or Down)
// or, after the checker's thresholds, of the service, which starts
// Unknown. The values are stored in service_states, check_results and
// events, and shown by the status page and its JSON API.
type State string

// The judged states. A degraded service is slow but usable. Unknown is a
// service never judged yet (or not since the database was created): it is
// neither up nor down on the status page.
const (
	Unknown  State = "unknown"
	Up       State = "up"
	Degraded State = "degraded"
	Down     State = "down"
)

// Maintenance is not a judged state: it is the name under which the time a
// service spent in a maintenance an operator declared is counted (uptime)
// and shown (the status page), since its judged state is hidden from
// families meanwhile. A service in maintenance keeps its own State.
const Maintenance State = "maintenance"

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

// Text puts a reason into the words a family reads, so that the bot's
// messages, the status page and the command line all say the same thing.
// ok is false for a code it does not know; "" and ReasonOK have no words
// (the service works).
func (r Reason) Text() (text string, ok bool) {
	switch r {
	case "", ReasonOK:
		return "", true
	case ReasonWaitingRoom:
		return "file d'attente (trop de connexions)", true
	case ReasonTimeout:
		return "ne répond pas", true
	case ReasonHTTPStatus:
		return "erreur du serveur", true
	case ReasonConnection:
		return "site inaccessible", true
	case ReasonTLS:
		return "site bloqué (certificat de sécurité)", true
	case ReasonBlankPage:
		return "page blanche", true
	case ReasonBodyMismatch:
		return "page anormale", true
	case ReasonRedirectLoop:
		return "la connexion tourne en boucle", true
	case ReasonSlow:
		return "lenteurs", true
	}
	return "", false
}
