package bot

import (
	"fmt"
	"strings"
	"time"

	"sentinelle/catalog"
	"sentinelle/status"
	"sentinelle/storage"
)

// Texts of the admin commands.

const (
	msgAnnounceUsage    = "Écrivez : /annonce toutes votre texte, ou /annonce ACADÉMIE votre texte (par exemple /annonce versailles …)."
	msgMaintenanceUsage = "Écrivez : /maintenance SERVICE DURÉE (45min, 2h, 1h30, 3j) ou /maintenance SERVICE fin."
	msgCheckUnavailable = "La vérification à la demande n'est pas disponible ici."
	msgCheckBusy        = "Une vérification est déjà en cours : le résultat arrive."
	msgCheckStarted     = "🔎 Vérification de tous les services lancée…"
	msgCheckFailed      = "❌ La vérification a échoué (détails dans les journaux)."
)

// announcementText is an announcement as subscribers read it.
func announcementText(text string) string {
	return announcementHead + esc(text)
}

// announcementHead is an announcement's heading, up to where its text
// starts.
const announcementHead = "📢 <b>Annonce de Sentinelle</b>\n\n"

// announcementLabel names an announcement's audience: "tous les abonnés",
// "académie : Versailles".
func announcementLabel(cat *catalog.Catalog, target string) string {
	if target == status.AudienceAll().String() {
		return "tous les abonnés"
	}
	return "académie : " + academyName(cat, target)
}

func announcementPreview(cat *catalog.Catalog, target, announcement string) string {
	return fmt.Sprintf("<b>Aperçu</b> de l'annonce (%s) :\n\n%s", esc(announcementLabel(cat, target)), announcement)
}

func announcementSentText(cat *catalog.Catalog, target string) string {
	return fmt.Sprintf("📤 Annonce envoyée (%s). Je vous dirai combien l'ont reçue.", esc(announcementLabel(cat, target)))
}

func statsText(cat *catalog.Catalog, st storage.BotStats, depth [3]int, down []string, at string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "📊 <b>Statistiques</b> · %s\n\n", at)
	fmt.Fprintf(&b, "Chats actifs : %s (dont %s) · inactifs : %s\n", number(st.Chats),
		plural(st.Groups, "groupe", "groupes"), number(st.Inactive))
	fmt.Fprintf(&b, "Rôles : parents %s · élèves %s · enseignants %s · non précisé %s\n",
		number(st.ByRole["parent"]), number(st.ByRole["eleve"]), number(st.ByRole["enseignant"]), number(st.ByRole[""]))
	fmt.Fprintf(&b, "Abonnements : %s\n", number(st.Subscriptions))
	if len(st.TopAcademies) > 0 {
		var top []string
		for _, a := range st.TopAcademies {
			top = append(top, esc(academyName(cat, a.Academie))+" "+number(a.Chats))
		}
		fmt.Fprintf(&b, "Les plus suivies : %s\n", strings.Join(top, ", "))
	}
	fmt.Fprintf(&b, "Classes ouvertes : %s (%s) · messages de classe et annonces en 24 h : %s\n",
		number(st.OpenClasses), plural(st.Members, "membre", "membres"), number(st.NoticesDay))
	fmt.Fprintf(&b, "File d'envoi : réponses %s · messages %s · alertes %s\n",
		number(depth[0]), number(depth[1]), number(depth[2]))
	if len(down) == 0 {
		b.WriteString("Services en panne : aucun")
	} else {
		// Cut the plain text, then escape: cutting escaped text can split
		// an entity (&amp;) and Telegram would refuse the whole message.
		fmt.Fprintf(&b, "Services en panne : %s", esc(truncate(strings.Join(down, ", "), 1500)))
	}
	return b.String()
}

func unknownServiceText(cat *catalog.Catalog, id string) string {
	ids := make([]string, 0, len(cat.Services))
	for _, s := range cat.Services {
		ids = append(ids, s.ID)
	}
	return fmt.Sprintf("Service inconnu : « %s ». Services : %s", esc(truncate(id, 40)), esc(strings.Join(ids, ", ")))
}

func badDurationText(s string) string {
	return fmt.Sprintf("Durée illisible : « %s ». Exemples : 45min, 2h, 1h30, 3j (7 jours au plus).", esc(truncate(s, 20)))
}

func maintenanceSetText(svc catalog.Service, until string) string {
	return fmt.Sprintf("🛠 Maintenance de <b>%s</b> %s : ses changements d'état ne seront pas annoncés.",
		esc(svc.Name), until)
}

func maintenanceEndedText(svc catalog.Service) string {
	return fmt.Sprintf("Maintenance de <b>%s</b> terminée : ses changements d'état seront de nouveau annoncés.", esc(svc.Name))
}

func checkDoneText(d time.Duration) string {
	return fmt.Sprintf("✅ Vérification terminée en %s s. /etat pour le résultat.",
		strings.Replace(fmt.Sprintf("%.1f", d.Seconds()), ".", ",", 1))
}

// unverifiedStatsText is the line of /stats listing the services never
// seen up at their catalog address: for the staff to check the catalog,
// never announced to families.
func unverifiedStatsText(names []string) string {
	if len(names) == 0 {
		return "\nServices non vérifiés : aucun"
	}
	return fmt.Sprintf("\nServices non vérifiés (jamais vus fonctionner à leur adresse, catalogue à contrôler) : %s",
		esc(truncate(strings.Join(names, ", "), 1000)))
}
