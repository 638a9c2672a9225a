package catalog

// ReasonText puts a reason of the checker's judgement (waiting_room,
// timeout, …) into the words a family reads, so that the bot's messages,
// the status page and the command line all say the same thing. ok is false
// for a code it does not know; "" and "ok" have no words (the service
// works).
func ReasonText(reason string) (text string, ok bool) {
	switch reason {
	case "", "ok":
		return "", true
	case "waiting_room":
		return "file d'attente (trop de connexions)", true
	case "timeout":
		return "ne répond pas", true
	case "http_status":
		return "erreur du serveur", true
	case "connection":
		return "site inaccessible", true
	case "tls":
		return "site bloqué (certificat de sécurité)", true
	case "blank_page":
		return "page blanche", true
	case "body_mismatch":
		return "page anormale", true
	case "redirect_loop":
		return "la connexion tourne en boucle", true
	case "slow":
		return "lenteurs", true
	}
	return "", false
}
