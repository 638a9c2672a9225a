package notify

import "sentinelle/storage"

// Supersedes tells whether event later makes event earlier obsolete: both
// are news of the state of the same service (an outage, a slowness, a
// recovery) and later came after. The news of earlier is then untrue and
// must never be sent late: its messages still queued are dropped, and a
// recovery goes to those who heard it.
//
// It is THE rule; storage carries it in SQL for speed: Store.Supersede
// cancels what earlier events left to send (notify calls it for service
// events only), and Store.PrepareDelivery skips a message whose news a
// later event outdated. TestSupersedesMatchesStorage holds them together.
func Supersedes(later, earlier storage.Event) bool {
	return later.Kind.IsService() && earlier.Kind.IsService() && later.ServiceID != "" &&
		earlier.ServiceID == later.ServiceID && earlier.ID < later.ID
}
